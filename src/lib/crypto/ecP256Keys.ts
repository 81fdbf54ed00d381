import { KeyObject } from 'node:crypto';
import { LibErrorCode, TesseraError } from '../errors.js';

/** OpenSSL's name for NIST P-256 (secp256r1), as KeyObject.asymmetricKeyDetails reports it. */
export const P256_OPENSSL_CURVE_NAME = 'prime256v1';
/** The JWK name for the same curve (RFC 7518 §6.2.1.1). */
export const P256_JWK_CURVE_NAME = 'P-256';

/**
 * Keys are KeyObjects (never raw bytes or PEM strings passed around), and a P-256 operation takes
 * only a P-256 key of the right kind: a P-384 key or an RSA key here is a wiring mistake of ours,
 * reported as a typed input error before node:crypto would fail less clearly.
 */
export function requireECP256Key(key: unknown, type: 'public' | 'private', name: string): asserts key is KeyObject {
  if (!(key instanceof KeyObject)) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ${name} as a KeyObject`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.type !== type || key.asymmetricKeyType !== 'ec' || curve !== P256_OPENSSL_CURVE_NAME) {
    const received = `${key.type} ${key.asymmetricKeyType ?? 'secret'} key${curve === undefined ? '' : ` on ${curve}`}`;
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ${name} to be a ${type} EC key on P-256, received a ${received}`);
  }
}

export function toBase64URL(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function fromBase64URL(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
