import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  buildTrack2, decodeTrack2Equivalent, encodeTrack2Equivalent, isTrack2Expired, ISO8583ErrorCode, parseTrack2,
  validateTrack2,
} from '../../../src/lib/iso8583/index.js';
import { loadFixture, throwsISO8583 } from './helpers.js';

interface Track2Vector {
  readonly source: string;
  readonly raw: string;
  readonly data: string;
  readonly pan: string;
  readonly expiry: string;
  readonly serviceCode: string;
  readonly discretionaryData: string;
}
const vectors = loadFixture<{ vectors: Track2Vector[] }>('track2.json').vectors;

describe('track 2 data (field 35, EMV tag 57)', () => {
  for (const vector of vectors) {
    it(`parses the published track ${vector.raw.slice(0, 6)}… into the elements its test asserts`, () => {
      const track = parseTrack2(vector.data);
      assert.equal(track.pan, vector.pan, vector.source);
      assert.equal(track.expiry, vector.expiry);
      assert.equal(track.serviceCode, vector.serviceCode);
      assert.equal(track.discretionaryData, vector.discretionaryData);
      assert.equal(buildTrack2(track), vector.data, 'building from the elements gives the same text back');
    });
  }

  it('validates the Mastercard track (Luhn, service code 201) and refuses a wrong check digit', () => {
    const track = parseTrack2('5266092201416174=16042010000056700100');
    validateTrack2(track);
    throwsISO8583(() => validateTrack2({ ...track, pan: '5266092201416175' }), ISO8583ErrorCode.track2);
    throwsISO8583(() => validateTrack2({ ...track, serviceCode: '301' }), ISO8583ErrorCode.track2);
  });

  it('reads the expiry as valid through the last day of the month (UTC)', () => {
    const track = parseTrack2('5266092201416174=16042010000056700100');
    assert.equal(isTrack2Expired(track, new Date(Date.UTC(2016, 3, 30, 23, 59, 59))), false);
    assert.equal(isTrack2Expired(track, new Date(Date.UTC(2016, 4, 1))), true);
    assert.equal(isTrack2Expired({ expiry: '2912' }, new Date(Date.UTC(2029, 11, 31))), false);
    assert.equal(isTrack2Expired({ expiry: '2912' }, new Date(Date.UTC(2030, 0, 1))), true);
  });

  it('packs and unpacks EMV Track 2 Equivalent Data: separator nibble D, trailing F', () => {
    const packed = encodeTrack2Equivalent('5266092201416174=16042010000056700100');
    assert.equal(toHex(packed), '5266092201416174D16042010000056700100F');
    assert.equal(decodeTrack2Equivalent(packed), '5266092201416174D16042010000056700100');
    assert.equal(toHex(encodeTrack2Equivalent('1234560000000000991D12075260000')), '1234560000000000991D12075260000F');
    assert.equal(decodeTrack2Equivalent(fromHex('1234560000000000991D12075260000F')), '1234560000000000991D12075260000');
  });

  it('refuses malformed track 2 data with ERR_ISO8583_TRACK2, never echoing it', () => {
    const bad = [
      '', '5266092201416174', '5266092201416174==1604201', '52660922014161741604201=', '526609220=1604201',
      '52660922014161741234=1604201', '5266092201416174=160420', '5266092201416174=1600201', '5266092201416174=1613201',
      '5266092201416174=1604201A', ';5266092201416174=1604201?', '5266092201416174=16042010000056700100123',
    ];
    for (const text of bad) {
      const error = throwsISO8583(() => parseTrack2(text), ISO8583ErrorCode.track2);
      assert.doesNotMatch(error.message, /526609/);
    }
    throwsISO8583(() => decodeTrack2Equivalent(fromHex('5266092201416174D1604201F0')), ISO8583ErrorCode.track2);
    throwsISO8583(() => decodeTrack2Equivalent(fromHex('5266092201416174E1604201')), ISO8583ErrorCode.track2);
    throwsISO8583(() => buildTrack2({ pan: '5266092201416174', expiry: '1604', serviceCode: '20' }), ISO8583ErrorCode.track2);
  });

  it('builds, parses and packs consistently for random tracks', () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    fc.assert(
      fc.property(
        digits(12, 19), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), digits(3, 3), digits(0, 10),
        fc.constantFrom('=' as const, 'D' as const),
        (pan, year, month, serviceCode, discretionary, separator) => {
          const expiry = `${String(year).padStart(2, '0')}${String(month).padStart(2, '0')}`;
          const discretionaryData = discretionary.slice(0, 37 - pan.length - 8);
          const text = buildTrack2({ pan, expiry, serviceCode, discretionaryData, separator });
          assert.deepEqual(parseTrack2(text), { pan, separator, expiry, serviceCode, discretionaryData });
          assert.equal(decodeTrack2Equivalent(encodeTrack2Equivalent(text)), text.replace('=', 'D'));
        },
      ),
    );
  });
});
