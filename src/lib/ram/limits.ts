/**
 * Limits of the expanded remote APDU format as Tessera speaks it. Every loop in the codec is
 * bounded by one of them, so a hostile agent (or a hostile TSM, seen from the card side) cannot
 * make a parser spin or allocate without bound.
 */
import { APDU_COMMAND_BYTES_MAX, APDU_RESPONSE_BYTES_MAX } from '../apdu.js';

/**
 * Most C-APDUs in one Command Scripting template, and so most R-APDUs in its answer. 255 keeps
 * the "number of executed command TLV objects" (ETSI TS 102 226 §5.2.2, table 5.11) within one
 * unsigned byte; a longer job (a large LOAD sequence) is split into several scripts.
 */
export const RAM_SCRIPT_COMMANDS_MAX = 255;

/**
 * Largest command or response script, template tag and length included: two of the largest
 * possible APDUs. This is also the body limit of the admin route, so one request never holds more.
 */
export const RAM_SCRIPT_BYTES_MAX = 131_072;

/** Longest C-APDU in a C-APDU TLV (ISO/IEC 7816-4 case 4E). */
export const RAM_COMMAND_BYTES_MAX = APDU_COMMAND_BYTES_MAX;

/** Longest R-APDU in an R-APDU TLV: 65 536 data bytes and SW1 SW2. */
export const RAM_RESPONSE_BYTES_MAX = APDU_RESPONSE_BYTES_MAX;

/** Shortest C-APDU: CLA INS P1 P2 (ISO/IEC 7816-4 case 1). */
export const RAM_COMMAND_BYTES_MIN = 4;

/** Shortest R-APDU: SW1 SW2 alone. */
export const RAM_RESPONSE_BYTES_MIN = 2;

/** Longest BER length field: '84' and four length bytes (ISO/IEC 7816-4 §5.2.2.2). */
export const RAM_LENGTH_FIELD_BYTES_MAX = 5;

/** Longest value of the "number of executed command TLV objects" data object (an unsigned 32-bit count). */
export const RAM_EXECUTED_COUNT_BYTES_MAX = 4;
