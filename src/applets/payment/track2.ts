import { TRACK2_SERVICE_CODE } from './constants.js';

/**
 * Track 2 equivalent data ('57', EMV Book 3 Annex A): PAN, separator 'D', expiry YYMM, service
 * code, discretionary data, padded with 'F' to whole bytes. `pan` is the '5A' value (compressed
 * numeric, trailing 'F' nibbles allowed) and `expiry` the '5F24' value (YYMMDD, BCD).
 */
export function buildTrack2(pan: Uint8Array, expiry: Uint8Array): Uint8Array {
  const panDigits = Array.from(pan, (byte) => byte.toString(16).padStart(2, '0')).join('').replace(/f+$/i, '');
  const yymm = Array.from(expiry.subarray(0, 2), (byte) => byte.toString(16).padStart(2, '0')).join('');
  let nibbles = `${panDigits}D${yymm}${TRACK2_SERVICE_CODE}00000`;
  if (nibbles.length % 2 === 1) nibbles += 'F';
  const bytes = new Uint8Array(nibbles.length / 2);
  for (let index = 0; index < bytes.length; index++) bytes[index] = Number.parseInt(nibbles.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}
