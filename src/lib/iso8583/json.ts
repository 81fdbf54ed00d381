import { fromHex, toHex } from '../bytes.js';
import { isTesseraError } from '../errors.js';
import {
  decodeTLV, encodeTLV, isConstructedTag, tagFromHex, tagToHex, TLV_NODES_MAX, type TLVNode,
} from '../tlv/index.js';
import { defineISO8583Dialect } from './dialects.js';
import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { ISO8583_FIELD_NUMBER_MAX } from './limits.js';
import type { ISO8583Dialect, ISO8583FieldValue, ISO8583Message } from './types.js';

/**
 * A JSON form of a message, for the CLI and for people:
 *
 *   { "mti": "0100", "fields": { "2": "4761739001010010", "52": "0123456789ABCDEF",
 *                                "55": [ { "tag": "9F26", "value": "…" }, { "tag": "70", "children": [ … ] } ] } }
 *
 * Text fields are strings; binary fields are upper-case hex; a BER-TLV field (55) is a list of
 * data objects, each with a hex `tag` and either a hex `value` (primitive) or `children`
 * (constructed). On input a BER-TLV field may also be given as hex. Both directions are
 * iterative and bounded by TLV_NODES_MAX.
 */

export interface TLVJSON {
  readonly tag: string;
  readonly value?: string;
  readonly children?: readonly TLVJSON[];
}

export type ISO8583FieldJSON = string | readonly TLVJSON[];

export interface ISO8583MessageJSON {
  readonly mti: string;
  readonly fields: Readonly<Record<string, ISO8583FieldJSON>>;
}

/** Data objects as JSON, in document order. */
export function tlvToJSON(nodes: readonly TLVNode[]): TLVJSON[] {
  const root: TLVJSON[] = [];
  // Breadth first: siblings are queued together, so each list fills in document order.
  const queue: { node: TLVNode; into: TLVJSON[] }[] = nodes.map((node) => ({ node, into: root }));
  for (let i = 0; i < queue.length; i++) {
    const { node, into } = queue[i] as { node: TLVNode; into: TLVJSON[] };
    if (node.constructed) {
      const children: TLVJSON[] = [];
      into.push({ tag: tagToHex(node.tag), children });
      for (const child of node.children) queue.push({ node: child, into: children });
    } else {
      into.push({ tag: tagToHex(node.tag), value: toHex(node.value) });
    }
  }
  return root;
}

function jsonError(message: string, field?: number, cause?: unknown): never {
  throw iso8583Error(ISO8583ErrorCode.json, message, field === undefined ? {} : { field }, cause);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Encodes a JSON list of data objects as BER-TLV. */
export function tlvFromJSON(list: unknown, field?: number): Uint8Array {
  if (!Array.isArray(list)) jsonError('a BER-TLV field is a list of data objects or hex', field);
  type Building = { tag: number; constructed: boolean; value: Uint8Array; children: Building[] };
  const root: Building[] = [];
  const queue: { item: unknown; into: Building[] }[] = (list as unknown[]).map((item) => ({ item, into: root }));
  for (let i = 0; i < queue.length; i++) {
    if (queue.length > TLV_NODES_MAX) jsonError(`more than ${TLV_NODES_MAX} data objects`, field);
    const { item, into } = queue[i] as { item: unknown; into: Building[] };
    if (!isRecord(item) || typeof item['tag'] !== 'string') jsonError('each data object has a hex "tag"', field);
    const record = item;
    let tag: number;
    try {
      tag = tagFromHex(record['tag'] as string);
    } catch (error) {
      jsonError(`data object ${i + 1}: the tag is not a valid BER-TLV tag`, field, error);
    }
    const constructed = isConstructedTag(tag);
    const node: Building = { tag, constructed, value: new Uint8Array(0), children: [] };
    if (constructed) {
      if (!Array.isArray(record['children']) || record['value'] !== undefined) {
        jsonError(`data object ${i + 1}: constructed tag ${tagToHex(tag)} takes "children", not "value"`, field);
      }
      for (const child of record['children'] as unknown[]) queue.push({ item: child, into: node.children });
    } else {
      if (typeof record['value'] !== 'string' || record['children'] !== undefined) {
        jsonError(`data object ${i + 1}: primitive tag ${tagToHex(tag)} takes a hex "value"`, field);
      }
      node.value = hexValue(record['value'], field);
    }
    into.push(node);
  }
  try {
    return encodeTLV(root);
  } catch (error) {
    jsonError('the data objects cannot be encoded as BER-TLV', field, error);
  }
}

function hexValue(text: string, field?: number): Uint8Array {
  try {
    return fromHex(text);
  } catch (error) {
    if (!isTesseraError(error)) throw error;
    jsonError(field === undefined ? 'expected hex' : `field ${field}: expected hex`, field, error);
  }
}

/** The JSON form of a message: binary fields as upper-case hex, BER-TLV fields as data object lists. */
export function messageToJSON(message: ISO8583Message, dialect: ISO8583Dialect): ISO8583MessageJSON {
  defineISO8583Dialect(dialect);
  const fields: Record<string, ISO8583FieldJSON> = {};
  for (const field of [...message.fields.keys()].sort((a, b) => a - b)) {
    const value = message.fields.get(field) as ISO8583FieldValue;
    if (typeof value === 'string') fields[String(field)] = value;
    else if (dialect.fields[field]?.content === 'tlv') fields[String(field)] = tlvToJSON(decodeTLV(value, { padding: 'reject' }));
    else fields[String(field)] = toHex(value);
  }
  return { mti: message.mti, fields };
}

/**
 * A message from its JSON form (already parsed). Checks the shape only (ERR_ISO8583_JSON); the
 * values are checked against their specs when the message is encoded.
 */
export function messageFromJSON(json: unknown, dialect: ISO8583Dialect): ISO8583Message {
  defineISO8583Dialect(dialect);
  if (!isRecord(json) || typeof json['mti'] !== 'string' || !isRecord(json['fields'])) {
    jsonError('expected an object with "mti" (text) and "fields" (an object keyed by field number)');
  }
  const record = json;
  const fieldsJSON = record['fields'] as Record<string, unknown>;
  const fields = new Map<number, ISO8583FieldValue>();
  for (const key of Object.keys(fieldsJSON)) {
    const field = /^[0-9]{1,3}$/.test(key) ? Number(key) : Number.NaN;
    if (!Number.isInteger(field) || field < 2 || field > ISO8583_FIELD_NUMBER_MAX) {
      jsonError(`"${key.slice(0, 8)}" is not a data element number 2 to 128`);
    }
    const spec = dialect.fields[field];
    if (spec === undefined) {
      throw iso8583Error(ISO8583ErrorCode.fieldUndefined, `field ${field} is not defined in the ${dialect.name} dialect`, { field });
    }
    const value = fieldsJSON[key];
    if (spec.format !== 'b') {
      if (typeof value !== 'string') jsonError(`field ${field}: expected a string`, field);
      fields.set(field, value);
    } else if (spec.content === 'tlv' && Array.isArray(value)) {
      fields.set(field, tlvFromJSON(value, field));
    } else {
      if (typeof value !== 'string') jsonError(`field ${field}: expected hex`, field);
      fields.set(field, hexValue(value, field));
    }
  }
  return { mti: record['mti'] as string, fields };
}
