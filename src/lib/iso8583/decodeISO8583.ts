import { copyBytes } from '../bytes.js';
import { decodeBitmap } from './bitmap.js';
import { defineISO8583Dialect } from './dialects.js';
import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { asciiText, hexTextToBytes, readFieldLength, readFieldValue, take, unpackBCD, type Cursor } from './fieldCodec.js';
import { ISO8583_BITMAP_BYTES, ISO8583_MESSAGE_BYTES_MAX } from './limits.js';
import { checkMTI } from './mti.js';
import type { ISO8583Dialect, ISO8583FieldValue, ISO8583Message } from './types.js';

function readMTI(cursor: Cursor, dialect: ISO8583Dialect): string {
  const start = cursor.offset;
  const wire = take(cursor, dialect.mti === 'bcd' ? 2 : 4, 'the MTI');
  const mti = dialect.mti === 'bcd' ? unpackBCD(wire, 4, true, false) : asciiText(wire);
  try {
    return checkMTI(mti);
  } catch {
    throw iso8583Error(ISO8583ErrorCode.mti, 'the MTI is not four decimal digits of ISO 8583:1987 (version 0)', { offset: start });
  }
}

function readOneBitmap(cursor: Cursor, dialect: ISO8583Dialect, which: string): Uint8Array {
  const start = cursor.offset;
  if (dialect.bitmap === 'binary') return take(cursor, ISO8583_BITMAP_BYTES, `the ${which} bitmap`);
  const bitmap = hexTextToBytes(take(cursor, 2 * ISO8583_BITMAP_BYTES, `the ${which} bitmap`));
  if (bitmap === undefined) throw iso8583Error(ISO8583ErrorCode.bitmap, `the ${which} bitmap is not 16 hex digits`, { offset: start });
  return bitmap;
}

/**
 * Decodes a message in a dialect; the inverse of `encodeISO8583`. Reads the MTI, the primary
 * bitmap, the secondary bitmap when bit 1 is set, then each field the bitmaps name, in order.
 *
 * Fails closed, with a TesseraError whose `details` give the field and the offset:
 * ERR_ISO8583_LIMIT (over ISO8583_MESSAGE_BYTES_MAX), ERR_ISO8583_MTI, ERR_ISO8583_BITMAP (bad
 * hex; bit 1 set but no field 65-128), ERR_ISO8583_FIELD_UNDEFINED (a bit for a field the
 * dialect does not define: its length could not even be known), ERR_ISO8583_TRUNCATED,
 * ERR_ISO8583_FIELD_INVALID (prefix, length, character set, padding, BER-TLV, track 2) and
 * ERR_ISO8583_TRAILING_BYTES. No recursion: one loop over at most 127 fields.
 *
 * The input is copied once; binary values are fresh arrays.
 */
export function decodeISO8583(received: Uint8Array, dialect: ISO8583Dialect): ISO8583Message {
  defineISO8583Dialect(dialect);
  if (received.length > ISO8583_MESSAGE_BYTES_MAX) {
    throw iso8583Error(ISO8583ErrorCode.limit, `${received.length} bytes exceed the message limit of ${ISO8583_MESSAGE_BYTES_MAX}`);
  }
  const cursor: Cursor = { bytes: copyBytes(received), offset: 0 };
  const mti = readMTI(cursor, dialect);
  const bitmapStart = cursor.offset;
  const primary = readOneBitmap(cursor, dialect, 'primary');
  const hasSecondary = ((primary[0] as number) & 0x80) !== 0;
  const bitmap = new Uint8Array(hasSecondary ? 2 * ISO8583_BITMAP_BYTES : ISO8583_BITMAP_BYTES);
  bitmap.set(primary);
  if (hasSecondary) bitmap.set(readOneBitmap(cursor, dialect, 'secondary'), ISO8583_BITMAP_BYTES);
  let fieldNumbers: number[];
  try {
    fieldNumbers = decodeBitmap(bitmap);
  } catch (error) {
    throw iso8583Error(ISO8583ErrorCode.bitmap, 'bit 1 is set but the secondary bitmap names no field 65-128', { offset: bitmapStart }, error);
  }

  const fields = new Map<number, ISO8583FieldValue>();
  for (const field of fieldNumbers) {
    const spec = dialect.fields[field];
    if (spec === undefined) {
      throw iso8583Error(
        ISO8583ErrorCode.fieldUndefined,
        `the bitmap names field ${field}, which the ${dialect.name} dialect does not define`,
        { field, offset: bitmapStart },
      );
    }
    const length = readFieldLength(cursor, dialect, field, spec);
    fields.set(field, readFieldValue(cursor, dialect, field, spec, length));
  }
  if (cursor.offset !== cursor.bytes.length) {
    throw iso8583Error(
      ISO8583ErrorCode.trailingBytes,
      `${cursor.bytes.length - cursor.offset} bytes follow the last field`,
      { offset: cursor.offset },
    );
  }
  return { mti, fields };
}
