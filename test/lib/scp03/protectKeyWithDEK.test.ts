import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  computeAESKeyCheckValue,
  decodeAESKeyDataField,
  decryptKeyWithDEK,
  encodeAESKeyDataField,
  encryptKeyWithDEK,
} from '../../../src/lib/scp03/index.js';
import { isTesseraErrorWithCode } from './fixtures.js';
import { flipBit } from './helpers.js';

const aesKey = fc.constantFrom(16, 24, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));

describe('PUT KEY: AES keys under K-DEK', () => {
  it('encrypts a one-block key as AES-CBC with a zero ICV, i.e. AES-ECB of the block (SP 800-38A F.1.1 vector of the primitive)', () => {
    // Not a PUT KEY transcript (we found none with SCP03 AES keys): the primitive's published vector.
    const keyData = encryptKeyWithDEK(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'), fromHex('6BC1BEE22E409F96E93D7E117393172A'));
    assert.equal(toHex(keyData), '103AD77BB40D7A3660A89ECAF32466EF97');
    const bare = decryptKeyWithDEK(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'), keyData.subarray(1));
    assert.equal(toHex(bare), '6BC1BEE22E409F96E93D7E117393172A', 'the bare form pySim sends reads the same');
  });

  it('sends every key as its length byte and whole padded blocks', () => {
    for (const [length, expected] of [[16, 17], [24, 33], [32, 33]] as const) {
      const keyData = encryptKeyWithDEK(new Uint8Array(16).fill(1), new Uint8Array(length).fill(2));
      assert.equal(keyData.length, expected);
      assert.equal(keyData[0], length);
    }
  });

  it('decrypts what it encrypts, for every AES key and K-DEK size (property)', () => {
    fc.assert(
      fc.property(aesKey, aesKey, (dek, key) => {
        assert.equal(toHex(decryptKeyWithDEK(dek, encryptKeyWithDEK(dek, key))), toHex(key));
        const decoded = decodeAESKeyDataField(dek, encodeAESKeyDataField(dek, key));
        assert.ok(decoded.ok);
        assert.equal(toHex(decoded.key), toHex(key));
      }),
      { numRuns: 100 },
    );
  });

  it("lays out the key data field as '88' || length || block || '03' || KCV", () => {
    const dek = fromHex('202122232425262728292A2B2C2D2E2F');
    const key = fromHex('000102030405060708090A0B0C0D0E0F');
    const field = encodeAESKeyDataField(dek, key);
    assert.equal(toHex(field.subarray(0, 3)), '881110');
    assert.equal(toHex(field.subarray(19)), '03C35280', 'KCV from pySim SCP03_KCV_Test');
    const decoded = decodeAESKeyDataField(dek, field);
    assert.ok(decoded.ok);
    assert.equal(decoded.lengthBytes, field.length);
  });

  it('refuses a wrong key check value (9485), another key type (9484) and a truncated field (6A80)', () => {
    const dek = new Uint8Array(16).fill(7);
    const field = encodeAESKeyDataField(dek, new Uint8Array(16).fill(9));
    assert.deepEqual(decodeAESKeyDataField(dek, flipBit(field, -1)), { ok: false, reason: 'keyCheckValueInvalid', sw: 0x9485 });
    assert.deepEqual(decodeAESKeyDataField(dek, flipBit(field, 5)), { ok: false, reason: 'keyCheckValueInvalid', sw: 0x9485 });
    const des = new Uint8Array(field);
    des[0] = 0x80;
    assert.deepEqual(decodeAESKeyDataField(dek, des), { ok: false, reason: 'keyTypeNotAES', sw: 0x9484 });
    assert.deepEqual(decodeAESKeyDataField(dek, field.subarray(0, field.length - 1)), { ok: false, reason: 'malformed', sw: 0x6a80 });
    assert.deepEqual(decodeAESKeyDataField(dek, new Uint8Array(0)), { ok: false, reason: 'malformed', sw: 0x6a80 });
  });

  it('refuses keys that are not AES keys', () => {
    assert.throws(() => encryptKeyWithDEK(new Uint8Array(16), new Uint8Array(8)), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
    assert.throws(() => computeAESKeyCheckValue(new Uint8Array(15)), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
    assert.throws(() => decryptKeyWithDEK(new Uint8Array(16), new Uint8Array(48)), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
    assert.throws(() => decryptKeyWithDEK(new Uint8Array(16), new Uint8Array(20)), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
    const tooLong = encryptKeyWithDEK(new Uint8Array(16), new Uint8Array(16));
    tooLong[0] = 0x11;
    assert.throws(() => decryptKeyWithDEK(new Uint8Array(16), tooLong), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
  });
});
