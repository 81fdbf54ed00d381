import { fromHex } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { TLV_TAG_BYTES_MAX } from './limits.js';
import { tlvLimit, tlvMalformed } from './tlvError.js';

/**
 * BER-TLV tag fields (ISO/IEC 8825-1 §8.1.2, as profiled by EMV 4.4 Book 3 Annex B1 and
 * ISO/IEC 7816-4 §5.2.2.1).
 *
 * A tag is represented as the unsigned big-endian number of its tag bytes, exactly as EMV and
 * GlobalPlatform tables write it: `0x9F38` is the PDOL, `0xBF0C` the FCI Issuer Discretionary
 * Data, `0xDF8101` a 3-byte proprietary tag. It is not the ASN.1 tag number. Numbers compare
 * cheaply, read like the specifications, and (up to 4 bytes) are always safe integers.
 *
 * First byte: b8-b7 class, b6 constructed, b5-b1 the tag number or 11111 when subsequent bytes
 * follow. Subsequent bytes: b8 set while more follow.
 */

export type TagClass = 'universal' | 'application' | 'context-specific' | 'private';

const TAG_CLASSES: readonly TagClass[] = ['universal', 'application', 'context-specific', 'private'];
const MULTI_BYTE_MARKER = 0x1f;
const CONSTRUCTED_BIT = 0x20;
const MORE_BYTES_BIT = 0x80;

/** '00' and 'FF' are invalid first tag bytes (ISO/IEC 7816-4 §5.2.2.1); EMV uses them as padding. */
export function isPaddingByte(byte: number): boolean {
  return byte === 0x00 || byte === 0xff;
}

function tagBytesOf(tag: number): number[] {
  const bytes: number[] = [];
  let rest = tag;
  while (rest > 0) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return bytes;
}

/**
 * True when `tag` is a well-formed tag of 1 to TLV_TAG_BYTES_MAX bytes. Second bytes '01'-'1E'
 * are accepted although ISO/IEC 8825-1 §8.1.2.2 would code such numbers in one byte:
 * proprietary payment tags such as 'DF01' use them on real cards and terminals. A second byte of
 * '80' (a leading zero group, ISO/IEC 8825-1 §8.1.2.4.2 c) is refused.
 */
export function isValidTag(tag: number): boolean {
  if (!Number.isSafeInteger(tag) || tag <= 0 || tag >= 2 ** (8 * TLV_TAG_BYTES_MAX)) return false;
  const bytes = tagBytesOf(tag);
  const first = bytes[0] as number;
  if (isPaddingByte(first)) return false;
  if (bytes.length === 1) return (first & MULTI_BYTE_MARKER) !== MULTI_BYTE_MARKER;
  if ((first & MULTI_BYTE_MARKER) !== MULTI_BYTE_MARKER) return false;
  if (bytes[1] === MORE_BYTES_BIT) return false;
  for (let i = 1; i < bytes.length; i++) {
    const last = i === bytes.length - 1;
    const more = ((bytes[i] as number) & MORE_BYTES_BIT) !== 0;
    if (more === last) return false;
  }
  return true;
}

function invalidTag(tag: number): TesseraError {
  const shown = Number.isSafeInteger(tag) && tag >= 0 ? `0x${tag.toString(16).toUpperCase()}` : String(tag);
  return new TesseraError(LibErrorCode.tlvMalformed, `${shown} is not a valid BER-TLV tag`);
}

export function tagToBytes(tag: number): Uint8Array {
  if (!isValidTag(tag)) throw invalidTag(tag);
  return new Uint8Array(tagBytesOf(tag));
}

/** Upper-case hex of the tag bytes, as the specifications write tags: `tagToHex(0x9f38) === '9F38'`. */
export function tagToHex(tag: number): string {
  if (!isValidTag(tag)) throw invalidTag(tag);
  const hex = tag.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

/** `tagFromHex('9F38') === 0x9f38`; refuses anything that is not exactly one valid tag. */
export function tagFromHex(hex: string): number {
  let tag = 0;
  for (const byte of fromHex(hex)) tag = tag * 256 + byte;
  if (!isValidTag(tag) || tagToHex(tag) !== hex.replace(/\s/g, '').toUpperCase()) throw invalidTag(tag);
  return tag;
}

function firstByteOf(tag: number): number {
  let first = tag;
  while (first > 0xff) first = Math.floor(first / 256);
  return first;
}

/** b6 of the first tag byte: the value is itself a sequence of BER-TLV data objects. */
export function isConstructedTag(tag: number): boolean {
  return (firstByteOf(tag) & CONSTRUCTED_BIT) !== 0;
}

/** b8-b7 of the first tag byte (ISO/IEC 8825-1 §8.1.2.2 Table 1). */
export function tagClassOf(tag: number): TagClass {
  return TAG_CLASSES[firstByteOf(tag) >> 6] as TagClass;
}

export interface TagRead {
  readonly tag: number;
  /** Offset of the first byte after the tag field. */
  readonly next: number;
}

/**
 * Reads one tag field starting at `offset`, never reading at or past `end`. The caller has
 * already dealt with padding bytes; a '00' or 'FF' first byte here is malformed.
 */
export function readTag(bytes: Uint8Array, offset: number, end: number): TagRead {
  const first = bytes[offset];
  if (first === undefined || offset >= end) throw tlvMalformed('a tag was expected but the data ends', offset);
  if (isPaddingByte(first)) {
    throw tlvMalformed(`0x${first.toString(16).toUpperCase().padStart(2, '0')} cannot start a tag`, offset);
  }
  if ((first & MULTI_BYTE_MARKER) !== MULTI_BYTE_MARKER) return { tag: first, next: offset + 1 };
  let tag = first;
  let position = offset + 1;
  for (let count = 1; ; count++) {
    if (count >= TLV_TAG_BYTES_MAX) throw tlvLimit(`tag longer than ${TLV_TAG_BYTES_MAX} bytes`, offset);
    const byte = bytes[position];
    if (byte === undefined || position >= end) throw tlvMalformed('tag truncated', offset);
    if (count === 1 && byte === MORE_BYTES_BIT) {
      throw tlvMalformed('tag has a leading zero group (second byte 0x80, ISO/IEC 8825-1 §8.1.2.4.2)', offset);
    }
    tag = tag * 256 + byte;
    position++;
    if ((byte & MORE_BYTES_BIT) === 0) return { tag, next: position };
  }
}
