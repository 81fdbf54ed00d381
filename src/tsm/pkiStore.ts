import { X509Certificate } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { RandomSource } from '../lib/crypto/index.js';
import {
  createCertificateAuthority, exportCertificateAuthorityPEM, exportCredentialPEM, importCertificateAuthorityPEM, importCredentialPEM,
  issueClientCertificate, issueServerCertificate, type CertificateAuthority, type Credential, type CredentialPEM,
} from './pki/index.js';

/** Validity of the TSM's own authorities and of its HTTPS certificate. */
export const TSM_CA_VALIDITY_DAYS = 3650;
export const TSM_SERVER_CERTIFICATE_VALIDITY_DAYS = 397;
export const SP_CERTIFICATE_VALIDITY_DAYS = 397;

/** The TSM's credentials: its root (server and device certificates), the SP CA, and its HTTPS certificate. */
export interface TsmPki {
  readonly root: CertificateAuthority;
  readonly spCA: CertificateAuthority;
  readonly server: Credential;
  readonly rootPEM: string;
  readonly spCAPEM: string;
  readonly serverPEM: CredentialPEM;
}

function writeNew(path: string, text: string, mode: number): void {
  // O_EXCL: never overwrite a key; a half-written file from a crash is refused on the next read.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function saveCredential(directory: string, name: string, pem: CredentialPEM): void {
  writeNew(join(directory, `${name}.pem`), pem.certificatePEM, 0o644);
  writeNew(join(directory, `${name}.key.pem`), pem.privateKeyPEM, 0o600);
}

function loadCredential(directory: string, name: string): CredentialPEM {
  return {
    certificatePEM: readFileSync(join(directory, `${name}.pem`), 'utf8'),
    privateKeyPEM: readFileSync(join(directory, `${name}.key.pem`), 'utf8'),
  };
}

/**
 * Loads the TSM's PKI from `directory`, creating it on first use: private keys in 0600 PKCS#8
 * PEM files, certificates beside them. The HTTPS certificate names localhost and 127.0.0.1.
 */
export async function loadOrCreateTsmPki(directory: string, options: { random: RandomSource; now: Date }): Promise<TsmPki> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!existsSync(join(directory, 'root-ca.pem'))) {
    const root = await createCertificateAuthority({ name: 'Tessera TSM Root CA', organization: 'Tessera', validityDays: TSM_CA_VALIDITY_DAYS, now: options.now, random: options.random });
    const spCA = await createCertificateAuthority({ name: 'Tessera TSM SP CA', organization: 'Tessera', validityDays: TSM_CA_VALIDITY_DAYS, now: options.now, random: options.random, pathLength: 0 });
    const server = await issueServerCertificate(root, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: TSM_SERVER_CERTIFICATE_VALIDITY_DAYS, now: options.now, random: options.random });
    saveCredential(directory, 'sp-ca', exportCertificateAuthorityPEM(spCA));
    saveCredential(directory, 'server', exportCredentialPEM(server));
    // The root last: its presence says the set is complete.
    saveCredential(directory, 'root-ca', exportCertificateAuthorityPEM(root));
  }
  const rootPEM = loadCredential(directory, 'root-ca');
  const spCAPEM = loadCredential(directory, 'sp-ca');
  const serverPEM = loadCredential(directory, 'server');
  return {
    root: importCertificateAuthorityPEM(rootPEM),
    spCA: importCertificateAuthorityPEM(spCAPEM),
    server: importCredentialPEM(serverPEM),
    rootPEM: rootPEM.certificatePEM,
    spCAPEM: spCAPEM.certificatePEM,
    serverPEM,
  };
}

/** Issues an SP's client certificate (mutual TLS to the SP-TSM API). */
export async function issueSPCredential(pki: TsmPki, spName: string, options: { random: RandomSource; now: Date }): Promise<CredentialPEM> {
  const credential = await issueClientCertificate(pki.spCA, { commonName: spName, validityDays: SP_CERTIFICATE_VALIDITY_DAYS, now: options.now, random: options.random });
  return exportCredentialPEM(credential);
}

export function certificateOf(pem: string): X509Certificate {
  return new X509Certificate(pem);
}
