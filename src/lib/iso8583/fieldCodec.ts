import { toHex } from '../bytes.js';
import { isTesseraError } from '../errors.js';
import { decodeTLV } from '../tlv/index.js';
import { fieldValueBytes, lengthPrefixBytes } from './dialects.js';
import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { parseTrack2 } from './track2.js';
import type { ISO8583Dialect, ISO8583FieldSpec, ISO8583FieldValue } from './types.js';

/**
 * One data element on the wire: its length prefix and its value, in a dialect's encodings
 * (ISO 8583:1987 §4.1 for formats and lengths). Pure helpers; `encodeISO8583` and
 * `decodeISO8583` walk the fields and own the cursor.
 */

const CHARSETS: Readonly<Record<Exclude<ISO8583FieldSpec['format'], 'b'>, RegExp>> = {
  n: /^[0-9]*$/,
  // The BCD dialect can only write the separator as nibble D, so '=' is refused there (see `charsetOf`).
  z: /^[0-9=D]*$/,
  // ISO 8583:1987 §4.1: fixed-length a/an fields are left-justified and filled with spaces.
  a: /^[A-Za-z ]*$/,
  an: /^[A-Za-z0-9 ]*$/,
  ans: /^[\x20-\x7e]*$/,
};
const BCD_TRACK2 = /^[0-9D]*$/;
const HEX_DIGITS = '0123456789ABCDEF';
const BCD_SEPARATOR_NIBBLE = 0xd;
const BCD_PAD_NIBBLE = 0xf;

export function fieldLabel(field: number, spec: ISO8583FieldSpec): string {
  return `field ${field} (${spec.name})`;
}

function charsetOf(dialect: ISO8583Dialect, format: Exclude<ISO8583FieldSpec['format'], 'b'>): RegExp {
  return format === 'z' && dialect.numeric === 'bcd' ? BCD_TRACK2 : CHARSETS[format];
}

function describeCharset(dialect: ISO8583Dialect, format: Exclude<ISO8583FieldSpec['format'], 'b'>): string {
  switch (format) {
    case 'n': return 'digits';
    case 'z': return dialect.numeric === 'bcd' ? 'digits and the separator D' : 'digits and the separator = or D';
    case 'a': return 'letters and spaces';
    case 'an': return 'letters, digits and spaces';
    case 'ans': return 'printable ASCII';
  }
}

/**
 * Checks a value against its spec: type (bytes for `b`, text otherwise), length, character set,
 * and content (BER-TLV for field 55, track 2 structure for field 35). Used on both paths: the
 * encoder before writing, the decoder after reading. Never echoes the value.
 */
export function checkFieldValue(
  dialect: ISO8583Dialect,
  field: number,
  spec: ISO8583FieldSpec,
  value: unknown,
  offset?: number,
): ISO8583FieldValue {
  const label = fieldLabel(field, spec);
  const details = offset === undefined ? { field } : { field, offset };
  const invalid = (message: string, cause?: unknown) =>
    iso8583Error(ISO8583ErrorCode.fieldInvalid, `${label}: ${message}`, details, cause);
  const binary = spec.format === 'b';
  if (binary ? !(value instanceof Uint8Array) : typeof value !== 'string') {
    throw invalid(binary ? 'expected bytes' : 'expected text');
  }
  const checked = value as ISO8583FieldValue;
  const unit = binary ? 'bytes' : spec.format === 'n' || spec.format === 'z' ? 'digits' : 'characters';
  if (spec.lengthType === 'fixed' ? checked.length !== spec.length : checked.length > spec.length) {
    const expected = spec.lengthType === 'fixed' ? `exactly ${spec.length}` : `at most ${spec.length}`;
    throw invalid(`expected ${expected} ${unit}, received ${checked.length}`);
  }
  if (typeof checked === 'string' && spec.format !== 'b' && !charsetOf(dialect, spec.format).test(checked)) {
    throw invalid(`expected ${describeCharset(dialect, spec.format)} only`);
  }
  try {
    if (spec.content === 'tlv' && checked instanceof Uint8Array) decodeTLV(checked, { padding: 'reject' });
    if (spec.content === 'track2' && typeof checked === 'string') parseTrack2(checked);
  } catch (error) {
    if (!isTesseraError(error)) throw error;
    throw invalid(spec.content === 'tlv' ? `not well-formed BER-TLV: ${error.message}` : error.message, error);
  }
  return checked;
}

// --- Encoding -------------------------------------------------------------------------------------

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Packs digits (and D) two a byte. `padLeft` puts the odd pad nibble (0) first; otherwise it is a trailing F. */
function packBCD(text: string, padLeft: boolean): Uint8Array {
  const odd = text.length % 2 === 1;
  const nibbles: number[] = [];
  if (odd && padLeft) nibbles.push(0);
  for (let i = 0; i < text.length; i++) {
    const character = text.charAt(i);
    nibbles.push(character === 'D' ? BCD_SEPARATOR_NIBBLE : character.charCodeAt(0) - 0x30);
  }
  if (odd && !padLeft) nibbles.push(BCD_PAD_NIBBLE);
  const out = new Uint8Array(nibbles.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = ((nibbles[2 * i] as number) << 4) | (nibbles[2 * i + 1] as number);
  return out;
}

export function encodeLengthPrefix(dialect: ISO8583Dialect, spec: ISO8583FieldSpec, length: number): Uint8Array {
  const prefixBytes = lengthPrefixBytes(dialect, spec);
  if (prefixBytes === 0) return new Uint8Array(0);
  const digits = spec.lengthType === 'LLVAR' ? 2 : 3;
  const text = String(length).padStart(digits, '0');
  return dialect.lengthPrefix === 'ascii' ? asciiBytes(text) : packBCD(text, true);
}

/** The value's bytes on the wire, after `checkFieldValue` accepted it. */
export function encodeFieldValue(dialect: ISO8583Dialect, spec: ISO8583FieldSpec, value: ISO8583FieldValue): Uint8Array {
  if (value instanceof Uint8Array) return dialect.binary === 'hex' ? asciiBytes(toHex(value)) : new Uint8Array(value);
  if ((spec.format === 'n' || spec.format === 'z') && dialect.numeric === 'bcd') return packBCD(value, spec.format === 'n');
  return asciiBytes(value);
}

export function encodeMTI(dialect: ISO8583Dialect, mti: string): Uint8Array {
  return dialect.mti === 'bcd' ? packBCD(mti, true) : asciiBytes(mti);
}

export function encodeBitmapBytes(dialect: ISO8583Dialect, bitmap: Uint8Array): Uint8Array {
  return dialect.bitmap === 'hex' ? asciiBytes(toHex(bitmap)) : bitmap;
}

// --- Decoding -------------------------------------------------------------------------------------

/** Where the decoder is in the received message; `take` is the only way forward. */
export interface Cursor {
  readonly bytes: Uint8Array;
  offset: number;
}

export function take(cursor: Cursor, count: number, what: string, field?: number): Uint8Array {
  const available = cursor.bytes.length - cursor.offset;
  if (count > available) {
    const details = field === undefined ? { offset: cursor.offset } : { field, offset: cursor.offset };
    throw iso8583Error(ISO8583ErrorCode.truncated, `${what} needs ${count} bytes but ${available} remain`, details);
  }
  const start = cursor.offset;
  cursor.offset += count;
  return cursor.bytes.subarray(start, cursor.offset);
}

export function asciiText(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/**
 * Unpacks BCD into `digits` characters. `padLeft`: an odd count has a leading 0 nibble (n);
 * otherwise a trailing F nibble (z), and nibble D reads as 'D'. Returns undefined for any other
 * nibble, so the caller can name what it was reading.
 */
export function unpackBCD(bytes: Uint8Array, digits: number, padLeft: boolean, allowSeparator: boolean): string | undefined {
  const nibbleCount = bytes.length * 2;
  const padAt = digits % 2 === 0 ? -1 : padLeft ? 0 : nibbleCount - 1;
  let text = '';
  for (let i = 0; i < nibbleCount; i++) {
    const byte = bytes[i >> 1] as number;
    const nibble = (i & 1) === 0 ? byte >> 4 : byte & 0x0f;
    if (i === padAt) {
      if (nibble !== (padLeft ? 0 : BCD_PAD_NIBBLE)) return undefined;
    } else if (nibble <= 9) {
      text += String.fromCharCode(0x30 + nibble);
    } else if (allowSeparator && nibble === BCD_SEPARATOR_NIBBLE) {
      text += 'D';
    } else {
      return undefined;
    }
  }
  return text;
}

/** Reads hex digits (either case) into bytes; undefined for anything else. */
export function hexTextToBytes(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length % 2 !== 0) return undefined;
  const out = new Uint8Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = HEX_DIGITS.indexOf(String.fromCharCode(bytes[2 * i] as number).toUpperCase());
    const low = HEX_DIGITS.indexOf(String.fromCharCode(bytes[2 * i + 1] as number).toUpperCase());
    if (high < 0 || low < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}

/** Reads a field's length prefix (or its fixed length) and checks it against the spec. */
export function readFieldLength(cursor: Cursor, dialect: ISO8583Dialect, field: number, spec: ISO8583FieldSpec): number {
  if (spec.lengthType === 'fixed') return spec.length;
  const label = fieldLabel(field, spec);
  const start = cursor.offset;
  const prefix = take(cursor, lengthPrefixBytes(dialect, spec), `the length prefix of ${label}`, field);
  const digits = spec.lengthType === 'LLVAR' ? 2 : 3;
  const text = dialect.lengthPrefix === 'ascii' ? asciiText(prefix) : unpackBCD(prefix, prefix.length * 2, true, false);
  if (text === undefined || !/^[0-9]+$/.test(text) || (dialect.lengthPrefix === 'bcd' && text.length > digits && text.charAt(0) !== '0')) {
    throw iso8583Error(ISO8583ErrorCode.fieldInvalid, `${label}: the length prefix is not ${digits} decimal digits`, { field, offset: start });
  }
  const length = Number(text);
  if (length > spec.length) {
    throw iso8583Error(ISO8583ErrorCode.fieldInvalid, `${label}: the length prefix states ${length}, the field holds at most ${spec.length}`, { field, offset: start });
  }
  return length;
}

/** Reads one field's value (after its length) and checks it against the spec. */
export function readFieldValue(cursor: Cursor, dialect: ISO8583Dialect, field: number, spec: ISO8583FieldSpec, length: number): ISO8583FieldValue {
  const label = fieldLabel(field, spec);
  const start = cursor.offset;
  const wire = take(cursor, fieldValueBytes(dialect, spec, length), label, field);
  let value: ISO8583FieldValue | undefined;
  if (spec.format === 'b') {
    value = dialect.binary === 'hex' ? hexTextToBytes(wire) : new Uint8Array(wire);
  } else if ((spec.format === 'n' || spec.format === 'z') && dialect.numeric === 'bcd') {
    value = unpackBCD(wire, length, spec.format === 'n', spec.format === 'z');
  } else {
    value = asciiText(wire);
  }
  if (value === undefined) {
    const expected = spec.format === 'b' ? 'hex digits' : 'BCD digits with the expected pad nibble';
    throw iso8583Error(ISO8583ErrorCode.fieldInvalid, `${label}: expected ${expected}`, { field, offset: start });
  }
  return checkFieldValue(dialect, field, spec, value, start);
}
