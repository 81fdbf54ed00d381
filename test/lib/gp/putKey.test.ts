import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  decodeAESKeyData, decodeKeyInformation, decodeKeyInformationTemplate, decodePutKeyData, decodePutKeyResponse,
  encodeAESKeyData, encodeKeyInformationTemplate, encodePutKeyData, encodePutKeyResponse, KeyType, putKeyP1, putKeyP2,
} from '../../../src/lib/gp/index.js';
import type { KeyInformation, PutKeyData } from '../../../src/lib/gp/index.js';
import { loadFixture, onlyTesseraErrors, throwsTessera } from './helpers.js';

interface PutKeyFixture {
  readonly vectors: readonly {
    readonly data: string;
    readonly keyVersionNumber: number;
    readonly keys: readonly { readonly keyType: string; readonly keyData: string; readonly keyCheckValue: string }[];
  }[];
  readonly berLengths: { readonly vectors: readonly { readonly keyDataBytes: number; readonly lengthField: string }[] };
}
type ExpectedKey = {
  readonly keyIdentifier: number;
  readonly keyVersionNumber: number;
  readonly components: readonly (readonly [string, number])[];
  readonly keyUsage?: string;
  readonly keyAccess?: string;
};
interface KeyInformationFixture {
  readonly templates: readonly { readonly source: string; readonly data: string; readonly expected: { readonly count: number; readonly keys: Readonly<Record<string, ExpectedKey>> } }[];
  readonly entries: { readonly vectors: readonly (ExpectedKey & { readonly data: string })[] };
}

const putKeyFixture = loadFixture<PutKeyFixture>('put-key.json');
const keyInformationFixture = loadFixture<KeyInformationFixture>('key-information.json');

function checkKey(key: KeyInformation | undefined, want: ExpectedKey): void {
  assert.ok(key);
  assert.equal(key.keyIdentifier, want.keyIdentifier);
  assert.equal(key.keyVersionNumber, want.keyVersionNumber);
  assert.deepEqual(key.components.map((c) => [c.keyType.toString(16).toUpperCase().padStart(2, '0'), c.lengthBytes]), want.components);
  if (want.keyUsage !== undefined) assert.equal(toHex(key.extended?.keyUsage ?? fromHex('FF')), want.keyUsage);
  if (want.keyAccess !== undefined) assert.equal(toHex(key.extended?.keyAccess ?? fromHex('FF')), want.keyAccess);
}

describe('PUT KEY data (GP 2.3 §11.8.2.3)', () => {
  it('decodes and re-encodes the pysim golden PUT KEY data fields (TLS PSK key over SCP02)', () => {
    for (const vector of putKeyFixture.vectors) {
      const data = decodePutKeyData(fromHex(vector.data));
      assert.equal(data.keyVersionNumber, vector.keyVersionNumber);
      assert.deepEqual(data.keys.map((k) => [k.keyType.toString(16).toUpperCase(), toHex(k.keyData), toHex(k.keyCheckValue)]),
        vector.keys.map((k) => [k.keyType, k.keyData.toUpperCase(), k.keyCheckValue.toUpperCase()]));
      assert.equal(toHex(encodePutKeyData(data)), vector.data.toUpperCase());
    }
  });

  it('codes the key data length in BER as pysim asserts (7F, 81 80, 81 81, 82 01 00)', () => {
    for (const { keyDataBytes, lengthField } of putKeyFixture.berLengths.vectors) {
      const data: PutKeyData = { keyVersionNumber: 1, keys: [{ keyType: KeyType.RSA_PRIVATE_MODULUS, keyData: new Uint8Array(keyDataBytes), keyCheckValue: new Uint8Array(0) }] };
      const encoded = encodePutKeyData(data);
      assert.equal(toHex(encoded.subarray(0, 2 + lengthField.length / 2)), `01A2${lengthField}`);
      assert.deepEqual(decodePutKeyData(encoded), data);
    }
    // Older cards code 128 as a single '80' (GP 2.3.1 §11.8.2.3.1, as pysim's PutKeyLength reads it).
    const legacy = concatBytes(fromHex('01A280'), new Uint8Array(128), fromHex('00'));
    assert.equal(decodePutKeyData(legacy).keys[0]?.keyData.length, 128);
  });

  it('writes an SCP03 key set as GlobalPlatformPro and NXP do: 88 11 10 <16 enciphered> 03 <KCV> (constructed example)', () => {
    const keyData = encodeAESKeyData({ keyLengthBytes: 16, encryptedKey: fromHex('00112233445566778899AABBCCDDEEFF') });
    const data = encodePutKeyData({
      keyVersionNumber: 0x30,
      keys: [1, 2, 3].map(() => ({ keyType: KeyType.AES, keyData, keyCheckValue: fromHex('C35280') })),
    });
    const one = '881110' + '00112233445566778899AABBCCDDEEFF' + '03C35280';
    assert.equal(toHex(data), '30' + one + one + one);
    assert.deepEqual(decodeAESKeyData(decodePutKeyData(data).keys[0]?.keyData ?? new Uint8Array(0)), { keyLengthBytes: 16, encryptedKey: fromHex('00112233445566778899AABBCCDDEEFF') });
    assert.equal(toHex(encodePutKeyResponse({ keyVersionNumber: 0x30, keyCheckValues: [fromHex('C35280'), fromHex('013808'), fromHex('840DE5')] })), '30C35280013808840DE5');
    assert.deepEqual(decodePutKeyResponse(fromHex('30C35280013808840DE5'), 3), { keyVersionNumber: 0x30, keyCheckValues: [fromHex('C35280'), fromHex('013808'), fromHex('840DE5')] });
    assert.equal(putKeyP1(0), 0x00);
    assert.equal(putKeyP1(0x30, true), 0xb0);
    assert.equal(putKeyP2(1, true), 0x81);
  });

  it('refuses what a card answers 6A80 to', () => {
    throwsTessera(() => decodePutKeyData(fromHex('30')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodePutKeyData(fromHex('008010' + '00'.repeat(16) + '00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyData(fromHex('808010' + '00'.repeat(16) + '00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyData(fromHex('30FF0100')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyData(fromHex('30881000' + '00'.repeat(15) + '00')), LibErrorCode.gpMalformed);
    // AES key data whose first byte is not a key length, or whose cryptogram is not whole blocks.
    throwsTessera(() => decodePutKeyData(fromHex('308810' + '00'.repeat(16) + '00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyData(fromHex('30880D10' + '00'.repeat(12) + '00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyData(fromHex('30801000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyResponse(fromHex('30C352'), 1), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePutKeyResponse(fromHex('30C3528000'), 1), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const key = fc.oneof(
      fc.record({ keyType: fc.constantFrom(0x80, 0x85, 0xa1, 0xa0, 0xb0), keyData: fc.uint8Array({ minLength: 1, maxLength: 300 }), keyCheckValue: fc.uint8Array({ maxLength: 3 }) }),
      fc.record({ length: fc.constantFrom(16, 24, 32), blocks: fc.integer({ min: 0, max: 1 }), kcv: fc.uint8Array({ minLength: 3, maxLength: 3 }) }).chain(({ length, blocks, kcv }) =>
        fc.uint8Array({ minLength: Math.ceil(length / 16) * 16 + 16 * blocks, maxLength: Math.ceil(length / 16) * 16 + 16 * blocks }).map((encryptedKey) => ({
          keyType: 0x88, keyData: encodeAESKeyData({ keyLengthBytes: length, encryptedKey }), keyCheckValue: kcv,
        }))),
    ).map((k) => ({ ...k }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 0x7f }), fc.array(key, { minLength: 1, maxLength: 4 }), (keyVersionNumber, keys) => {
      const data = { keyVersionNumber, keys };
      assert.deepEqual(decodePutKeyData(encodePutKeyData(data)), data);
    }));
    onlyTesseraErrors(decodePutKeyData);
    onlyTesseraErrors((bytes) => decodePutKeyResponse(bytes, 3));
  });
});

describe("Key Information Template (GET DATA '00E0', GP 2.3 §11.3.3.1)", () => {
  for (const template of keyInformationFixture.templates) {
    it(`decodes ${template.source.split(', ')[2]?.split(' ')[0] ?? 'a template'} and re-encodes it byte for byte`, () => {
      const keys = decodeKeyInformationTemplate(fromHex(template.data));
      assert.equal(keys.length, template.expected.count);
      for (const [index, want] of Object.entries(template.expected.keys)) checkKey(keys[Number(index)], want);
      assert.equal(toHex(encodeKeyInformationTemplate(keys)), template.data);
    });
  }

  it("decodes pysim's 'C0' entries", () => {
    for (const vector of keyInformationFixture.entries.vectors) {
      const value = fromHex(vector.data).subarray(2);
      checkKey(decodeKeyInformation(value), vector);
    }
  });

  it("skips an empty 'C0' (a fresh SD), refuses other tags and broken entries", () => {
    assert.deepEqual(decodeKeyInformationTemplate(fromHex('E008C000C00401018820')).length, 1);
    throwsTessera(() => decodeKeyInformationTemplate(fromHex('E003C10100')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeKeyInformationTemplate(fromHex('E003C00101')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeKeyInformationTemplate(fromHex('E005C003010188')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeKeyInformationTemplate(fromHex('C00401018820')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeKeyInformationTemplate(fromHex('E008C0060101FF880010')), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x in both formats, and random bytes raise only TesseraErrors', () => {
    const basic = fc.record({
      keyIdentifier: fc.integer({ min: 0, max: 255 }), keyVersionNumber: fc.integer({ min: 0, max: 255 }),
      components: fc.array(fc.record({ keyType: fc.integer({ min: 0, max: 0xfe }), lengthBytes: fc.integer({ min: 0, max: 255 }) }).map((c) => ({ ...c })), { minLength: 1, maxLength: 4 }),
    }).map((k): KeyInformation => ({ ...k }));
    const component = fc.record({ keyType: fc.oneof(fc.integer({ min: 0xff00, max: 0xffff }), fc.integer({ min: 0x80, max: 0xfe })), lengthBytes: fc.integer({ min: 0, max: 0xffff }) }).map((c) => ({ ...c }));
    const extended = fc.record({
      keyIdentifier: fc.integer({ min: 0, max: 255 }), keyVersionNumber: fc.integer({ min: 0, max: 255 }),
      first: fc.integer({ min: 0xff00, max: 0xffff }), firstLength: fc.integer({ min: 0, max: 0xffff }),
      rest: fc.array(component, { maxLength: 3 }), keyUsage: fc.uint8Array({ maxLength: 4 }), keyAccess: fc.uint8Array({ maxLength: 4 }),
    }).map((k): KeyInformation => ({
      keyIdentifier: k.keyIdentifier, keyVersionNumber: k.keyVersionNumber,
      components: [{ keyType: k.first, lengthBytes: k.firstLength }, ...k.rest], extended: { keyUsage: k.keyUsage, keyAccess: k.keyAccess },
    }));
    fc.assert(fc.property(fc.array(fc.oneof(basic, extended), { maxLength: 5 }), (keys) => {
      assert.deepEqual(decodeKeyInformationTemplate(encodeKeyInformationTemplate(keys)), keys);
    }));
    onlyTesseraErrors(decodeKeyInformationTemplate);
    onlyTesseraErrors((bytes) => decodeKeyInformation(bytes), 40);
  });
});
