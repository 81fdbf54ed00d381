import { encryptTDESECB } from '../crypto/index.js';
import { requireIntegerInRange, requireKey } from './checks.js';
import { EMV_BLOCK_BYTES } from './limits.js';

/** KCVs are conventionally 2 (pyemv), 3 (HSMs, EFTlab BP-Tools) or up to a whole block long. */
export const KEY_CHECK_VALUE_BYTES_DEFAULT = 3;
const KEY_CHECK_VALUE_BYTES_MIN = 2;

/**
 * Key check value of a double-length TDEA key: the leftmost bytes of the encryption of a zero block
 * (ANSI X9.24-1 key check value; what HSM and personalisation logs print). A KCV identifies a key
 * without revealing it, so tests, logs and the CLI may show it where the key itself must not go.
 */
export function computeKeyCheckValue(key: Uint8Array, lengthBytes: number = KEY_CHECK_VALUE_BYTES_DEFAULT): Uint8Array {
  requireKey(key, 'key');
  requireIntegerInRange(lengthBytes, KEY_CHECK_VALUE_BYTES_MIN, EMV_BLOCK_BYTES, 'key check value length in bytes');
  return encryptTDESECB(key, new Uint8Array(EMV_BLOCK_BYTES)).slice(0, lengthBytes);
}
