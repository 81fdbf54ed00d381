/**
 * Bounds of the off-card GlobalPlatform client (TIGER_STYLE: a limit on everything, unit last).
 */

/** GET STATUS pages (responses ending in 6310) read for one P1 before giving up: a card that never ends is broken. */
export const GET_STATUS_PAGES_MAX = 64;

/**
 * Largest command data field when the card does not say ('9F65' in the SD's FCI, GP 2.3 §11.9.3.1):
 * a short APDU's 255 bytes, which every GlobalPlatform card accepts.
 */
export const COMMAND_DATA_BYTES_DEFAULT = 255;

/** Blocks in one STORE DATA sequence: P2 numbers them '00'-'FF' (GP 2.3 §11.11.2.2). */
export const STORE_DATA_BLOCKS_MAX = 256;

/** AES block size: C-DECRYPTION pads every command data field to whole blocks (Amendment D §6.2.6). */
export const AES_BLOCK_BYTES = 16;
