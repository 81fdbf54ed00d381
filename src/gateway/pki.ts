// @peculiar/x509 reads decorator metadata through the Reflect API when it loads: the polyfill first.
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PeerCertificate } from 'node:tls';
import type { RandomSource } from '../lib/crypto/index.js';
import { toHex } from '../lib/bytes.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import type { PartnerRole } from './schema.js';

x509.cryptoProvider.set(webcrypto);

/**
 * The gateway's own small CA (seed 002: merchants are authenticated by certificate). One root
 * issues the gateway's TLS server certificate and the partners' client certificates; a client
 * certificate names its holder in a SAN URI `urn:tessera:gateway:<role>:<id>` and the gateway also
 * pins its SHA-256 fingerprint in `gateway.partners`, so a re-issued certificate revokes the old
 * one. ECDSA P-256 with SHA-256 throughout. Keys come from WebCrypto's CSPRNG (the serial numbers
 * from the injected RandomSource).
 */

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface PemCredential {
  readonly certificatePEM: string;
  readonly privateKeyPEM: string;
}

export interface GatewayPki {
  readonly caCertificatePEM: string;
  readonly caPrivateKeyPEM: string;
  readonly server: PemCredential;
}

function serial(random: RandomSource): string {
  const bytes = random.bytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return toHex(bytes);
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

async function privatePEM(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivate(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

export function partnerURN(role: PartnerRole, id: string): string {
  return `urn:tessera:gateway:${role}:${id}`;
}

/** Creates the CA and the gateway's server certificate (SAN: the given host names and IPs). */
export async function createGatewayPki(options: { now: Date; random: RandomSource; hosts?: readonly string[] }): Promise<GatewayPki> {
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(options.random), name: 'CN=Tessera Gateway CA, O=Tessera', keys: caKeys, signingAlgorithm: ALGORITHM,
    notBefore: new Date(options.now.getTime() - DAY_MS), notAfter: new Date(options.now.getTime() + 10 * 365 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caPrivateKeyPEM = await privatePEM(caKeys.privateKey);
  const pki = { caCertificatePEM: ca.toString('pem'), caPrivateKeyPEM };
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  const server = await issue(pki, {
    subject: 'CN=Tessera Gateway, O=Tessera', now: options.now, random: options.random, validityDays: 825, usage: x509.ExtendedKeyUsage.serverAuth,
    altNames: hosts.map((host) => (/^[0-9.]+$/.test(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host })),
  });
  return { ...pki, server };
}

async function issue(
  pki: { caCertificatePEM: string; caPrivateKeyPEM: string },
  options: { subject: string; now: Date; random: RandomSource; validityDays: number; usage: string; altNames: { type: 'ip' | 'dns' | 'url'; value: string }[] },
): Promise<PemCredential> {
  const ca = new x509.X509Certificate(pki.caCertificatePEM);
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(options.random), subject: options.subject, issuer: ca.subject,
    notBefore: new Date(options.now.getTime() - 60_000), notAfter: new Date(options.now.getTime() + options.validityDays * DAY_MS),
    signingAlgorithm: ALGORITHM, publicKey: keys.publicKey, signingKey: await importPrivate(pki.caPrivateKeyPEM),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([options.usage], false),
      new x509.SubjectAlternativeNameExtension(options.altNames, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return { certificatePEM: certificate.toString('pem'), privateKeyPEM: await privatePEM(keys.privateKey) };
}

/** A partner's mutual-TLS client certificate (clientAuth), CN = name, SAN URI = partnerURN(role, id). */
export async function issuePartnerCertificate(
  pki: { caCertificatePEM: string; caPrivateKeyPEM: string },
  options: { role: PartnerRole; id: string; now: Date; random: RandomSource; validityDays: number },
): Promise<PemCredential & { fingerprint256: string }> {
  const credential = await issue(pki, {
    subject: `CN=${options.id}, O=Tessera gateway ${options.role}`, now: options.now, random: options.random, validityDays: options.validityDays,
    usage: x509.ExtendedKeyUsage.clientAuth, altNames: [{ type: 'url', value: partnerURN(options.role, options.id) }],
  });
  return { ...credential, fingerprint256: fingerprintOf(credential.certificatePEM) };
}

/** Node's colon-separated upper-case SHA-256 fingerprint, as PeerCertificate.fingerprint256 has it. */
export function fingerprintOf(certificatePEM: string): string {
  const der = new X509Certificate(certificatePEM).raw;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** The role and id a verified peer certificate names (its SAN URI), or a forbidden error. */
export function partnerFromCertificate(peer: PeerCertificate): { role: PartnerRole; id: string; fingerprint256: string } {
  const match = /URI:urn:tessera:gateway:(merchant|bank):([A-Za-z0-9_.-]{1,40})(?:,|$)/.exec(peer.subjectaltname ?? '');
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw gatewayError(GatewayErrorCode.forbidden, 'the client certificate names no gateway partner');
  }
  return { role: match[1] as PartnerRole, id: match[2], fingerprint256: peer.fingerprint256 };
}
