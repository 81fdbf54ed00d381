/**
 * Limits for BER-TLV and Data Object List handling. Every loop in the TLV code is bounded by one
 * of these, so that a hostile card or a hostile wallet cannot make a parser spin or allocate
 * without bound. Callers may lower them (or raise them, for a known-large input such as a whole
 * CAP file) through `TLVDecodeOptions`.
 */

/** Largest input accepted by `decodeTLV`: the largest extended response APDU data field (ISO/IEC 7816-4 §5.1). */
export const TLV_BYTES_MAX = 65_536;

/** Deepest nesting of constructed data objects. EMV templates nest 4 deep at most (6F/A5/BF0C/61). */
export const TLV_DEPTH_MAX = 16;

/** Most data objects (at every depth together) decoded from one input. */
export const TLV_NODES_MAX = 4_096;

/** Longest tag field. ISO/IEC 7816-4 uses at most 3 bytes; payment kernels use proprietary 3-byte tags (DF8101). */
export const TLV_TAG_BYTES_MAX = 4;

/** Longest length field: '84' then four length bytes (ISO/IEC 7816-4 §5.2.2.2 calls '85' to 'FF' invalid). */
export const TLV_LENGTH_FIELD_BYTES_MAX = 5;

/** Most entries in one Data Object List (EMV Book 3 §5.4). Real PDOLs and CDOLs list fewer than 20. */
export const DOL_ENTRIES_MAX = 128;

/** Largest command data a DOL may ask for: the largest extended command data field (ISO/IEC 7816-4 §5.1). */
export const DOL_DATA_BYTES_MAX = 65_535;
