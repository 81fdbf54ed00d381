import { requirePaddingInput, type PaddingBlockLengthBytes } from './iso9797Padding.js';

/**
 * ISO/IEC 9797-1 §6.1.2, padding method 2: append one '1' bit (the byte 0x80), then as few zero
 * bits as needed to reach a multiple of the block length. It always adds 1 to n bytes, so it is
 * unambiguous; GlobalPlatform SCP03, EMV secure messaging and ICAO 9303 secure messaging use it.
 */
export function padISO9797Method2(data: Uint8Array, blockLengthBytes: PaddingBlockLengthBytes): Uint8Array {
  requirePaddingInput(data, blockLengthBytes);
  const padded = new Uint8Array((Math.floor(data.length / blockLengthBytes) + 1) * blockLengthBytes);
  padded.set(data);
  padded[data.length] = 0x80;
  return padded;
}
