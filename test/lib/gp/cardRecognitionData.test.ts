import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  decodeCardData, decodeCardRecognitionData, decodeObjectIdentifier, encodeCardData, encodeCardRecognitionData,
  encodeObjectIdentifier, objectIdentifierToString,
} from '../../../src/lib/gp/index.js';
import type { CardRecognitionData } from '../../../src/lib/gp/index.js';
import { loadFixture, onlyTesseraErrors, throwsTessera } from './helpers.js';

interface CardRecognitionFixture {
  readonly vectors: readonly {
    readonly source: string;
    readonly data: string;
    readonly expected: {
      readonly gpVersion: string;
      readonly secureChannelProtocols: readonly (readonly [string, string])[];
      readonly cardIdentificationScheme?: string;
      readonly cardConfigurationDetails?: string;
      readonly cardChipDetails?: string;
    };
  }[];
}

const fixture = loadFixture<CardRecognitionFixture>('card-recognition-data.json');

describe("Card Recognition Data (GET DATA '66', GP 2.3 Annex H)", () => {
  for (const vector of fixture.vectors) {
    it(`decodes ${vector.source.split(', ').slice(0, 3).join(', ').slice(0, 110)} and re-encodes it`, () => {
      const data = decodeCardData(fromHex(vector.data));
      assert.equal(data.gpVersion, vector.expected.gpVersion);
      assert.deepEqual(data.secureChannelProtocols.map((scp) => [scp.protocol.toString(16).toUpperCase().padStart(2, '0'), toHex(scp.implementation)]), vector.expected.secureChannelProtocols);
      if (vector.expected.cardIdentificationScheme !== undefined) assert.equal(data.cardIdentificationScheme, vector.expected.cardIdentificationScheme);
      if (vector.expected.cardConfigurationDetails !== undefined) assert.equal(toHex(data.cardConfigurationDetails ?? new Uint8Array(0)), vector.expected.cardConfigurationDetails);
      if (vector.expected.cardChipDetails !== undefined) assert.equal(toHex(data.cardChipDetails ?? new Uint8Array(0)), vector.expected.cardChipDetails);
      assert.equal(toHex(encodeCardData(data)), vector.data);
    });
  }

  it('writes the Card Data of a GP 2.3.1 card with SCP03 i=70 (constructed example)', () => {
    const data: CardRecognitionData = {
      gpVersion: '2.3.1',
      cardIdentificationScheme: '1.2.840.114283.3',
      secureChannelProtocols: [{ protocol: 0x03, implementation: fromHex('70') }],
    };
    assert.equal(
      toHex(encodeCardData(data)),
      '6631732F06072A864886FC6B01600C060A2A864886FC6B02020301630906072A864886FC6B03640B06092A864886FC6B040370',
    );
  });

  it('refuses data without the recognition OID or the version, and non-GP SCP entries', () => {
    throwsTessera(() => decodeCardRecognitionData(fromHex('7300')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodeCardRecognitionData(fromHex('730906072A864886FC6B01')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCardRecognitionData(fromHex('731706072A864886FC6B01600C060A2A864886FC6B03020301')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCardRecognitionData(fromHex('732206072A864886FC6B01600C060A2A864886FC6B02020301640906072A864886FC6B05')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeCardData(fromHex('6700')), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const data = fc.record({
      version: fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 2, maxLength: 3 }),
      scheme: fc.boolean(),
      scps: fc.array(fc.record({ protocol: fc.integer({ min: 0, max: 255 }), implementation: fc.uint8Array({ minLength: 1, maxLength: 2 }) }).map((s) => ({ ...s })), { maxLength: 3 }),
      chip: fc.option(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 6 }), { nil: undefined }),
    }).map(({ version, scheme, scps, chip }): CardRecognitionData => ({
      gpVersion: version.join('.'),
      ...(scheme ? { cardIdentificationScheme: '1.2.840.114283.3' } : {}),
      secureChannelProtocols: scps,
      ...(chip === undefined ? {} : { cardChipDetails: Uint8Array.of(0x06, encodeObjectIdentifier([1, 3, ...chip]).length, ...encodeObjectIdentifier([1, 3, ...chip])) }),
    }));
    fc.assert(fc.property(data, (value) => {
      assert.deepEqual(decodeCardData(encodeCardData(value)), value);
      assert.deepEqual(decodeCardRecognitionData(encodeCardRecognitionData(value)), value);
    }));
    onlyTesseraErrors(decodeCardData);
    onlyTesseraErrors(decodeCardRecognitionData);
  });
});

describe('object identifiers (X.690 §8.19)', () => {
  it('decodes the GlobalPlatform arc and the Java Card chip OID', () => {
    assert.equal(objectIdentifierToString(decodeObjectIdentifier(fromHex('2A864886FC6B01'))), '1.2.840.114283.1');
    assert.equal(objectIdentifierToString(decodeObjectIdentifier(fromHex('2B060104012A026E0103'))), '1.3.6.1.4.1.42.2.110.1.3');
    assert.equal(toHex(encodeObjectIdentifier([1, 2, 840, 114283, 4, 3, 112])), '2A864886FC6B040370');
  });

  it("refuses a leading '80' in an arc and a truncated arc", () => {
    throwsTessera(() => decodeObjectIdentifier(fromHex('2A864886FC6B048000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeObjectIdentifier(fromHex('2A86')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeObjectIdentifier(new Uint8Array(0)), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 10 }), (a, b, rest) => {
      assert.deepEqual(decodeObjectIdentifier(encodeObjectIdentifier([a, b, ...rest])), [a, b, ...rest]);
    }));
    onlyTesseraErrors(decodeObjectIdentifier, 30);
  });
});
