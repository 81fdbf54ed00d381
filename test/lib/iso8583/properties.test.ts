import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  buildTrack2, decodeISO8583, encodeISO8583, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, ISO8583_FIELD_NUMBER_MAX,
  type ISO8583Dialect, type ISO8583FieldSpec, type ISO8583FieldValue, type ISO8583Message,
} from '../../../src/lib/iso8583/index.js';
import { constructedNode, encodeTLV, primitiveNode, type TLVNode } from '../../../src/lib/tlv/index.js';

const DIALECTS: readonly ISO8583Dialect[] = [ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT];

function charsOf(characters: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...characters), minLength, maxLength });
}

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
let PRINTABLE = '';
for (let code = 0x20; code <= 0x7e; code++) PRINTABLE += String.fromCharCode(code);

function track2Arbitrary(dialect: ISO8583Dialect): fc.Arbitrary<string> {
  const separators = dialect.numeric === 'bcd' ? (['D'] as const) : (['=', 'D'] as const);
  return fc
    .record({
      pan: charsOf(DIGITS, 12, 19),
      year: fc.integer({ min: 0, max: 99 }),
      month: fc.integer({ min: 1, max: 12 }),
      serviceCode: charsOf(DIGITS, 3, 3),
      discretionaryData: charsOf(DIGITS, 0, 17),
      separator: fc.constantFrom(...separators),
    })
    .map(({ pan, year, month, serviceCode, discretionaryData, separator }) => {
      const room = 37 - pan.length - 1 - 7;
      return buildTrack2({
        pan,
        expiry: `${String(year).padStart(2, '0')}${String(month).padStart(2, '0')}`,
        serviceCode,
        discretionaryData: discretionaryData.slice(0, Math.max(0, room)),
        separator,
      });
    });
}

const EMV_TAGS = [0x9f26, 0x9f27, 0x9f10, 0x9f37, 0x9f36, 0x95, 0x9a, 0x9c, 0x9f02, 0x5f2a, 0x82, 0x9f1a, 0x9f33, 0x9f34, 0x84, 0x91];
const iccDataArbitrary: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...EMV_TAGS), fc.uint8Array({ maxLength: 16 })).map(([tag, value]): TLVNode => primitiveNode(tag, value)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((script): TLVNode => constructedNode(0x72, [primitiveNode(0x9f18, Uint8Array.of(0, 0, 0, 1)), primitiveNode(0x86, script)])) },
    ),
    { maxLength: 10 },
  )
  .map((nodes) => encodeTLV(nodes))
  .filter((bytes) => bytes.length <= 255);

function valueArbitrary(dialect: ISO8583Dialect, spec: ISO8583FieldSpec): fc.Arbitrary<ISO8583FieldValue> {
  const min = spec.lengthType === 'fixed' ? spec.length : 0;
  // Most variable fields short, now and then at their maximum, so prefixes of every width are exercised.
  const length = (): { minLength: number; maxLength: number } => ({ minLength: min, maxLength: spec.length });
  if (spec.content === 'track2') return track2Arbitrary(dialect);
  if (spec.content === 'tlv') return iccDataArbitrary;
  switch (spec.format) {
    case 'n': return charsOf(DIGITS, length().minLength, length().maxLength);
    case 'z': return charsOf(`${DIGITS}D`, length().minLength, length().maxLength);
    case 'a': return charsOf(`${LETTERS} `, length().minLength, length().maxLength);
    case 'an': return charsOf(`${LETTERS}${DIGITS} `, length().minLength, length().maxLength);
    case 'ans': return charsOf(PRINTABLE, length().minLength, Math.min(length().maxLength, spec.lengthType === 'fixed' ? spec.length : 120));
    case 'b': return fc.uint8Array(length());
  }
}

function messageArbitrary(dialect: ISO8583Dialect): fc.Arbitrary<ISO8583Message> {
  const numbers: number[] = [];
  for (let field = 2; field <= ISO8583_FIELD_NUMBER_MAX; field++) if (dialect.fields[field] !== undefined) numbers.push(field);
  const fieldArbitraries = numbers.map((field) =>
    fc.option(valueArbitrary(dialect, dialect.fields[field] as ISO8583FieldSpec), { nil: undefined, freq: 2 }));
  return fc
    .tuple(charsOf(DIGITS, 3, 3), fc.tuple(...fieldArbitraries))
    .map(([rest, values]) => {
      const fields = new Map<number, ISO8583FieldValue>();
      values.forEach((value, index) => {
        if (value !== undefined) fields.set(numbers[index] as number, value);
      });
      return { mti: `0${rest}`, fields };
    });
}

function assertOnlyTesseraErrors(bytes: Uint8Array, dialect: ISO8583Dialect): void {
  let decoded: ISO8583Message;
  try {
    decoded = decodeISO8583(bytes, dialect);
  } catch (error) {
    assert.ok(error instanceof TesseraError, `only TesseraErrors escape: ${String(error)}`);
    assert.match(error.code, /^ERR_ISO8583_/);
    return;
  }
  // What decodes is canonical: it encodes back to a message that decodes to the same thing,
  // byte for byte in the BCD dialect (the ASCII one also reads lower-case hex).
  const again = encodeISO8583(decoded, dialect);
  assert.deepEqual(decodeISO8583(again, dialect), decoded);
  if (dialect.bitmap === 'binary' && dialect.binary === 'raw') assert.deepEqual(again, bytes);
}

describe('ISO 8583 properties', () => {
  for (const dialect of DIALECTS) {
    it(`decode(encode(m)) = m for random valid messages (${dialect.name} dialect)`, () => {
      fc.assert(
        fc.property(messageArbitrary(dialect), (message) => {
          const encoded = encodeISO8583(message, dialect);
          assert.deepEqual(decodeISO8583(encoded, dialect), message);
        }),
        { numRuns: 300 },
      );
    });

    it(`random bytes never throw anything but a TesseraError (${dialect.name} dialect)`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => assertOnlyTesseraErrors(bytes, dialect)), { numRuns: 1000 });
    });

    it(`valid messages with bytes flipped, cut or added never throw anything but a TesseraError (${dialect.name} dialect)`, () => {
      const mutation = fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('flip', 'cut', 'insert', 'set-bit'),
        byte: fc.integer({ min: 0, max: 255 }),
        bit: fc.integer({ min: 0, max: 7 }),
      });
      fc.assert(
        fc.property(messageArbitrary(dialect), fc.array(mutation, { minLength: 1, maxLength: 3 }), (message, mutations) => {
          let bytes = encodeISO8583(message, dialect);
          for (const { at, kind, byte, bit } of mutations) {
            const index = bytes.length === 0 ? 0 : at % bytes.length;
            if (kind === 'cut') bytes = bytes.subarray(0, index);
            else if (kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, index), byte, ...bytes.subarray(index)]);
            else if (bytes.length > 0) {
              bytes = Uint8Array.from(bytes);
              bytes[index] = kind === 'flip' ? byte : (bytes[index] as number) ^ (1 << bit);
            }
          }
          assertOnlyTesseraErrors(bytes, dialect);
        }),
        { numRuns: 500 },
      );
    });
  }
});
