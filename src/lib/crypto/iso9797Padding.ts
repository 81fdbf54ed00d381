import { LibErrorCode, TesseraError } from '../errors.js';
import { requireMessage } from './checks.js';
import { AES_BLOCK_BYTES, DES_BLOCK_BYTES } from './limits.js';

/** ISO/IEC 9797-1 pads to the block length n of the cipher: 8 bytes for DES/TDEA, 16 for AES. */
export type PaddingBlockLengthBytes = 8 | 16;

/** ISO/IEC 9797-1 §6.1 padding methods used here (method 3, a length prefix, is not). */
export type ISO9797PaddingMethod = 1 | 2;

export function requirePaddingBlockLength(blockLengthBytes: unknown): asserts blockLengthBytes is PaddingBlockLengthBytes {
  if (blockLengthBytes !== DES_BLOCK_BYTES && blockLengthBytes !== AES_BLOCK_BYTES) {
    throw new TesseraError(
      LibErrorCode.cryptoInput,
      `expected a padding block length of ${DES_BLOCK_BYTES} or ${AES_BLOCK_BYTES} bytes, received ${String(blockLengthBytes)}`,
    );
  }
}

/** Checks shared by every pad and unpad: a bounded message and a known block length. */
export function requirePaddingInput(data: unknown, blockLengthBytes: unknown): asserts data is Uint8Array {
  requireMessage(data, 'data');
  requirePaddingBlockLength(blockLengthBytes);
}

/** Length after method 1: the least positive multiple of n, so the empty string becomes one block. */
export function method1PaddedLengthBytes(dataLengthBytes: number, blockLengthBytes: number): number {
  return Math.max(1, Math.ceil(dataLengthBytes / blockLengthBytes)) * blockLengthBytes;
}
