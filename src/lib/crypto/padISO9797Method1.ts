import { method1PaddedLengthBytes, requirePaddingInput, type PaddingBlockLengthBytes } from './iso9797Padding.js';

/**
 * ISO/IEC 9797-1 §6.1.1, padding method 1: right-pad with as few (possibly no) zero bits as needed
 * to reach a positive multiple of the block length, so only the empty string grows by a whole
 * block. It is ambiguous (trailing zeros of the data are lost), so use it only where the data
 * length is fixed or sent alongside, as in some legacy EMV cryptogram versions.
 */
export function padISO9797Method1(data: Uint8Array, blockLengthBytes: PaddingBlockLengthBytes): Uint8Array {
  requirePaddingInput(data, blockLengthBytes);
  const padded = new Uint8Array(method1PaddedLengthBytes(data.length, blockLengthBytes));
  padded.set(data);
  return padded;
}
