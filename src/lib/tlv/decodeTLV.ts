import assert from 'node:assert/strict';
import { copyBytes } from '../bytes.js';
import { readLength } from './length.js';
import { TLV_BYTES_MAX, TLV_DEPTH_MAX, TLV_NODES_MAX } from './limits.js';
import { isConstructedTag, isPaddingByte, readTag, tagToHex } from './tag.js';
import { tlvLimit, tlvMalformed } from './tlvError.js';
import type { TLVDecodeOptions, TLVNode } from './types.js';

/**
 * Decodes a sequence of BER-TLV data objects (ISO/IEC 8825-1 §8.1 as profiled by EMV 4.4 Book 3
 * Annex B) into a tree.
 *
 * Iterative, never recursive: a stack holds one frame per open constructed object, so nesting
 * is bounded by `depthMax` and not by the JavaScript call stack. Every failure is a
 * TesseraError: ERR_TLV_MALFORMED for bad encodings (truncated tag, length or value,
 * indefinite length, value running past its parent), ERR_TLV_LIMIT when a limit is exceeded.
 * The message and `details.offset` name the offset, from the start of `received`, of the data
 * object (or byte) at fault.
 *
 * The input is copied once; every `value` is a view into that private copy, so later changes to
 * `received` cannot alter a decoded tree.
 */
export function decodeTLV(received: Uint8Array, options: TLVDecodeOptions = {}): TLVNode[] {
  const bytesMax = options.bytesMax ?? TLV_BYTES_MAX;
  const depthMax = options.depthMax ?? TLV_DEPTH_MAX;
  const nodesMax = options.nodesMax ?? TLV_NODES_MAX;
  const skipPadding = (options.padding ?? 'skip') === 'skip';
  const minimalLengths = (options.lengths ?? 'ber') === 'minimal';
  if (received.length > bytesMax) {
    throw tlvLimit(`${received.length} bytes of TLV data exceed the limit of ${bytesMax}`, 0);
  }

  const bytes = copyBytes(received);
  const topLevel: TLVNode[] = [];
  // One frame per open constructed object: where its value ends, where its children go, and
  // its depth (the top level is depth 0, so a top-level object is at depth 1).
  const stack: { end: number; children: TLVNode[]; depth: number }[] = [
    { end: bytes.length, children: topLevel, depth: 0 },
  ];
  let offset = 0;
  let nodeCount = 0;
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    assert.ok(offset <= frame.end, 'a TLV value never runs past its parent');
    if (offset === frame.end) {
      stack.pop();
      continue;
    }
    if (isPaddingByte(bytes[offset] as number)) {
      if (!skipPadding) throw tlvMalformed('padding byte where a tag was expected', offset);
      offset++;
      continue;
    }

    const start = offset;
    const { tag, next: lengthOffset } = readTag(bytes, start, frame.end);
    const { length, next: valueOffset } = readLength(bytes, lengthOffset, frame.end, minimalLengths);
    const available = frame.end - valueOffset;
    if (length > available) {
      const where = frame.depth === 0 ? 'in the data' : 'in its parent';
      throw tlvMalformed(`value of tag ${tagToHex(tag)} needs ${length} bytes but ${available} remain ${where}`, start);
    }
    if (frame.depth + 1 > depthMax) throw tlvLimit(`data objects nested deeper than ${depthMax}`, start);
    nodeCount++;
    if (nodeCount > nodesMax) throw tlvLimit(`more than ${nodesMax} data objects`, start);

    const valueEnd = valueOffset + length;
    const value = bytes.subarray(valueOffset, valueEnd);
    if (isConstructedTag(tag)) {
      const children: TLVNode[] = [];
      frame.children.push({ tag, constructed: true, value, children });
      stack.push({ end: valueEnd, children, depth: frame.depth + 1 });
      offset = valueOffset;
    } else {
      frame.children.push({ tag, constructed: false, value });
      offset = valueEnd;
    }
  }
  assert.equal(offset, bytes.length, 'decoding consumes the whole input');
  return topLevel;
}

/**
 * Decodes exactly one data object, as in a response whose data field is one template (6F, 70,
 * 77, 80). Padding may surround it (unless `padding: 'reject'`); any other byte after it is
 * malformed ("trailing bytes"), reported at the offset where the object ends.
 */
export function decodeSingleTLV(received: Uint8Array, options: TLVDecodeOptions = {}): TLVNode {
  const skipPadding = (options.padding ?? 'skip') === 'skip';
  let start = 0;
  while (skipPadding && start < received.length && isPaddingByte(received[start] as number)) start++;
  if (start === received.length) throw tlvMalformed('a data object was expected but the data is empty', start);

  const { next: lengthOffset } = readTag(received, start, received.length);
  const minimalLengths = (options.lengths ?? 'ber') === 'minimal';
  const { length, next: valueOffset } = readLength(received, lengthOffset, received.length, minimalLengths);
  const end = valueOffset + length;
  let trailing = end;
  while (skipPadding && trailing < received.length && isPaddingByte(received[trailing] as number)) trailing++;
  if (end <= received.length && trailing < received.length) {
    throw tlvMalformed(`trailing bytes: ${received.length - end} bytes follow the data object`, end);
  }

  const nodes = decodeTLV(received, options);
  assert.equal(nodes.length, 1, 'one data object and padding decode to one node');
  return nodes[0] as TLVNode;
}
