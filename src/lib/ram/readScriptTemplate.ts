import assert from 'node:assert/strict';
import { copyBytes } from '../bytes.js';
import { ramBadFormat, ramLimit } from './errors.js';
import { RAM_LENGTH_FIELD_BYTES_MAX, RAM_SCRIPT_BYTES_MAX } from './limits.js';
import { BadFormat, INDEFINITE_LENGTH_BYTE } from './tags.js';

/** How the template's own length was coded (TS 102 226 tables 5.2/5.2a and 5.10/5.10a). */
export type LengthCoding = 'definite' | 'indefinite';

/** One data object directly inside a scripting template. `value` views a private copy of the input. */
export interface TemplateItem {
  readonly tag: number;
  readonly value: Uint8Array;
  /** Offset of the tag in the received bytes. */
  readonly offset: number;
}

export interface ScriptTemplate {
  readonly lengthCoding: LengthCoding;
  readonly items: readonly TemplateItem[];
}

interface TemplateTags {
  readonly definite: number;
  readonly indefinite: number;
  /** For messages: "Command Scripting template". */
  readonly name: string;
  /** Most data objects accepted inside the template. */
  readonly itemsMax: number;
}

const LONG_FORM_BIT = 0x80;
/** ISO/IEC 8825-1 §8.1.2.4: low five bits all set mean the tag continues in further bytes. */
const TAG_NUMBER_MASK = 0x1f;
const END_OF_CONTENTS_BYTES = 2;

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * A definite BER length at `offset` (ISO/IEC 8825-1 §8.1.3): short form, or '81'-'84' and up to
 * four bytes. A missing or truncated field is "length not found"; '80' (indefinite) or '85'-'FF'
 * where a definite length must stand is "wrong length" (TS 102 226 table 5.12).
 */
function readDefiniteLength(bytes: Uint8Array, offset: number, end: number): { length: number; next: number } {
  const first = bytes[offset];
  if (first === undefined || offset >= end) throw ramBadFormat(BadFormat.lengthNotFound, 'a length was expected but the data ends', offset);
  if ((first & LONG_FORM_BIT) === 0) return { length: first, next: offset + 1 };
  if (first === INDEFINITE_LENGTH_BYTE) {
    throw ramBadFormat(BadFormat.wrongLength, 'indefinite length where a definite length must stand', offset);
  }
  const count = first & ~LONG_FORM_BIT;
  if (count > RAM_LENGTH_FIELD_BYTES_MAX - 1) {
    throw ramBadFormat(BadFormat.wrongLength, `length byte ${hexByte(first)} announces more than 4 length bytes`, offset);
  }
  if (offset + 1 + count > end) throw ramBadFormat(BadFormat.lengthNotFound, 'the length field is truncated', offset);
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + (bytes[offset + i] as number);
  return { length, next: offset + 1 + count };
}

/**
 * Reads a Command or Response Scripting template (TS 102 226 §5.2) into its flat list of data
 * objects, without interpreting them. The format never nests below the template, so the reader
 * is one loop. Definite coding: `T L V…` covering the input exactly. Indefinite coding:
 * `T 80 V… 00 00` with the end-of-contents octets last. Anything after the template is refused.
 */
export function readScriptTemplate(received: Uint8Array, tags: TemplateTags): ScriptTemplate {
  if (received.length > RAM_SCRIPT_BYTES_MAX) {
    throw ramLimit(`a script has at most ${RAM_SCRIPT_BYTES_MAX} bytes, received ${received.length}`, 0);
  }
  const bytes = copyBytes(received);
  const tag = bytes[0];
  if (tag === undefined) throw ramBadFormat(BadFormat.lengthNotFound, `a ${tags.name} was expected but the data is empty`, 0);

  let lengthCoding: LengthCoding;
  let start: number;
  let end: number;
  if (tag === tags.definite) {
    const { length, next } = readDefiniteLength(bytes, 1, bytes.length);
    if (next + length > bytes.length) {
      throw ramBadFormat(BadFormat.wrongLength, `the ${tags.name} announces ${length} bytes but ${bytes.length - next} remain`, 1);
    }
    if (next + length < bytes.length) {
      throw ramBadFormat(BadFormat.wrongLength, `${bytes.length - next - length} bytes follow the ${tags.name}`, next + length);
    }
    lengthCoding = 'definite';
    start = next;
    end = bytes.length;
  } else if (tag === tags.indefinite) {
    const lengthByte = bytes[1];
    if (lengthByte === undefined) throw ramBadFormat(BadFormat.lengthNotFound, `the ${tags.name} has no length`, 1);
    if (lengthByte !== INDEFINITE_LENGTH_BYTE) {
      throw ramBadFormat(BadFormat.wrongLength, `tag ${hexByte(tag)} is the indefinite-length ${tags.name}; its length must be 80`, 1);
    }
    lengthCoding = 'indefinite';
    start = 2;
    end = bytes.length;
  } else {
    throw ramBadFormat(
      BadFormat.unknownTag,
      `expected a ${tags.name} (tag ${hexByte(tags.definite)} or ${hexByte(tags.indefinite)}), received tag ${hexByte(tag)}`,
      0,
    );
  }

  const items: TemplateItem[] = [];
  let offset = start;
  let ended = lengthCoding === 'definite';
  while (offset < end) {
    const itemTag = bytes[offset] as number;
    if (lengthCoding === 'indefinite' && itemTag === 0x00) {
      // End of contents ('00 00', ISO/IEC 8825-1 §8.1.5): must be complete and last.
      if (offset + END_OF_CONTENTS_BYTES !== end || bytes[offset + 1] !== 0x00) {
        throw ramBadFormat(BadFormat.wrongLength, 'the end-of-contents octets 00 00 must end the data', offset);
      }
      ended = true;
      offset = end;
      break;
    }
    if ((itemTag & TAG_NUMBER_MASK) === TAG_NUMBER_MASK) {
      throw ramBadFormat(BadFormat.unknownTag, `multi-byte tag ${hexByte(itemTag)}… is not part of the ${tags.name}`, offset);
    }
    if (items.length >= tags.itemsMax) throw ramLimit(`a ${tags.name} holds at most ${tags.itemsMax} data objects`, offset);
    const { length, next } = readDefiniteLength(bytes, offset + 1, end);
    if (next + length > end) {
      throw ramBadFormat(BadFormat.wrongLength, `the value of tag ${hexByte(itemTag)} needs ${length} bytes but ${end - next} remain`, offset);
    }
    items.push({ tag: itemTag, value: bytes.subarray(next, next + length), offset });
    offset = next + length;
  }
  if (!ended) throw ramBadFormat(BadFormat.lengthNotFound, `the indefinite-length ${tags.name} has no end-of-contents octets`, end);
  assert.equal(offset, end, 'the reader consumes the whole template');
  return { lengthCoding, items };
}
