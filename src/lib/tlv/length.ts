import { LibErrorCode, TesseraError } from '../errors.js';
import { TLV_LENGTH_FIELD_BYTES_MAX } from './limits.js';
import { tlvMalformed } from './tlvError.js';

/**
 * BER-TLV length fields (ISO/IEC 8825-1 §8.1.3, EMV 4.4 Book 3 Annex B2, ISO/IEC 7816-4 §5.2.2.2).
 *
 * Short form: one byte '00'-'7F'. Long form: '81'-'84' then 1 to 4 big-endian length bytes.
 * '80' (indefinite form) is refused: EMV and ISO/IEC 7816-4 only use definite lengths.
 * '85'-'FF' are refused: invalid in ISO/IEC 7816-4 ('FF' is also reserved by ISO/IEC 8825-1).
 *
 * Non-minimal long forms ('81 05', '82 00 80') are allowed by BER (ISO/IEC 8825-1 §8.1.3.5 NOTE 2)
 * and are sent by some cards, so they are accepted unless the caller asks for `lengths: 'minimal'`.
 * The encoder always writes the minimal form (as DER would), so re-encoding normalises them.
 */

const LONG_FORM_BIT = 0x80;
const INDEFINITE_LENGTH = 0x80;
const SHORT_FORM_MAX = 0x7f;

export interface LengthRead {
  readonly length: number;
  /** Offset of the first byte after the length field. */
  readonly next: number;
}

export function readLength(bytes: Uint8Array, offset: number, end: number, minimalOnly: boolean): LengthRead {
  const first = bytes[offset];
  if (first === undefined || offset >= end) throw tlvMalformed('a length was expected but the data ends', offset);
  if ((first & LONG_FORM_BIT) === 0) return { length: first, next: offset + 1 };
  if (first === INDEFINITE_LENGTH) {
    throw tlvMalformed('indefinite length (0x80) is not allowed: EMV Book 3 Annex B2 requires definite lengths', offset);
  }
  const count = first & ~LONG_FORM_BIT;
  if (count > TLV_LENGTH_FIELD_BYTES_MAX - 1) {
    throw tlvMalformed(`length byte 0x${first.toString(16).toUpperCase()} is invalid (at most 4 length bytes)`, offset);
  }
  if (offset + 1 + count > end) throw tlvMalformed('length field truncated', offset);
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + (bytes[offset + i] as number);
  if (minimalOnly && (length <= SHORT_FORM_MAX || bytes[offset + 1] === 0)) {
    throw tlvMalformed(`length ${length} is not in its shortest form`, offset);
  }
  return { length, next: offset + 1 + count };
}

/** The minimal length field for `length` bytes of value. */
export function lengthToBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length >= 2 ** 32) {
    throw new TesseraError(LibErrorCode.tlvMalformed, `a TLV value of ${length} bytes cannot be encoded`);
  }
  if (length <= SHORT_FORM_MAX) return Uint8Array.of(length);
  const bytes: number[] = [];
  let rest = length;
  while (rest > 0) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return Uint8Array.of(LONG_FORM_BIT | bytes.length, ...bytes);
}
