import { concatBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { lengthToBytes, readLength } from './length.js';
import { DOL_DATA_BYTES_MAX, DOL_ENTRIES_MAX } from './limits.js';
import { isConstructedTag, readTag, tagToBytes } from './tag.js';
import { tlvLimit } from './tlvError.js';

/**
 * Data Object Lists (EMV 4.4 Book 3 §5.4): PDOL (9F38), CDOL1/CDOL2 (8C/8D), DDOL (9F49), TDOL
 * (97), Log Format (9F4F). A DOL is a concatenation of tag and length pairs without values; the
 * command data built from it is the concatenation of the values, with no tags and no lengths.
 *
 * Tags and lengths are read with the BER-TLV rules of Annex B (the same readers as `decodeTLV`);
 * padding bytes are not allowed inside a DOL.
 */

export interface DOLEntry {
  readonly tag: number;
  /** Length in bytes the value must have in the built command data. */
  readonly length: number;
}

/** EMV data element formats (EMV 4.4 Book 3 §4.3); only `n` and `cn` change how values are fitted. */
export type DOLDataFormat = 'a' | 'an' | 'ans' | 'b' | 'cn' | 'n';

export interface DOLValue {
  readonly value: Uint8Array;
  readonly format: DOLDataFormat;
}

/** Parses a DOL (for example the value of tag 9F38) into its entries. */
export function decodeDOL(received: Uint8Array): DOLEntry[] {
  const entries: DOLEntry[] = [];
  let offset = 0;
  let dataLength = 0;
  while (offset < received.length) {
    if (entries.length === DOL_ENTRIES_MAX) throw tlvLimit(`more than ${DOL_ENTRIES_MAX} DOL entries`, offset);
    const { tag, next } = readTag(received, offset, received.length);
    const { length, next: after } = readLength(received, next, received.length, false);
    dataLength += length;
    if (dataLength > DOL_DATA_BYTES_MAX) {
      throw tlvLimit(`the DOL asks for more than ${DOL_DATA_BYTES_MAX} bytes of data`, offset);
    }
    entries.push({ tag, length });
    offset = after;
  }
  return entries;
}

/** Encodes DOL entries, as a card publishes its PDOL or CDOL. */
export function encodeDOL(entries: readonly DOLEntry[]): Uint8Array {
  checkEntries(entries);
  return concatBytes(...entries.map((entry) => concatBytes(tagToBytes(entry.tag), lengthToBytes(entry.length))));
}

/**
 * Builds command data from a DOL (EMV 4.4 Book 3 §5.4): for each entry, in order, the value
 * that `lookup` returns for its tag, fitted to the entry's length:
 * - tag unknown to `lookup`, or a constructed tag: `length` bytes of '00';
 * - value longer than `length`: format n keeps its rightmost bytes (truncated on the left),
 *   every other format keeps its leftmost bytes (truncated on the right);
 * - value shorter than `length`: format n is padded with leading '00', format cn with trailing
 *   'FF', every other format with trailing '00'.
 */
export function buildDOLData(
  entries: readonly DOLEntry[],
  lookup: (tag: number) => DOLValue | undefined,
): Uint8Array {
  checkEntries(entries);
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const found = isConstructedTag(entry.tag) ? undefined : lookup(entry.tag);
    parts.push(found === undefined ? new Uint8Array(entry.length) : fitValue(found, entry.length));
  }
  return concatBytes(...parts);
}

function fitValue({ value, format }: DOLValue, length: number): Uint8Array {
  const fitted = new Uint8Array(length);
  if (value.length >= length) {
    fitted.set(format === 'n' ? value.subarray(value.length - length) : value.subarray(0, length));
  } else if (format === 'n') {
    fitted.set(value, length - value.length);
  } else {
    fitted.set(value, 0);
    if (format === 'cn') fitted.fill(0xff, value.length);
  }
  return fitted;
}

function checkEntries(entries: readonly DOLEntry[]): void {
  if (entries.length > DOL_ENTRIES_MAX) {
    throw new TesseraError(LibErrorCode.tlvLimit, `more than ${DOL_ENTRIES_MAX} DOL entries`);
  }
  let dataLength = 0;
  for (const entry of entries) {
    tagToBytes(entry.tag); // ERR_TLV_MALFORMED for an invalid tag
    if (!Number.isSafeInteger(entry.length) || entry.length < 0) {
      throw new TesseraError(LibErrorCode.tlvMalformed, `a DOL entry cannot ask for ${entry.length} bytes`);
    }
    dataLength += entry.length;
  }
  if (dataLength > DOL_DATA_BYTES_MAX) {
    throw new TesseraError(LibErrorCode.tlvLimit, `the DOL asks for more than ${DOL_DATA_BYTES_MAX} bytes of data`);
  }
}
