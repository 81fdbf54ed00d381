import { createPublicKey, type KeyObject } from 'node:crypto';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireLength } from './checks.js';
import { P256_JWK_CURVE_NAME, toBase64URL } from './ecP256Keys.js';
import { P256_SCALAR_BYTES, P256_UNCOMPRESSED_POINT_BYTES } from './limits.js';

/** SEC 1 v2 §2.3.3: the octet that marks an uncompressed point. */
const UNCOMPRESSED_POINT_PREFIX = 0x04;

/**
 * Imports a P-256 public key from its uncompressed encoding 0x04 || X || Y (SEC 1 v2 §2.3.3), the
 * form GlobalPlatform, EMV and ECDH peers send. OpenSSL checks that the point lies on the curve
 * while importing; P-256 has cofactor 1, so that is the full public-key validation of SP 800-56A
 * Rev. 3 §5.6.2.3.3 and an invalid-curve point is refused here, before any ECDH or verify.
 */
export function importECP256PublicKey(point: Uint8Array): KeyObject {
  requireLength(point, P256_UNCOMPRESSED_POINT_BYTES, 'uncompressed P-256 point');
  if (point[0] !== UNCOMPRESSED_POINT_PREFIX) {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected an uncompressed point (first byte 04)');
  }
  const x = point.subarray(1, 1 + P256_SCALAR_BYTES);
  const y = point.subarray(1 + P256_SCALAR_BYTES);
  try {
    return createPublicKey({ key: { kty: 'EC', crv: P256_JWK_CURVE_NAME, x: toBase64URL(x), y: toBase64URL(y) }, format: 'jwk' });
  } catch (cause) {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected a point on P-256', { cause });
  }
}
