/**
 * BER-TLV (ISO/IEC 8825-1 as profiled by EMV 4.4 Book 3 Annex B and ISO/IEC 7816-4 §5.2) and
 * EMV Data Object Lists (EMV 4.4 Book 3 §5.4). Pure functions over Uint8Array; no recursion.
 */
export { decodeSingleTLV, decodeTLV } from './decodeTLV.js';
export { buildDOLData, decodeDOL, encodeDOL } from './dol.js';
export type { DOLDataFormat, DOLEntry, DOLValue } from './dol.js';
export { constructedNode, encodeTLV, primitiveNode } from './encodeTLV.js';
export { findAllTags, findPath, findTag } from './findTag.js';
export {
  DOL_DATA_BYTES_MAX, DOL_ENTRIES_MAX, TLV_BYTES_MAX, TLV_DEPTH_MAX, TLV_LENGTH_FIELD_BYTES_MAX, TLV_NODES_MAX,
  TLV_TAG_BYTES_MAX,
} from './limits.js';
export { isConstructedTag, isPaddingByte, isValidTag, tagClassOf, tagFromHex, tagToBytes, tagToHex } from './tag.js';
export type { TagClass } from './tag.js';
export type { TLVConstructedNode, TLVDecodeOptions, TLVNode, TLVPrimitiveNode } from './types.js';
