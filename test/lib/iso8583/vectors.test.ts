import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  decodeBitmap, decodeISO8583, encodeBitmap, encodeISO8583, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, listBitmapBits,
  type ISO8583Dialect, type ISO8583FieldValue,
} from '../../../src/lib/iso8583/index.js';
import { loadFixture } from './helpers.js';

interface BitmapVector {
  readonly source: string;
  readonly bitmap: string;
  readonly firstField: number;
  readonly fields: readonly number[];
}
interface MessageVector {
  readonly source: string;
  readonly dialect: 'ascii' | 'bcd';
  readonly overrides?: { readonly bitmap?: 'binary'; readonly field39?: 'b' };
  readonly hex: string;
  readonly mti: string;
  readonly fields: Readonly<Record<string, string>>;
}

const bitmaps = loadFixture<{ vectors: BitmapVector[] }>('bitmaps.json').vectors;
const messages = loadFixture<{ vectors: MessageVector[] }>('messages.json').vectors;

/** The dialect a published message was written in: a built-in one, adjusted as the fixture says (dialects are data). */
function dialectOf(vector: MessageVector): ISO8583Dialect {
  const base = vector.dialect === 'ascii' ? ISO8583_ASCII_DIALECT : ISO8583_BCD_DIALECT;
  if (vector.overrides === undefined) return base;
  let dialect: ISO8583Dialect = { ...base, name: `${base.name}-published` };
  if (vector.overrides.bitmap !== undefined) dialect = { ...dialect, bitmap: vector.overrides.bitmap };
  if (vector.overrides.field39 === 'b') {
    // EBCDIC text is outside the built-in dialects; reading field 39 as 2 raw bytes keeps the rest checked.
    dialect = { ...dialect, fields: { ...dialect.fields, 39: { name: 'Response code (EBCDIC)', format: 'b', lengthType: 'fixed', length: 2 } } };
  }
  return dialect;
}

function expectedFields(vector: MessageVector, dialect: ISO8583Dialect): Map<number, ISO8583FieldValue> {
  return new Map(Object.entries(vector.fields).map(([key, value]) => {
    const field = Number(key);
    return [field, dialect.fields[field]?.format === 'b' ? fromHex(value) : value];
  }));
}

describe('ISO 8583 bitmaps against published examples', () => {
  for (const vector of bitmaps) {
    it(`${vector.bitmap} names fields ${vector.fields.join(', ')}`, () => {
      const bytes = fromHex(vector.bitmap);
      assert.deepEqual(listBitmapBits(bytes, vector.firstField), vector.fields, vector.source);
      if (vector.firstField !== 1) return;
      const dataElements = vector.fields.filter((field) => field !== 1);
      const hasSecondary = vector.fields.includes(1);
      if (hasSecondary === (bytes.length === 16)) {
        assert.deepEqual(decodeBitmap(bytes), dataElements);
      }
      // Our encoder writes the same bitmap whenever bit 1 agrees with the fields (not so for "8000000000000001" alone).
      if (hasSecondary === dataElements.some((field) => field > 64) && hasSecondary === (bytes.length === 16)) {
        assert.equal(toHex(encodeBitmap(dataElements)), vector.bitmap);
      }
    });
  }

  it('the Wikipedia example explained bit by bit: 42 is fields 2 and 7, C0 is 41 and 42', () => {
    assert.deepEqual(listBitmapBits(fromHex('42')), [2, 7]);
    assert.deepEqual(listBitmapBits(fromHex('C0'), 41), [41, 42]);
  });
});

describe('ISO 8583 messages against published examples', () => {
  for (const vector of messages) {
    it(`decodes and re-encodes the ${vector.mti} of ${vector.source.split(':')[0] ?? ''}`, () => {
      const dialect = dialectOf(vector);
      const decoded = decodeISO8583(fromHex(vector.hex), dialect);
      assert.equal(decoded.mti, vector.mti);
      assert.deepEqual(decoded.fields, expectedFields(vector, dialect));
      assert.deepEqual([...decoded.fields.keys()], [...decoded.fields.keys()].sort((a, b) => a - b), 'fields come in ascending order');
      assert.equal(toHex(encodeISO8583(decoded, dialect)), vector.hex);
      assert.equal(toHex(encodeISO8583({ mti: vector.mti, fields: expectedFields(vector, dialect) }, dialect)), vector.hex);
    });
  }

  it('the published 0800 of Stack Overflow 21282257 in the BCD dialect is the same message as in the ASCII dialect', () => {
    const vector = messages.find((candidate) => candidate.source.includes('21282257'));
    assert.ok(vector);
    const decoded = decodeISO8583(fromHex(vector.hex), ISO8583_BCD_DIALECT);
    const ascii = encodeISO8583(decoded, ISO8583_ASCII_DIALECT);
    assert.equal(Buffer.from(ascii).toString('latin1'), '08002020000000800000' + '000000' + '000001' + '29110001');
    assert.deepEqual(decodeISO8583(ascii, ISO8583_ASCII_DIALECT), decoded);
  });
});
