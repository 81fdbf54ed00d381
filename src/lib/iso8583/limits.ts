/**
 * Limits of the ISO 8583 codec. Every loop in the codec is bounded by one of these or by a
 * field's declared maximum length.
 */

/**
 * Largest message accepted or produced (MTI, bitmaps and fields; no transport header). Real
 * authorization messages are under 2 KiB; the built-in dialects' worst case (every field at its
 * maximum) stays below this, which `defineISO8583Dialect` checks, so that what this platform
 * writes it can also read.
 */
export const ISO8583_MESSAGE_BYTES_MAX = 8_192;

/** Highest data element number with a primary and a secondary bitmap (ISO 8583:1987 §4.3). */
export const ISO8583_FIELD_NUMBER_MAX = 128;

/** Fields 2-64 are named by the primary bitmap; 65-128 by the secondary one. */
export const ISO8583_PRIMARY_FIELD_NUMBER_MAX = 64;

/** One bitmap: 64 bits. */
export const ISO8583_BITMAP_BYTES = 8;

/** Largest length an LLVAR prefix can state (two digits). */
export const ISO8583_LLVAR_LENGTH_MAX = 99;

/** Largest length an LLLVAR prefix can state (three digits). */
export const ISO8583_LLLVAR_LENGTH_MAX = 999;

/** Longest track 2 (equivalent) data without sentinels and LRC (ISO/IEC 7813 §10: 40 characters in all). */
export const TRACK2_CHARACTERS_MAX = 37;

/** Longest PAN (ISO/IEC 7812-1 §4). */
export const TRACK2_PAN_DIGITS_MAX = 19;

/** Shortest PAN accepted in track 2 (ISO/IEC 7812-1 §4 allows 8 digits from 2017; most networks require 12). */
export const TRACK2_PAN_DIGITS_MIN = 12;
