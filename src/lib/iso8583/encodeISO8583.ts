import assert from 'node:assert/strict';
import { concatBytes } from '../bytes.js';
import { encodeBitmap } from './bitmap.js';
import { defineISO8583Dialect } from './dialects.js';
import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { checkFieldValue, encodeBitmapBytes, encodeFieldValue, encodeLengthPrefix, encodeMTI } from './fieldCodec.js';
import { ISO8583_MESSAGE_BYTES_MAX } from './limits.js';
import { checkMTI } from './mti.js';
import type { ISO8583Dialect, ISO8583Message } from './types.js';

/**
 * Encodes a message in a dialect (ISO 8583:1987 §4): MTI, primary bitmap, the secondary bitmap
 * only when a field 65-128 is present, then the fields in ascending order, each with its length
 * prefix when it is variable. Every value is checked against its spec first; nothing is padded
 * or truncated for the caller (a fixed field must already have its exact length), so that
 * `decodeISO8583(encodeISO8583(m))` gives `m` back.
 *
 * Failures are TesseraErrors naming the field: ERR_ISO8583_MTI, ERR_ISO8583_FIELD_UNDEFINED,
 * ERR_ISO8583_FIELD_INVALID.
 */
export function encodeISO8583(message: ISO8583Message, dialect: ISO8583Dialect): Uint8Array {
  defineISO8583Dialect(dialect);
  const mti = checkMTI(message.mti);
  const fieldNumbers = [...message.fields.keys()].sort((a, b) => a - b);
  const bitmap = encodeBitmap(fieldNumbers);
  const parts: Uint8Array[] = [encodeMTI(dialect, mti), encodeBitmapBytes(dialect, bitmap)];
  for (const field of fieldNumbers) {
    const spec = dialect.fields[field];
    if (spec === undefined) {
      throw iso8583Error(ISO8583ErrorCode.fieldUndefined, `field ${field} is not defined in the ${dialect.name} dialect`, { field });
    }
    const value = checkFieldValue(dialect, field, spec, message.fields.get(field));
    parts.push(encodeLengthPrefix(dialect, spec, value.length), encodeFieldValue(dialect, spec, value));
  }
  const encoded = concatBytes(...parts);
  // defineISO8583Dialect checked that the dialect's worst case fits, so this cannot fail.
  assert.ok(encoded.length <= ISO8583_MESSAGE_BYTES_MAX, 'an encoded message fits ISO8583_MESSAGE_BYTES_MAX');
  return encoded;
}
