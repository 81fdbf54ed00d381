import { type KeyObject, sign } from 'node:crypto';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireMessage } from './checks.js';
import { requireECP256Key } from './ecP256Keys.js';
import { type ECDSASignatureEncoding, nodeDSAEncoding } from './ecdsaSignatureEncoding.js';
import { toBytes } from './toBytes.js';

/**
 * Signs a message with ECDSA over P-256 and SHA-256 (FIPS 186-5 §6.4.1; SEC 1 v2 §4.1.3). The
 * message is hashed here, never passed pre-hashed. The per-signature nonce k comes from OpenSSL's
 * DRBG, so signatures are not deterministic and cannot be pinned by an injected RandomSource; tests
 * check them by verification instead.
 */
export function signECDSAP256(privateKey: KeyObject, message: Uint8Array, encoding: ECDSASignatureEncoding): Uint8Array {
  requireECP256Key(privateKey, 'private', 'signing key');
  requireMessage(message);
  if (encoding !== 'der' && encoding !== 'raw') {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected signature encoding 'der' or 'raw', received ${String(encoding)}`);
  }
  return toBytes(sign('sha256', message, { key: privateKey, dsaEncoding: nodeDSAEncoding(encoding) }));
}
