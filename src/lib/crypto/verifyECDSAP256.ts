import { type KeyObject, verify } from 'node:crypto';
import { copyBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireBytes, requireMessage } from './checks.js';
import { decodeECDSASignatureDER } from './decodeECDSASignatureDER.js';
import { requireECP256Key } from './ecP256Keys.js';
import { type ECDSASignatureEncoding } from './ecdsaSignatureEncoding.js';
import { P256_RAW_SIGNATURE_BYTES } from './limits.js';

function rawSignatureOrUndefined(received: Uint8Array, encoding: ECDSASignatureEncoding): Uint8Array | undefined {
  if (encoding === 'raw') return received.length === P256_RAW_SIGNATURE_BYTES ? received : undefined;
  try {
    return decodeECDSASignatureDER(received);
  } catch {
    return undefined;
  }
}

/**
 * Verifies an ECDSA P-256 / SHA-256 signature (FIPS 186-5 §6.4.2; SEC 1 v2 §4.1.4). Returns true
 * or false and nothing else for anything the peer controls: a DER signature that is not strict DER,
 * a raw one of the wrong length, r or s out of [1, n-1], or a signature that does not verify all
 * give the same `false` (no oracle). DER is parsed by our strict parser rather than OpenSSL's, then
 * verified in raw form, so accepting a signature never depends on OpenSSL's DER leniency.
 * The key and encoding come from our own code; getting them wrong throws.
 */
export function verifyECDSAP256(
  publicKey: KeyObject,
  message: Uint8Array,
  receivedSignature: Uint8Array,
  encoding: ECDSASignatureEncoding,
): boolean {
  requireECP256Key(publicKey, 'public', 'verification key');
  requireMessage(message);
  requireBytes(receivedSignature, 'received signature');
  if (encoding !== 'der' && encoding !== 'raw') {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected signature encoding 'der' or 'raw', received ${String(encoding)}`);
  }
  const raw = rawSignatureOrUndefined(copyBytes(receivedSignature), encoding);
  if (raw === undefined) return false;
  try {
    return verify('sha256', copyBytes(message), { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}
