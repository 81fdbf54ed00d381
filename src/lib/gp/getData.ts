import { encodeTLV, isConstructedTag, isValidTag, primitiveNode, tagToHex } from '../tlv/index.js';
import { decodeGPTLV, primitiveValue, requireBytes } from './fields.js';
import { gpMalformed } from './gpError.js';

/**
 * GET DATA (GP 2.3 §11.3): P1-P2 name the data object, and the response data field is that data
 * object, tag included ('42 03 …' for the IIN). These helpers cover the primitive objects ('42'
 * IIN, '45' CIN, 'C1' sequence counter, 'CF' key diversification data, …); CPLC, Card Data and
 * the Key Information Template have codecs of their own.
 */

export function getDataParameters(tag: number): { readonly p1: number; readonly p2: number } {
  if (!isValidTag(tag) || tag > 0xffff) throw gpMalformed(`GET DATA names a tag of one or two bytes, received ${String(tag)}`);
  return { p1: tag >> 8, p2: tag & 0xff };
}

/** The tag GET DATA P1-P2 name: P1 '00' for one-byte tags. */
export function getDataTagOf(p1: number, p2: number): number {
  return p1 * 256 + p2;
}

export function encodeGetDataResponse(tag: number, value: Uint8Array): Uint8Array {
  if (isConstructedTag(tag)) throw gpMalformed(`tag ${tagToHex(tag)} is constructed; use its own encoder`);
  return encodeTLV([primitiveNode(tag, requireBytes(value, 'GET DATA value'))]);
}

/** The value of the one primitive data object with `expectedTag` the response must consist of. */
export function decodeGetDataResponse(expectedTag: number, received: Uint8Array): Uint8Array {
  const what = `GET DATA ${isValidTag(expectedTag) ? tagToHex(expectedTag) : String(expectedTag)} response`;
  const [node, extra] = decodeGPTLV(received, what);
  if (node?.tag !== expectedTag || extra !== undefined) throw gpMalformed(`${what}: expected exactly one data object with that tag`);
  return primitiveValue(node, what);
}
