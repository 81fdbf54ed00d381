import assert from 'node:assert/strict';
import { ISO8583_1987_FIELDS } from './fields1987.js';
import {
  ISO8583_BITMAP_BYTES, ISO8583_FIELD_NUMBER_MAX, ISO8583_LLLVAR_LENGTH_MAX, ISO8583_LLVAR_LENGTH_MAX,
  ISO8583_MESSAGE_BYTES_MAX,
} from './limits.js';
import type { ISO8583Dialect, ISO8583FieldSpec } from './types.js';

/**
 * Dialects are data: a dialect says how the MTI, bitmaps, lengths, numbers and bytes are written,
 * and which fields exist. docs/iso8583.md describes the two built in here.
 */

const checkedDialects = new WeakSet<ISO8583Dialect>();

/** Bytes a value of `length` units (digits, characters or bytes, as the format counts) takes on the wire. */
export function fieldValueBytes(dialect: ISO8583Dialect, spec: ISO8583FieldSpec, length: number): number {
  switch (spec.format) {
    case 'n':
    case 'z':
      return dialect.numeric === 'bcd' ? Math.ceil(length / 2) : length;
    case 'b':
      return dialect.binary === 'hex' ? 2 * length : length;
    case 'a':
    case 'an':
    case 'ans':
      return length;
  }
}

/** Bytes of a field's length prefix. */
export function lengthPrefixBytes(dialect: ISO8583Dialect, spec: ISO8583FieldSpec): number {
  switch (spec.lengthType) {
    case 'fixed':
      return 0;
    case 'LLVAR':
      return dialect.lengthPrefix === 'bcd' ? 1 : 2;
    case 'LLLVAR':
      return dialect.lengthPrefix === 'bcd' ? 2 : 3;
  }
}

/** Longest encoding the dialect allows: MTI, both bitmaps and every field at its maximum length. */
export function worstCaseMessageBytes(dialect: ISO8583Dialect): number {
  let total = (dialect.mti === 'bcd' ? 2 : 4) + 2 * (dialect.bitmap === 'hex' ? 2 * ISO8583_BITMAP_BYTES : ISO8583_BITMAP_BYTES);
  for (let field = 2; field <= ISO8583_FIELD_NUMBER_MAX; field++) {
    const spec = dialect.fields[field];
    if (spec !== undefined) total += lengthPrefixBytes(dialect, spec) + fieldValueBytes(dialect, spec, spec.length);
  }
  return total;
}

/**
 * Checks a dialect once (programmer errors, hence assertions): field numbers 2-128 but not 65
 * (the tertiary bitmap indicator of ISO 8583:1987), lengths within what their prefix can state,
 * the contents on the formats they need, and a worst case within ISO8583_MESSAGE_BYTES_MAX.
 * Returns the dialect. The codec calls it on every dialect it is handed; checks after
 * the first are a WeakSet lookup.
 */
export function defineISO8583Dialect(dialect: ISO8583Dialect): ISO8583Dialect {
  if (checkedDialects.has(dialect)) return dialect;
  assert.ok(/^[a-z0-9-]+$/.test(dialect.name), `dialect name ${dialect.name} is lower-case letters, digits and dashes`);
  for (const key of Object.keys(dialect.fields)) {
    const field = Number(key);
    const spec = dialect.fields[field];
    assert.ok(spec !== undefined, `field ${key} has a spec`);
    assert.ok(Number.isInteger(field) && field >= 2 && field <= ISO8583_FIELD_NUMBER_MAX, `field number ${key} is 2 to 128`);
    assert.notEqual(field, 65, 'field 65 is the tertiary bitmap indicator, not a data element');
    assert.ok(Number.isInteger(spec.length) && spec.length >= 1, `field ${field} has a positive length`);
    if (spec.lengthType === 'LLVAR') assert.ok(spec.length <= ISO8583_LLVAR_LENGTH_MAX, `field ${field}: LLVAR up to 99`);
    if (spec.lengthType === 'LLLVAR') assert.ok(spec.length <= ISO8583_LLLVAR_LENGTH_MAX, `field ${field}: LLLVAR up to 999`);
    if (spec.content === 'tlv') assert.equal(spec.format, 'b', `field ${field}: BER-TLV content is binary`);
    if (spec.content === 'track2') assert.equal(spec.format, 'z', `field ${field}: track 2 content is format z`);
  }
  const worstCase = worstCaseMessageBytes(dialect);
  assert.ok(worstCase <= ISO8583_MESSAGE_BYTES_MAX, `dialect ${dialect.name}: worst case ${worstCase} bytes exceeds the limit`);
  checkedDialects.add(dialect);
  return dialect;
}

/**
 * All text: MTI, lengths and numbers as ASCII digits, the bitmaps as 16 upper-case hex digits
 * each, binary fields as upper-case hex. A message in this dialect is printable end to end, which
 * is what test tools and many host-to-host links (jPOS's ISO87APackager family) use.
 */
export const ISO8583_ASCII_DIALECT: ISO8583Dialect = defineISO8583Dialect(Object.freeze({
  name: 'ascii',
  description: 'ISO 8583:1987, all ASCII: digits as text, LL/LLL as ASCII digits, bitmaps as 16 hex digits, binary fields as hex',
  mti: 'ascii',
  bitmap: 'hex',
  lengthPrefix: 'ascii',
  numeric: 'ascii',
  binary: 'hex',
  fields: ISO8583_1987_FIELDS,
}));

/**
 * Packed: MTI, lengths and numbers in BCD, bitmaps and binary fields as bytes, text fields in
 * ASCII. This is the layout POS terminals and most card-network links use (jPOS's
 * ISO87BPackager family): it is compact, and a PAN takes 10 bytes rather than 19.
 */
export const ISO8583_BCD_DIALECT: ISO8583Dialect = defineISO8583Dialect(Object.freeze({
  name: 'bcd',
  description: 'ISO 8583:1987, packed: MTI, LL/LLL and numeric fields in BCD, bitmaps and binary fields as bytes, text in ASCII',
  mti: 'bcd',
  bitmap: 'binary',
  lengthPrefix: 'bcd',
  numeric: 'bcd',
  binary: 'raw',
  fields: ISO8583_1987_FIELDS,
}));

export const ISO8583_DIALECTS: Readonly<Record<string, ISO8583Dialect>> = Object.freeze({
  ascii: ISO8583_ASCII_DIALECT,
  bcd: ISO8583_BCD_DIALECT,
});
