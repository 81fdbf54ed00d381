import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  decodeCPLC, decodeCPLCDate, decodeCPLCResponse, decodeGetDataResponse, encodeCPLC, encodeCPLCDate, encodeCPLCResponse,
  encodeGetDataResponse, getDataParameters, getDataTagOf, GetDataTag,
} from '../../../src/lib/gp/index.js';
import type { CPLC } from '../../../src/lib/gp/index.js';
import { loadFixture, onlyTesseraErrors, throwsTessera } from './helpers.js';

interface CPLCFixture {
  readonly vectors: readonly { readonly source: string; readonly data: string; readonly expected?: Partial<CPLC>; readonly derived?: Partial<CPLC> }[];
  readonly dates: { readonly valid: readonly { readonly value: string; readonly yearDigit: number; readonly dayOfYear: number }[]; readonly invalid: readonly string[] };
}

const fixture = loadFixture<CPLCFixture>('cplc.json');

describe("CPLC (GET DATA '9F7F', GP 2.3 Annex H)", () => {
  for (const vector of fixture.vectors) {
    it(`decodes ${vector.source.split(', ').slice(0, 3).join(', ')} and re-encodes it`, () => {
      const cplc = decodeCPLCResponse(fromHex(vector.data));
      for (const [field, value] of Object.entries(vector.expected ?? vector.derived ?? {})) {
        assert.equal(cplc[field as keyof CPLC], value, field);
      }
      assert.equal(toHex(encodeCPLCResponse(cplc)), vector.data);
    });
  }

  it('reads CPLC dates as GlobalPlatformPro does', () => {
    for (const { value, yearDigit, dayOfYear } of fixture.dates.valid) {
      assert.deepEqual(decodeCPLCDate(Number.parseInt(value, 16)), { yearDigit, dayOfYear });
      assert.equal(encodeCPLCDate({ yearDigit, dayOfYear }), Number.parseInt(value, 16));
    }
    for (const value of fixture.dates.invalid) assert.equal(decodeCPLCDate(Number.parseInt(value, 16)), undefined);
    // kaoh vector 1: IC fabrication date '3244' is day 244 of a year ending in 3.
    const cplc = decodeCPLCResponse(fromHex(fixture.vectors[0]?.data ?? ''));
    assert.deepEqual(decodeCPLCDate(cplc.icFabricationDate), { yearDigit: 3, dayOfYear: 244 });
    throwsTessera(() => encodeCPLCDate({ yearDigit: 10, dayOfYear: 1 }), LibErrorCode.gpMalformed);
  });

  it('refuses other lengths and a missing or wrong header', () => {
    const data = fromHex(fixture.vectors[0]?.data ?? '');
    throwsTessera(() => decodeCPLCResponse(data.subarray(3)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCPLCResponse(data.subarray(0, 44)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCPLC(data.subarray(3, 44)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCPLCResponse(Uint8Array.of(0x9f, 0x7e, ...data.subarray(2))), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const two = fc.integer({ min: 0, max: 0xffff });
    const four = fc.integer({ min: 0, max: 0xffffffff });
    const cplc = fc.record({
      icFabricator: two, icType: two, operatingSystemIdentifier: two, operatingSystemReleaseDate: two, operatingSystemReleaseLevel: two,
      icFabricationDate: two, icSerialNumber: four, icBatchIdentifier: two, icModuleFabricator: two, icModulePackagingDate: two,
      iccManufacturer: two, icEmbeddingDate: two, icPrePersonalizer: two, icPrePersonalizationEquipmentDate: two,
      icPrePersonalizationEquipmentIdentifier: four, icPersonalizer: two, icPersonalizationDate: two, icPersonalizationEquipmentIdentifier: four,
    }).map((c) => ({ ...c }));
    fc.assert(fc.property(cplc, (value) => {
      assert.deepEqual(decodeCPLC(encodeCPLC(value)), value);
      assert.deepEqual(decodeCPLCResponse(encodeCPLCResponse(value)), value);
    }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 366 }), (yearDigit, dayOfYear) => {
      assert.deepEqual(decodeCPLCDate(encodeCPLCDate({ yearDigit, dayOfYear })), { yearDigit, dayOfYear });
    }));
    onlyTesseraErrors(decodeCPLCResponse, 50);
  });
});

describe('GET DATA primitive objects (GP 2.3 §11.3)', () => {
  it("names the tag in P1-P2 and answers the data object ('42' IIN, '45' CIN, 'C1', 'CF')", () => {
    assert.deepEqual(getDataParameters(GetDataTag.CPLC), { p1: 0x9f, p2: 0x7f });
    assert.deepEqual(getDataParameters(GetDataTag.IIN), { p1: 0x00, p2: 0x42 });
    assert.equal(getDataTagOf(0x00, 0xe0), GetDataTag.keyInformationTemplate);
    // Constructed examples: a 3-byte IIN, a 3-byte SCP03 sequence counter.
    assert.equal(toHex(decodeGetDataResponse(GetDataTag.IIN, fromHex('420300008C'))), '00008C');
    assert.equal(toHex(encodeGetDataResponse(GetDataTag.sequenceCounter, fromHex('000012'))), 'C103000012');
    throwsTessera(() => decodeGetDataResponse(GetDataTag.IIN, fromHex('450100')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeGetDataResponse(GetDataTag.IIN, fromHex('4201004201')), LibErrorCode.gpMalformed);
    throwsTessera(() => encodeGetDataResponse(0x66, new Uint8Array(0)), LibErrorCode.gpMalformed);
    onlyTesseraErrors((bytes) => decodeGetDataResponse(0x45, bytes), 20);
  });
});
