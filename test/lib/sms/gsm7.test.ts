import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  countGSM7Septets, decodeGSM7, encodeGSM7, isGSM7Encodable, packGSM7, unpackGSM7,
} from '../../../src/lib/sms/index.js';

interface AlphabetFixture {
  readonly source: string;
  readonly basic: Readonly<Record<string, string>>;
  readonly extension: Readonly<Record<string, string>>;
  readonly receiverRules: readonly { septets: string; text: string }[];
}
interface PackingFixture {
  readonly source: string;
  readonly vectors: readonly { name: string; source: string; text: string; septets: number; fillBits: number; packed: string; packedOnAir?: string }[];
}

const alphabet = JSON.parse(readFileSync(new URL('../../fixtures/sms/gsm7-alphabet.json', import.meta.url), 'utf8')) as AlphabetFixture;
const packing = JSON.parse(readFileSync(new URL('../../fixtures/sms/gsm7-packing.json', import.meta.url), 'utf8')) as PackingFixture;

const GSM7_CHARS = [...Object.values(alphabet.basic), ...Object.values(alphabet.extension)];

function isSmsError(error: unknown): boolean {
  return error instanceof TesseraError && error.code.startsWith('ERR_SMS_');
}

describe('GSM 7-bit alphabet (3GPP TS 23.038 §6.2.1)', () => {
  it('maps every septet of the published basic table both ways', () => {
    assert.equal(Object.keys(alphabet.basic).length, 127, 'all of 0x00-0x7F but the escape');
    for (const [hex, char] of Object.entries(alphabet.basic)) {
      assert.equal(toHex(encodeGSM7(char)), hex, `encode ${JSON.stringify(char)}`);
      assert.equal(decodeGSM7(fromHex(hex)), char, `decode ${hex}`);
    }
  });

  it('reaches the extension table through the escape 0x1B', () => {
    for (const [hex, char] of Object.entries(alphabet.extension)) {
      assert.equal(toHex(encodeGSM7(char)), `1B${hex}`, `encode ${JSON.stringify(char)}`);
      assert.equal(decodeGSM7(fromHex(`1B${hex}`)), char);
    }
    assert.equal(countGSM7Septets('€10 [x]'), 10);
  });

  it('follows the receiver rules for undefined escapes', () => {
    for (const { septets, text } of alphabet.receiverRules) assert.equal(decodeGSM7(fromHex(septets)), text);
  });

  it('refuses characters outside the alphabet and values that are not septets', () => {
    assert.equal(isGSM7Encodable('你好'), false);
    assert.equal(countGSM7Septets('a你'), undefined);
    assert.throws(() => encodeGSM7('price: 5 ₽'), (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMS_UNENCODABLE');
    assert.throws(() => decodeGSM7(Uint8Array.of(0x41, 0x80)), (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMS_MALFORMED');
  });
});

describe('septet packing (TS 23.038 §6.1.2.1.1)', () => {
  for (const vector of packing.vectors) {
    it(`packs and unpacks the published example: ${vector.name}`, () => {
      const septets = encodeGSM7(vector.text);
      assert.equal(septets.length, vector.septets);
      assert.equal(toHex(packGSM7(septets, vector.fillBits)), vector.packed);
      assert.equal(decodeGSM7(unpackGSM7(fromHex(vector.packedOnAir ?? vector.packed), vector.septets, vector.fillBits)), vector.text);
    });
  }

  it('refuses to unpack more septets than the octets hold', () => {
    assert.throws(() => unpackGSM7(fromHex('E832'), 3), isSmsError);
  });
});

describe('GSM 7-bit properties', () => {
  const gsmText = fc.array(fc.constantFrom(...GSM7_CHARS), { maxLength: 300 }).map((chars) => chars.join(''));

  it('decode(encode(x)) = x', () => {
    fc.assert(fc.property(gsmText, (text) => decodeGSM7(encodeGSM7(text)) === text));
  });

  it('unpack(pack(septets)) = septets for any fill', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }).map((bytes) => bytes.map((byte) => byte & 0x7f)), fc.integer({ min: 0, max: 6 }), (septets, fill) => {
      assert.deepEqual(unpackGSM7(packGSM7(septets, fill), septets.length, fill), septets);
    }));
  });

  it('random bytes never throw anything but a TesseraError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 400 }), fc.integer({ min: 0, max: 7 }), (bytes, count, fill) => {
      for (const action of [() => decodeGSM7(bytes), () => unpackGSM7(bytes, count, fill), () => packGSM7(bytes, fill)]) {
        try {
          action();
        } catch (error) {
          assert.ok(isSmsError(error), String(error));
        }
      }
    }));
  });
});
