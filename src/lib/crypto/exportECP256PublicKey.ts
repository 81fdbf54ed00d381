import { type KeyObject } from 'node:crypto';
import { concatBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { fromBase64URL, requireECP256Key } from './ecP256Keys.js';
import { P256_SCALAR_BYTES } from './limits.js';

/**
 * Exports a P-256 public key as the uncompressed point 0x04 || X || Y (SEC 1 v2 §2.3.3), each
 * coordinate left-padded to 32 bytes, the form sent to ECDH peers and stored by GlobalPlatform.
 */
export function exportECP256PublicKey(publicKey: KeyObject): Uint8Array {
  requireECP256Key(publicKey, 'public', 'public key');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected the public key to export its coordinates');
  }
  const x = fromBase64URL(jwk.x);
  const y = fromBase64URL(jwk.y);
  if (x.length !== P256_SCALAR_BYTES || y.length !== P256_SCALAR_BYTES) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ${P256_SCALAR_BYTES}-byte coordinates`);
  }
  return concatBytes(Uint8Array.of(0x04), x, y);
}
