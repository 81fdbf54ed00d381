import { concatBytes } from '../bytes.js';
import { type DOLEntry } from '../tlv/index.js';
import { requireBytes, requireLengthInRange } from './checks.js';
import { buildCDOLData, type TagValues } from './buildCDOLData.js';
import { emvInputError } from './errors.js';
import { AC_DATA_BYTES_MAX } from './limits.js';

/** AIP (82) then ATC (9F36): the card data EMV Book 2 §8.1.1 Table 26 adds after the terminal data. */
export const AC_CARD_DATA_TAGS_DEFAULT: readonly number[] = [0x82, 0x9f36];

/**
 * EMV Book 2 §8.1.1 Table 26, the minimum recommended terminal data, as a CDOL1: Amount Authorised,
 * Amount Other, Terminal Country Code, TVR, Transaction Currency Code, Transaction Date, Transaction
 * Type, Unpredictable Number.
 */
export const RECOMMENDED_CDOL1: readonly DOLEntry[] = [
  { tag: 0x9f02, length: 6 },
  { tag: 0x9f03, length: 6 },
  { tag: 0x9f1a, length: 2 },
  { tag: 0x95, length: 5 },
  { tag: 0x5f2a, length: 2 },
  { tag: 0x9a, length: 3 },
  { tag: 0x9c, length: 1 },
  { tag: 0x9f37, length: 4 },
];

export interface ACDataInput {
  /** The card's CDOL1 (tag 8C) for a first GENERATE AC, or CDOL2 (8D) for a second one. */
  readonly cdol: Uint8Array | readonly DOLEntry[];
  readonly values: TagValues;
  /**
   * Card data appended after the CDOL data, each value as it is: AIP and ATC by default; Visa CVN 18,
   * M/Chip and Interac add the whole Issuer Application Data (9F10) as a third.
   */
  readonly cardTags?: readonly number[];
  /** Scheme bytes appended last that are no whole data element (Visa CVN 10: the CVR from the IAD). */
  readonly trailer?: Uint8Array;
}

/**
 * Assembles the input of an application cryptogram as the issuer rebuilds it from field 55: the CDOL
 * data (`buildCDOLData`), then the card's own data elements, then a scheme trailer. A card data element
 * missing from `values` is an error: unlike terminal data, the card always has it.
 */
export function buildACData(input: ACDataInput): Uint8Array {
  const { cdol, values, cardTags = AC_CARD_DATA_TAGS_DEFAULT, trailer = new Uint8Array(0) } = input;
  requireBytes(trailer, 'trailer');
  const parts: Uint8Array[] = [buildCDOLData(cdol, values)];
  for (const tag of cardTags) {
    const value = values.get(tag);
    if (value === undefined) throw emvInputError(`expected a value for card data element ${tag.toString(16).toUpperCase()}`);
    requireBytes(value, `the value of ${tag.toString(16).toUpperCase()}`);
    parts.push(value);
  }
  parts.push(trailer);
  const data = concatBytes(...parts);
  requireLengthInRange(data, 1, AC_DATA_BYTES_MAX, 'cryptogram data');
  return data;
}
