import { concatBytes } from '../bytes.js';
import { smsError, SmsErrorCode } from './errors.js';
import { encodeGSM7, gsm7SeptetsOf } from './gsm7.js';
import { concatElement, encodeUDH } from './udh.js';
import { encodeUCS2 } from './ucs2.js';

/**
 * Splits text into short messages (3GPP TS 23.040 §9.2.3.24.1, TS 23.038 §6.2): GSM 7-bit when every
 * character is in the default alphabet, else UCS-2. One message holds 160 septets or 70 UTF-16 units;
 * with the 6-octet concatenation header a part holds 153 septets or 67 units. A part never ends
 * between an escape and its character, nor between the two halves of a surrogate pair.
 */

export const DATA_CODING_GSM7 = 0x00;
export const DATA_CODING_UCS2 = 0x08;
export const GSM7_SINGLE_SEPTETS_MAX = 160;
export const GSM7_PART_SEPTETS_MAX = 153;
export const UCS2_SINGLE_UNITS_MAX = 70;
export const UCS2_PART_UNITS_MAX = 67;
/** The concatenation element counts parts in one octet. */
export const SEGMENTS_MAX = 255;

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SegmentedText {
  readonly encoding: SmsEncoding;
  readonly dataCoding: typeof DATA_CODING_GSM7 | typeof DATA_CODING_UCS2;
  /** SMPP short_message values: unpacked septets or UTF-16BE, each after its UDH when there are several. */
  readonly segments: readonly Uint8Array[];
  /** True when the segments carry a user data header (set the UDHI bit, esm_class 0x40). */
  readonly withHeader: boolean;
}

export function chooseEncoding(text: string): SmsEncoding {
  for (const char of text) if (gsm7SeptetsOf(char) === undefined) return 'ucs2';
  return 'gsm7';
}

/** Splits `text` at character boundaries into chunks of at most `unitsMax` cost units each. */
function splitByCost(text: string, unitsMax: number, costOf: (char: string) => number): string[] {
  const chunks: string[] = [];
  let chunk = '';
  let used = 0;
  for (const char of text) {
    const cost = costOf(char);
    if (used + cost > unitsMax) {
      chunks.push(chunk);
      chunk = '';
      used = 0;
    }
    chunk += char;
    used += cost;
  }
  if (chunk.length > 0 || chunks.length === 0) chunks.push(chunk);
  return chunks;
}

export interface SegmentOptions {
  /** The concatenation reference shared by the parts (pick it at random, or count per destination). */
  readonly reference: number;
  readonly referenceBits?: 8 | 16;
}

export function segmentText(text: string, options: SegmentOptions): SegmentedText {
  const encoding = chooseEncoding(text);
  const costOf = encoding === 'gsm7' ? (char: string) => gsm7SeptetsOf(char) ?? 1 : (char: string) => char.length;
  const encode = encoding === 'gsm7' ? encodeGSM7 : encodeUCS2;
  const dataCoding = encoding === 'gsm7' ? DATA_CODING_GSM7 : DATA_CODING_UCS2;
  const single = splitByCost(text, encoding === 'gsm7' ? GSM7_SINGLE_SEPTETS_MAX : UCS2_SINGLE_UNITS_MAX, costOf);
  if (single.length === 1) return { encoding, dataCoding, segments: [encode(single[0] ?? '')], withHeader: false };
  const parts = splitByCost(text, encoding === 'gsm7' ? GSM7_PART_SEPTETS_MAX : UCS2_PART_UNITS_MAX, costOf);
  if (parts.length > SEGMENTS_MAX) throw smsError(SmsErrorCode.limit, `the text needs ${parts.length} parts; at most ${SEGMENTS_MAX} can be concatenated`);
  const referenceBits = options.referenceBits ?? 8;
  const segments = parts.map((part, index) => concatBytes(
    encodeUDH([concatElement({ reference: options.reference, total: parts.length, sequence: index + 1, referenceBits })]),
    encode(part),
  ));
  return { encoding, dataCoding, segments, withHeader: true };
}
