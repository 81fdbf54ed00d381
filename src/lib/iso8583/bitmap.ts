import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { ISO8583_BITMAP_BYTES, ISO8583_FIELD_NUMBER_MAX, ISO8583_PRIMARY_FIELD_NUMBER_MAX } from './limits.js';

/**
 * Bitmaps (ISO 8583:1987 §4.3): bit 1 is the most significant bit of the first byte and stands
 * for field 1, bit 64 the least significant bit of the eighth byte. Bit 1 of the primary bitmap
 * says a secondary bitmap (fields 65-128) follows; the secondary bitmap is data element 1.
 */

/**
 * The bitmap for a set of data elements 2-128: 8 bytes, or 16 when any field 65-128 is present
 * (then bit 1 is set). Field 1 is not a data element a caller sets, so it is refused.
 */
export function encodeBitmap(fieldNumbers: Iterable<number>): Uint8Array {
  const bits = new Uint8Array(2 * ISO8583_BITMAP_BYTES);
  let secondary = false;
  for (const field of fieldNumbers) {
    if (!Number.isInteger(field) || field < 2 || field > ISO8583_FIELD_NUMBER_MAX) {
      throw iso8583Error(ISO8583ErrorCode.fieldUndefined, `field ${field} cannot be set: data elements are 2 to 128 (1 is the secondary bitmap)`, { field });
    }
    const index = field - 1;
    bits[index >> 3] = (bits[index >> 3] as number) | (0x80 >> (index & 7));
    if (field > ISO8583_PRIMARY_FIELD_NUMBER_MAX) secondary = true;
  }
  if (!secondary) return bits.subarray(0, ISO8583_BITMAP_BYTES);
  bits[0] = (bits[0] as number) | 0x80;
  return bits;
}

/**
 * The data elements a bitmap names, ascending, without field 1. `bitmap` is the primary bitmap
 * (8 bytes) or the primary and secondary together (16 bytes); bit 1 must agree with its length,
 * and a secondary bitmap must name at least one field (the encoder never writes an empty one).
 */
export function decodeBitmap(bitmap: Uint8Array): number[] {
  if (bitmap.length !== ISO8583_BITMAP_BYTES && bitmap.length !== 2 * ISO8583_BITMAP_BYTES) {
    throw iso8583Error(ISO8583ErrorCode.bitmap, `a bitmap has 8 or 16 bytes, received ${bitmap.length}`);
  }
  const hasSecondary = ((bitmap[0] as number) & 0x80) !== 0;
  if (hasSecondary !== (bitmap.length === 2 * ISO8583_BITMAP_BYTES)) {
    throw iso8583Error(ISO8583ErrorCode.bitmap, hasSecondary ? 'bit 1 announces a secondary bitmap that is missing' : 'a secondary bitmap follows but bit 1 is clear');
  }
  const fields: number[] = [];
  for (let index = 1; index < bitmap.length * 8; index++) {
    if (((bitmap[index >> 3] as number) & (0x80 >> (index & 7))) !== 0) fields.push(index + 1);
  }
  if (hasSecondary && (fields.length === 0 || (fields.at(-1) as number) <= ISO8583_PRIMARY_FIELD_NUMBER_MAX)) {
    throw iso8583Error(ISO8583ErrorCode.bitmap, 'bit 1 is set but the secondary bitmap names no field 65-128');
  }
  return fields;
}

/**
 * The bits set in one bitmap, numbered from `firstField` (1 for a primary bitmap, 65 for a
 * secondary one), bit 1 included. A plain reading with no rule checked, for tools and for
 * checking published bitmaps one at a time.
 */
export function listBitmapBits(bitmap: Uint8Array, firstField = 1): number[] {
  const fields: number[] = [];
  for (let index = 0; index < bitmap.length * 8; index++) {
    if (((bitmap[index >> 3] as number) & (0x80 >> (index & 7))) !== 0) fields.push(firstField + index);
  }
  return fields;
}
