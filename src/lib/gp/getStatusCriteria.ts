import { concatBytes } from '../bytes.js';
import { encodeTLV, isValidTag, primitiveNode, tagToBytes, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GPTag } from './constants.js';
import { decodeGPTLV, primitiveValue, requireBytes, requireUniqueTags } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { AID_SEARCH_QUALIFIER_BYTES_MAX } from './limits.js';

/**
 * GET STATUS search criteria, the command data field (GP 2.3 §11.4.2.2): '4F' an AID search
 * qualifier (empty: every entry; otherwise entries whose AID starts with it), optionally '5C' a
 * tag list naming the data objects the host wants in each 'E3' entry, and any further criteria
 * data objects, kept as they are.
 */

export interface GetStatusCriteria {
  readonly aidQualifier: Uint8Array;
  /** Tags from '5C'; absent when the host sent no tag list. */
  readonly tagList?: readonly number[];
  readonly other: readonly TLVNode[];
}

const WHAT = 'GET STATUS search criteria';
const TAG_LIST_TAGS_MAX = 32;
const MULTI_BYTE_TAG = 0x1f;
const MORE_TAG_BYTES = 0x80;
const TAG_BYTES_MAX = 4;

function requireQualifier(value: Uint8Array): Uint8Array {
  const qualifier = requireBytes(value, 'AID search qualifier');
  if (qualifier.length > AID_SEARCH_QUALIFIER_BYTES_MAX) {
    throw gpMalformed(`${WHAT}: an AID search qualifier has at most ${AID_SEARCH_QUALIFIER_BYTES_MAX} bytes, received ${qualifier.length}`);
  }
  return qualifier;
}

/** The tags of a '5C' tag list: tag fields one after another, no lengths. */
export function decodeTagList(received: Uint8Array): number[] {
  const tags: number[] = [];
  let offset = 0;
  while (offset < received.length) {
    if (tags.length === TAG_LIST_TAGS_MAX) throw gpLimit(`${WHAT}: a tag list names at most ${TAG_LIST_TAGS_MAX} tags`);
    let tag = received[offset] as number;
    let count = 1;
    if ((tag & MULTI_BYTE_TAG) === MULTI_BYTE_TAG) {
      for (;;) {
        const next = received[offset + count];
        if (next === undefined) throw gpMalformed(`${WHAT}: tag list ends inside a tag`);
        tag = tag * 256 + next;
        count++;
        if ((next & MORE_TAG_BYTES) === 0) break;
        if (count === TAG_BYTES_MAX) throw gpMalformed(`${WHAT}: a tag in the tag list is longer than ${TAG_BYTES_MAX} bytes`);
      }
    }
    if (!isValidTag(tag)) throw gpMalformed(`${WHAT}: the tag list holds an invalid tag at offset ${offset}`);
    tags.push(tag);
    offset += count;
  }
  return tags;
}

export function encodeTagList(tags: readonly number[]): Uint8Array {
  if (tags.length > TAG_LIST_TAGS_MAX) throw gpLimit(`${WHAT}: a tag list names at most ${TAG_LIST_TAGS_MAX} tags`);
  return concatBytes(...tags.map((tag) => tagToBytes(tag)));
}

export function encodeGetStatusCriteria(criteria: GetStatusCriteria): Uint8Array {
  for (const node of criteria.other) {
    if (node.tag === GPTag.AID || node.tag === GPTag.TAG_LIST) throw gpMalformed(`${WHAT}: '${tagToHex(node.tag)}' has its own field`);
  }
  requireUniqueTags(criteria.other, WHAT);
  const nodes: TLVNode[] = [primitiveNode(GPTag.AID, requireQualifier(criteria.aidQualifier))];
  if (criteria.tagList !== undefined) nodes.push(primitiveNode(GPTag.TAG_LIST, encodeTagList(criteria.tagList)));
  return encodeTLV([...nodes, ...criteria.other]);
}

export function decodeGetStatusCriteria(received: Uint8Array): GetStatusCriteria {
  const nodes = decodeGPTLV(received, WHAT);
  requireUniqueTags(nodes, WHAT);
  const [aidNode, ...rest] = nodes;
  if (aidNode?.tag !== GPTag.AID) throw gpMalformed(`${WHAT} must start with '4F' (the AID search qualifier)`);
  const aidQualifier = requireQualifier(primitiveValue(aidNode, WHAT));
  let tagList: number[] | undefined;
  const other: TLVNode[] = [];
  for (const node of rest) {
    if (node.tag === GPTag.TAG_LIST) tagList = decodeTagList(primitiveValue(node, WHAT));
    else other.push(node);
  }
  return { aidQualifier, ...(tagList === undefined ? {} : { tagList }), other };
}

/** An entry matches when its AID starts with the qualifier; an empty qualifier matches all (GP 2.3 §11.4.2.2). */
export function aidMatchesSearchQualifier(aid: Uint8Array, qualifier: Uint8Array): boolean {
  if (qualifier.length > aid.length) return false;
  for (let i = 0; i < qualifier.length; i++) if (aid[i] !== qualifier[i]) return false;
  return true;
}
