import { requireBytes } from './checks.js';
import {
  DER_P256_INTEGER_BYTES_MAX,
  DER_SHORT_LENGTH_MAX,
  DER_TAG_INTEGER,
  DER_TAG_SEQUENCE,
  derMalformed,
} from './ecdsaSignatureDER.js';
import { P256_RAW_SIGNATURE_BYTES, P256_SCALAR_BYTES } from './limits.js';

interface Cursor {
  readonly bytes: Uint8Array;
  offset: number;
}

/** Reads one short-form tag-length header (X.690 §8.1.2-8.1.3) and checks the content fits. */
function readHeader(cursor: Cursor, expectedTag: number, name: string): number {
  const { bytes } = cursor;
  if (cursor.offset + 2 > bytes.length) throw derMalformed(`${name} header is truncated`);
  if (bytes[cursor.offset] !== expectedTag) throw derMalformed(`${name} has the wrong tag`);
  const length = bytes[cursor.offset + 1] as number;
  if (length > DER_SHORT_LENGTH_MAX) throw derMalformed(`${name} length is not in short form`);
  cursor.offset += 2;
  if (cursor.offset + length > bytes.length) throw derMalformed(`${name} length runs past the end`);
  return length;
}

/**
 * Reads a positive INTEGER in minimal form (X.690 §8.3.2: the first 9 bits are not all equal) and
 * left-pads it to 32 bytes. Negative values, zero, leading 0x00 bytes that are not a sign byte,
 * and values wider than 256 bits are all refused: each is a second encoding of some signature.
 */
function readScalar(cursor: Cursor, output: Uint8Array, outputOffset: number, name: string): void {
  const length = readHeader(cursor, DER_TAG_INTEGER, name);
  if (length === 0) throw derMalformed(`${name} is empty`);
  if (length > DER_P256_INTEGER_BYTES_MAX) throw derMalformed(`${name} is wider than 256 bits`);
  const body = cursor.bytes.subarray(cursor.offset, cursor.offset + length);
  cursor.offset += length;
  const first = body[0] as number;
  if ((first & 0x80) !== 0) throw derMalformed(`${name} is negative`);
  if (first === 0 && length === 1) throw derMalformed(`${name} is zero`);
  if (first === 0 && ((body[1] as number) & 0x80) === 0) throw derMalformed(`${name} has a non-minimal leading zero`);
  const magnitude = first === 0 ? body.subarray(1) : body;
  if (magnitude.length > P256_SCALAR_BYTES) throw derMalformed(`${name} is wider than 256 bits`);
  output.set(magnitude, outputOffset + P256_SCALAR_BYTES - magnitude.length);
}

/**
 * Parses a DER ECDSA-Sig-Value, SEQUENCE { r INTEGER, s INTEGER } (SEC 1 v2 §C.5, RFC 3279
 * §2.2.3), strictly, and returns the raw form r || s (64 bytes). Strict DER gives each signature
 * exactly one encoding, so a relay cannot re-encode a signature into a "different" valid one
 * (signature malleability); anything else fails with ERR_DER_MALFORMED. Parsing is iterative.
 */
export function decodeECDSASignatureDER(derSignature: Uint8Array): Uint8Array {
  requireBytes(derSignature, 'DER signature');
  const cursor: Cursor = { bytes: derSignature, offset: 0 };
  const bodyLength = readHeader(cursor, DER_TAG_SEQUENCE, 'SEQUENCE');
  if (cursor.offset + bodyLength !== derSignature.length) throw derMalformed('bytes follow the SEQUENCE');
  const raw = new Uint8Array(P256_RAW_SIGNATURE_BYTES);
  readScalar(cursor, raw, 0, 'r');
  readScalar(cursor, raw, P256_SCALAR_BYTES, 's');
  if (cursor.offset !== derSignature.length) throw derMalformed('the SEQUENCE holds more than r and s');
  return raw;
}
