import assert from 'node:assert/strict';
import { type KeyObject, webcrypto } from 'node:crypto';

/** OpenSSL's name for P-256 (secp256r1, SP 800-186 §3.2.1.3). */
const P256_OPENSSL_CURVE = 'prime256v1';

/** ECDSA over P-256 with SHA-256 (FIPS 186-5 §6, RFC 5758 §3.2): the only signature Tessera's PKI makes or accepts. */
export const ECDSA_P256_SHA256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export function isP256Key(key: KeyObject, type: 'private' | 'public'): boolean {
  return key.type === type && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === P256_OPENSSL_CURVE;
}

/**
 * The same private key as a non-extractable WebCrypto key, for @peculiar/x509 to sign with. Node 20
 * has no KeyObject.toCryptoKey, so it goes through PKCS#8, whose buffer is wiped afterwards.
 */
export async function toSigningKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  assert.ok(isP256Key(privateKey, 'private'), 'signing key must be a P-256 private KeyObject');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  } finally {
    pkcs8.fill(0);
  }
}

/** SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7), re-encoded by OpenSSL from the key itself. */
export function subjectPublicKeyInfoOf(publicKey: KeyObject): Uint8Array {
  assert.ok(isP256Key(publicKey, 'public'), 'subject key must be a P-256 public KeyObject');
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
}
