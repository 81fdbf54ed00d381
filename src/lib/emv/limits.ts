/**
 * Sizes fixed by EMV 4.4 Book 2 and the bounds Tessera puts on inputs (TIGER_STYLE: a limit on
 * everything, unit last).
 */

/** EMV Book 2 Annex A1.4 and A1.3: issuer master keys, ICC master keys and session keys are double-length TDEA keys. */
export const EMV_KEY_BYTES = 16;
/** The TDEA block: EMV Book 2 Annex A1.1. */
export const EMV_BLOCK_BYTES = 8;
/** Application Transaction Counter, tag 9F36: EMV Book 3 Annex A, b 2 bytes. */
export const ATC_BYTES = 2;
/** The ATC counts up to FFFF; a card at FFFF stops transacting (EMV Book 3 Annex A, tag 9F36). */
export const ATC_MAX = 0xffff;
/** Application Cryptogram (ARQC, TC, AAC), tag 9F26: 8 bytes (EMV Book 2 §8.1, s = 8 in Annex A1.2). */
export const AC_BYTES = 8;
/** Authorisation Response Code, tag 8A: an 2 (EMV Book 3 Annex A), used by ARPC method 1. */
export const ARC_BYTES = 2;
/** Card Status Update: 4 bytes (EMV Book 2 §8.2.2). */
export const CSU_BYTES = 4;
/** Proprietary Authentication Data: 0 to 8 bytes (EMV Book 2 §8.2.2). */
export const PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX = 8;
/** ARPC method 1 is a whole TDEA block; method 2 is a MAC truncated to 4 bytes (EMV Book 2 §8.2.1, §8.2.2). */
export const ARPC_METHOD_1_BYTES = 8;
export const ARPC_METHOD_2_BYTES = 4;
/** Unpredictable Number, tag 9F37: 4 bytes (EMV Book 3 Annex A). */
export const UNPREDICTABLE_NUMBER_BYTES = 4;
/** Diversification value R of the common session key derivation: one block (EMV Book 2 Annex A1.3.1). */
export const DIVERSIFICATION_BYTES = 8;

/** PAN length: ISO/IEC 7812-1 allows 8 (with 8-digit IINs, at least 10 in practice) to 19 digits. */
export const PAN_DIGITS_MIN = 8;
export const PAN_DIGITS_MAX = 19;
/** Option A keeps the rightmost 16 digits of PAN || PSN (EMV Book 2 Annex A1.4.1). */
export const OPTION_A_DIGITS = 16;

/**
 * Largest input to an application cryptogram. GENERATE AC carries at most 255 bytes of CDOL data
 * (a short Lc, EMV Book 3 §6.5.5); the card adds AIP, ATC and at most 32 bytes of IAD. 512 leaves
 * room for every scheme while keeping hostile input small.
 */
export const AC_DATA_BYTES_MAX = 512;

/** Largest ATC window an issuer may configure: the whole counter range. */
export const ATC_WINDOW_MAX = ATC_MAX;
