import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { TesseraError } from '../../lib/errors.js';
import { isAuthorityCertificate } from './authorityExtensions.js';
import { PKIErrorCode } from './errors.js';
import { isP256Key } from './keys.js';
import { PEM_CHARACTERS_MAX } from './limits.js';
import type { CertificateAuthority, Credential, CredentialPEM } from './types.js';

function refuse(message: string, cause?: unknown): TesseraError {
  return new TesseraError(PKIErrorCode.credentialInvalid, message, cause === undefined ? {} : { cause });
}

/** The certificate as PEM and the key as unencrypted PKCS#8 PEM (RFC 5958): seal the key text with the keystore before storing it. */
export function exportCredentialPEM(credential: Credential): CredentialPEM {
  return {
    certificatePEM: credential.certificate.toString(),
    privateKeyPEM: credential.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}

/** Same as exportCredentialPEM, for a CA. */
export function exportCertificateAuthorityPEM(authority: CertificateAuthority): CredentialPEM {
  return exportCredentialPEM(authority);
}

function parsePEM(pem: CredentialPEM): { certificate: X509Certificate; privateKey: KeyObject } {
  if (pem.certificatePEM.length > PEM_CHARACTERS_MAX || pem.privateKeyPEM.length > PEM_CHARACTERS_MAX) {
    throw refuse(`expected PEM texts of at most ${PEM_CHARACTERS_MAX} characters`);
  }
  if (!pem.privateKeyPEM.startsWith('-----BEGIN PRIVATE KEY-----')) throw refuse('expected an unencrypted PKCS#8 PEM private key');
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(pem.certificatePEM);
  } catch (error) {
    throw refuse('expected a PEM certificate', error);
  }
  try {
    privateKey = createPrivateKey({ key: pem.privateKeyPEM, format: 'pem' });
  } catch (error) {
    throw refuse('expected a PKCS#8 PEM private key', error);
  }
  return { certificate, privateKey };
}

/** A credential back from PEM: a P-256 key that belongs to the certificate's public key. */
export function importCredentialPEM(pem: CredentialPEM): Credential {
  const { certificate, privateKey } = parsePEM(pem);
  if (!isP256Key(privateKey, 'private') || !isP256Key(certificate.publicKey, 'public')) throw refuse('expected a P-256 key and certificate');
  if (!certificate.checkPrivateKey(privateKey)) throw refuse('expected the private key of the certificate');
  return { certificate, privateKey };
}

/** A CA back from PEM: as importCredentialPEM, and the certificate must be a CA with keyCertSign. */
export function importCertificateAuthorityPEM(pem: CredentialPEM): CertificateAuthority {
  const credential = importCredentialPEM(pem);
  if (!isAuthorityCertificate(credential.certificate.raw)) throw refuse('expected a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)');
  return { role: 'certificate-authority', ...credential };
}
