import { toHex } from '../../lib/bytes.js';
import { buildTrack2 as buildTrack2Text, encodeTrack2Equivalent } from '../../lib/iso8583/index.js';
import { TRACK2_SERVICE_CODE } from './constants.js';

/**
 * Track 2 equivalent data ('57', EMV Book 3 Annex A) from the '5A' PAN (compressed numeric,
 * trailing 'F' nibbles allowed) and the '5F24' expiry (YYMMDD, BCD): PAN, separator 'D', expiry
 * YYMM, service code, discretionary data, 'F'-padded — built and packed by the ISO 8583 library's
 * track 2 codec. Undefined when the card data does not make a valid track 2.
 */
export function buildTrack2(pan: Uint8Array, expiry: Uint8Array): Uint8Array | undefined {
  try {
    const text = buildTrack2Text({
      pan: toHex(pan).replace(/F+$/, ''), expiry: toHex(expiry.subarray(0, 2)), serviceCode: TRACK2_SERVICE_CODE, discretionaryData: '00000', separator: 'D',
    });
    return encodeTrack2Equivalent(text);
  } catch {
    return undefined;
  }
}
