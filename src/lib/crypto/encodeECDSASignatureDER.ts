import { LibErrorCode, TesseraError } from '../errors.js';
import { requireLength } from './checks.js';
import { DER_TAG_INTEGER, DER_TAG_SEQUENCE } from './ecdsaSignatureDER.js';
import { P256_RAW_SIGNATURE_BYTES, P256_SCALAR_BYTES } from './limits.js';

/** Minimal two's-complement INTEGER body of a non-negative big-endian value (X.690 §8.3.2). */
function integerBody(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  if (start === value.length) {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected r and s to be non-zero (SEC 1 v2 §4.1.3: r, s in [1, n-1])');
  }
  const magnitude = value.subarray(start);
  const needsSignByte = ((magnitude[0] as number) & 0x80) !== 0;
  const body = new Uint8Array(magnitude.length + (needsSignByte ? 1 : 0));
  body.set(magnitude, needsSignByte ? 1 : 0);
  return body;
}

/**
 * Converts a raw P-256 ECDSA signature r || s (IEEE P1363, 64 bytes, as WebAuthn, JOSE and many
 * cards produce it) into DER: SEQUENCE { r INTEGER, s INTEGER } (SEC 1 v2 §C.5, RFC 3279 §2.2.3),
 * with minimal INTEGER bodies (X.690 §8.3.2) and short-form lengths (X.690 §10.1).
 */
export function encodeECDSASignatureDER(rawSignature: Uint8Array): Uint8Array {
  requireLength(rawSignature, P256_RAW_SIGNATURE_BYTES, 'raw P-256 signature (r || s)');
  const r = integerBody(rawSignature.subarray(0, P256_SCALAR_BYTES));
  const s = integerBody(rawSignature.subarray(P256_SCALAR_BYTES));
  const bodyLength = 2 + r.length + 2 + s.length;
  const der = new Uint8Array(2 + bodyLength);
  let offset = 0;
  der[offset++] = DER_TAG_SEQUENCE;
  der[offset++] = bodyLength;
  der[offset++] = DER_TAG_INTEGER;
  der[offset++] = r.length;
  der.set(r, offset);
  offset += r.length;
  der[offset++] = DER_TAG_INTEGER;
  der[offset++] = s.length;
  der.set(s, offset);
  return der;
}
