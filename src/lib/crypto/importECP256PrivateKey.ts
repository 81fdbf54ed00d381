import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireLength } from './checks.js';
import { P256_JWK_CURVE_NAME, P256_OPENSSL_CURVE_NAME, toBase64URL } from './ecP256Keys.js';
import { P256_SCALAR_BYTES } from './limits.js';

/**
 * Imports a P-256 private key from its 32-byte scalar d (SEC 1 v2 §2.3.7 encoding), as test
 * vectors and card personalisation give it. The public point Q = dG is computed here, since a JWK
 * private key carries both; node:crypto refuses d = 0 and d >= n (SEC 1 v2 §3.2.1: d in [1, n-1]).
 */
export function importECP256PrivateKey(scalar: Uint8Array): KeyObject {
  requireLength(scalar, P256_SCALAR_BYTES, 'P-256 private scalar');
  try {
    const ecdh = createECDH(P256_OPENSSL_CURVE_NAME);
    ecdh.setPrivateKey(scalar);
    const point = ecdh.getPublicKey();
    return createPrivateKey({
      key: {
        kty: 'EC',
        crv: P256_JWK_CURVE_NAME,
        d: toBase64URL(scalar),
        x: toBase64URL(point.subarray(1, 1 + P256_SCALAR_BYTES)),
        y: toBase64URL(point.subarray(1 + P256_SCALAR_BYTES)),
      },
      format: 'jwk',
    });
  } catch (cause) {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected a P-256 private scalar from 1 to n - 1', { cause });
  }
}
