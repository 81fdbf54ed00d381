import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { toHex } from '../../lib/bytes.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import { ECDSA_P256_SHA256, subjectPublicKeyInfoOf, toSigningKey } from './keys.js';
import { SERIAL_NUMBER_BYTES } from './limits.js';
import type { ValidityPeriod } from './validity.js';
import { x509 } from './x509.js';

/** The issuing CA: its certificate (for the issuer name and key identifier) and its private key. */
export interface Signer {
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
}

export interface CertificateContents {
  readonly subject: x509.JsonName;
  readonly subjectPublicKey: KeyObject;
  /** Who signs: the issuing CA, or for a self-signed certificate the subject's own private key. */
  readonly signedBy: { readonly issuer: Signer } | { readonly selfSignedWith: KeyObject };
  readonly validity: ValidityPeriod;
  /** Everything except the key identifiers, which are added here. */
  readonly extensions: readonly x509.Extension[];
  readonly random: RandomSource;
}

/**
 * A serial number from the injected randomness: 16 bytes, top bit cleared so the DER INTEGER is
 * positive (RFC 5280 §4.1.2.2), the next bit set so it is never shortened or all zero.
 */
function randomSerialNumberHex(random: RandomSource): string {
  const serial = random.bytes(SERIAL_NUMBER_BYTES);
  assert.equal(serial.length, SERIAL_NUMBER_BYTES);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return toHex(serial);
}

/**
 * Builds, signs (ECDSA P-256 with SHA-256) and returns one X.509 v3 certificate. The subject key
 * identifier is RFC 5280 §4.2.1.2 method 1 (SHA-1 of the public key bits); the authority key
 * identifier copies the issuer's subject key identifier (§4.2.1.1), so chains built by key id match.
 */
export async function signCertificate(contents: CertificateContents): Promise<X509Certificate> {
  const spki = subjectPublicKeyInfoOf(contents.subjectPublicKey);
  const signedBy = contents.signedBy;
  const signingPrivateKey = 'issuer' in signedBy ? signedBy.issuer.privateKey : signedBy.selfSignedWith;

  const extensions: x509.Extension[] = [...contents.extensions, await x509.SubjectKeyIdentifierExtension.create(spki)];
  let issuerName: x509.Name | x509.JsonName = contents.subject;
  if ('issuer' in signedBy) {
    const issuer = new x509.X509Certificate(signedBy.issuer.certificate.raw);
    // The issuer's name exactly as encoded in its certificate, so name chaining compares equal bytes.
    issuerName = issuer.subjectName;
    const issuerKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
    assert.ok(issuerKeyId !== null, 'issuing CA certificate has no subject key identifier');
    extensions.push(new x509.AuthorityKeyIdentifierExtension(issuerKeyId.keyId));
  }

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumberHex(contents.random),
    subject: contents.subject,
    issuer: issuerName,
    notBefore: contents.validity.notBefore,
    notAfter: contents.validity.notAfter,
    publicKey: spki,
    signingKey: await toSigningKey(signingPrivateKey),
    signingAlgorithm: ECDSA_P256_SHA256,
    extensions,
  });
  return new X509Certificate(Buffer.from(certificate.rawData));
}
