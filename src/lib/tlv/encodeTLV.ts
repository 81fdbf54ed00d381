import assert from 'node:assert/strict';
import { concatBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { lengthToBytes } from './length.js';
import { TLV_DEPTH_MAX } from './limits.js';
import { isConstructedTag, tagToBytes, tagToHex } from './tag.js';
import type { TLVConstructedNode, TLVNode, TLVPrimitiveNode } from './types.js';

/**
 * Encodes data objects as BER-TLV in the form EMV expects: definite, minimal lengths (EMV 4.4
 * Book 3 Annex B2) and no padding. Constructed objects are written from their `children`; their
 * `value` is not consulted, so a decoded tree re-encodes without the padding or non-minimal
 * lengths it may have arrived with.
 *
 * Iterative like the decoder (one frame per open constructed object), and bounded by
 * TLV_DEPTH_MAX so that what this platform writes it can also read back.
 */
export function encodeTLV(nodes: readonly TLVNode[]): Uint8Array {
  // A frame collects the encodings of one constructed object's children; the root frame has no
  // object and collects the top level.
  type Frame = { node: TLVConstructedNode | undefined; children: readonly TLVNode[]; next: number; parts: Uint8Array[] };
  const stack: Frame[] = [{ node: undefined, children: nodes, next: 0, parts: [] }];
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const child = frame.children[frame.next];
    if (child !== undefined) {
      frame.next++;
      const tagBytes = checkNode(child);
      // The child sits at depth stack.length: the root frame holds the top level, at depth 1.
      if (stack.length > TLV_DEPTH_MAX) {
        throw new TesseraError(LibErrorCode.tlvLimit, `data objects nested deeper than ${TLV_DEPTH_MAX}`);
      }
      if (child.constructed) {
        stack.push({ node: child, children: child.children, next: 0, parts: [] });
      } else {
        frame.parts.push(concatBytes(tagBytes, lengthToBytes(child.value.length), child.value));
      }
      continue;
    }
    stack.pop();
    const content = concatBytes(...frame.parts);
    const parent = stack.at(-1);
    if (frame.node === undefined || parent === undefined) return content;
    parent.parts.push(concatBytes(tagToBytes(frame.node.tag), lengthToBytes(content.length), content));
  }
  assert.fail('unreachable: the root frame returns the encoding');
}

/** The tag bytes of `node`, after checking that the tag is valid and agrees with `constructed`. */
function checkNode(node: TLVNode): Uint8Array {
  const tagBytes = tagToBytes(node.tag);
  if (isConstructedTag(node.tag) !== node.constructed) {
    const kind = node.constructed ? 'constructed' : 'primitive';
    throw new TesseraError(
      LibErrorCode.tlvMalformed,
      `tag ${tagToHex(node.tag)} does not mark a ${kind} data object (b6 of its first byte)`,
    );
  }
  return tagBytes;
}

/** A primitive data object; the tag must be primitive (b6 of its first byte clear). */
export function primitiveNode(tag: number, value: Uint8Array): TLVPrimitiveNode {
  const node: TLVPrimitiveNode = { tag, constructed: false, value };
  checkNode(node);
  return node;
}

/** A constructed data object whose `value` is the encoding of `children`, as a decoder would produce it. */
export function constructedNode(tag: number, children: readonly TLVNode[]): TLVConstructedNode {
  const node: TLVConstructedNode = { tag, constructed: true, value: encodeTLV(children), children };
  checkNode(node);
  return node;
}
