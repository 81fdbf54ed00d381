import type { TesseraError } from '../errors.js';
import { isLuhnValid } from '../luhn.js';
import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { TRACK2_CHARACTERS_MAX, TRACK2_PAN_DIGITS_MAX, TRACK2_PAN_DIGITS_MIN } from './limits.js';

/**
 * Track 2 data (ISO/IEC 7813 §10) as ISO 8583 field 35 carries it and EMV tag 57 (Track 2
 * Equivalent Data, EMV 4.4 Book 3 Annex A) mirrors it, without start sentinel, end sentinel and
 * LRC:
 *
 *   PAN (up to 19 digits) | separator '=' (EMV: 'D') | expiry YYMM | service code (3 digits) | discretionary data
 *
 * at most 37 characters in all. Errors are ERR_ISO8583_TRACK2 and never echo the data: it
 * holds a PAN.
 */

export const TRACK2_SEPARATORS = ['=', 'D'] as const;
export type Track2Separator = (typeof TRACK2_SEPARATORS)[number];

export interface Track2 {
  readonly pan: string;
  readonly separator: Track2Separator;
  /** YYMM. */
  readonly expiry: string;
  readonly serviceCode: string;
  /** Digits after the service code (PVKI, PVV, CVV, issuer data); may be empty. */
  readonly discretionaryData: string;
}

export interface Track2Parts {
  readonly pan: string;
  readonly expiry: string;
  readonly serviceCode: string;
  readonly discretionaryData?: string;
  /** '=' (magnetic stripe, the default) or 'D' (as the BCD dialect and EMV tag 57 write it). */
  readonly separator?: Track2Separator;
}

const DIGITS = /^[0-9]*$/;
/** Expiry YYMM then service code. */
const EXPIRY_AND_SERVICE_CODE_CHARACTERS = 7;
/** ISO/IEC 7813 §10 service code, first digit: 1, 2 international; 5, 6 national; 7 private; 9 test. */
const SERVICE_CODE_FIRST_DIGITS = '125679';
const EMV_SEPARATOR_NIBBLE = 0xd;
const EMV_PAD_NIBBLE = 0xf;

function track2Error(message: string): TesseraError {
  return iso8583Error(ISO8583ErrorCode.track2, `track 2: ${message}`);
}

function checkExpiry(expiry: string): void {
  const month = Number(expiry.slice(2, 4));
  if (!/^[0-9]{4}$/.test(expiry) || month < 1 || month > 12) throw track2Error('the expiry date is not YYMM with month 01-12');
}

/** Splits track 2 data into its elements, checking its structure (not the PAN's check digit: see `validateTrack2`). */
export function parseTrack2(text: string): Track2 {
  if (text.length > TRACK2_CHARACTERS_MAX) throw track2Error(`more than ${TRACK2_CHARACTERS_MAX} characters`);
  let separatorAt = -1;
  for (let i = 0; i < text.length; i++) {
    const character = text.charAt(i);
    if (character === '=' || character === 'D') {
      if (separatorAt !== -1) throw track2Error('more than one field separator');
      separatorAt = i;
    } else if (character < '0' || character > '9') {
      throw track2Error(`character ${i + 1} is neither a digit nor a field separator ('=' or 'D')`);
    }
  }
  if (separatorAt === -1) throw track2Error('no field separator (\'=\' or \'D\')');
  const pan = text.slice(0, separatorAt);
  if (pan.length < TRACK2_PAN_DIGITS_MIN || pan.length > TRACK2_PAN_DIGITS_MAX) {
    throw track2Error(`the PAN has ${pan.length} digits, expected ${TRACK2_PAN_DIGITS_MIN} to ${TRACK2_PAN_DIGITS_MAX}`);
  }
  const rest = text.slice(separatorAt + 1);
  if (rest.length < EXPIRY_AND_SERVICE_CODE_CHARACTERS) throw track2Error('the expiry date and service code are missing or short');
  const expiry = rest.slice(0, 4);
  checkExpiry(expiry);
  return {
    pan,
    separator: text.charAt(separatorAt) as Track2Separator,
    expiry,
    serviceCode: rest.slice(4, EXPIRY_AND_SERVICE_CODE_CHARACTERS),
    discretionaryData: rest.slice(EXPIRY_AND_SERVICE_CODE_CHARACTERS),
  };
}

/** Writes track 2 data from its elements; the result parses back to the same elements. */
export function buildTrack2(parts: Track2Parts): string {
  const { pan, expiry, serviceCode } = parts;
  const discretionaryData = parts.discretionaryData ?? '';
  const separator = parts.separator ?? '=';
  if (!DIGITS.test(pan) || !DIGITS.test(serviceCode) || serviceCode.length !== 3 || !DIGITS.test(discretionaryData)) {
    throw track2Error('the PAN, service code (3 digits) and discretionary data are digits');
  }
  if (!(TRACK2_SEPARATORS as readonly string[]).includes(separator)) throw track2Error('the separator is \'=\' or \'D\'');
  const text = `${pan}${separator}${expiry}${serviceCode}${discretionaryData}`;
  parseTrack2(text);
  return text;
}

/**
 * Checks what a structurally sound track can still get wrong: the PAN's Luhn check digit
 * (ISO/IEC 7812-1 Annex B) and the service code's first digit (ISO/IEC 7813: 1, 2, 5, 6, 7 or 9).
 */
export function validateTrack2(track: Track2): void {
  if (!isLuhnValid(track.pan)) throw track2Error('the PAN\'s check digit is wrong');
  if (!SERVICE_CODE_FIRST_DIGITS.includes(track.serviceCode.charAt(0))) {
    throw track2Error('the service code\'s first digit is not 1, 2, 5, 6, 7 or 9');
  }
}

/**
 * True when the card has expired at `now`: a card is valid through the last day of its expiry
 * month (ISO/IEC 7813), read in UTC, with YY as 20YY. An expired card is a decline (response
 * code 54), not malformed data, so this returns rather than throws.
 */
export function isTrack2Expired(track: Pick<Track2, 'expiry'>, now: Date): boolean {
  checkExpiry(track.expiry);
  const year = 2000 + Number(track.expiry.slice(0, 2));
  const month = Number(track.expiry.slice(2, 4));
  // Date.UTC with month index `month` is the first instant of the month after the expiry month.
  return now.getTime() >= Date.UTC(year, month, 1);
}

/**
 * EMV tag 57 (Track 2 Equivalent Data): the same characters BCD-packed, the separator as nibble
 * D, padded to whole bytes with a trailing F nibble. Returns the text with 'D' as separator.
 */
export function decodeTrack2Equivalent(bytes: Uint8Array): string {
  if (bytes.length * 2 > TRACK2_CHARACTERS_MAX + 1) throw track2Error(`more than ${TRACK2_CHARACTERS_MAX} characters`);
  let text = '';
  for (let i = 0; i < bytes.length * 2; i++) {
    const byte = bytes[i >> 1] as number;
    const nibble = (i & 1) === 0 ? byte >> 4 : byte & 0x0f;
    if (nibble === EMV_PAD_NIBBLE && i === bytes.length * 2 - 1) break;
    if (nibble === EMV_SEPARATOR_NIBBLE) text += 'D';
    else if (nibble <= 9) text += String(nibble);
    else throw track2Error(`nibble ${i + 1} is not a digit, the separator D or the final pad F`);
  }
  parseTrack2(text);
  return text;
}

/** The inverse of `decodeTrack2Equivalent`; '=' and 'D' both become nibble D. */
export function encodeTrack2Equivalent(text: string): Uint8Array {
  parseTrack2(text);
  const out = new Uint8Array(Math.ceil(text.length / 2)).fill(0xff);
  for (let i = 0; i < text.length; i++) {
    const character = text.charAt(i);
    const nibble = character === '=' || character === 'D' ? EMV_SEPARATOR_NIBBLE : Number(character);
    const at = i >> 1;
    out[at] = (i & 1) === 0 ? (nibble << 4) | 0x0f : ((out[at] as number) & 0xf0) | nibble;
  }
  return out;
}
