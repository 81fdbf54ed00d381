import { verificationFailure } from './checks.js';
import { requirePaddingInput, type PaddingBlockLengthBytes } from './iso9797Padding.js';

/**
 * Removes ISO/IEC 9797-1 padding method 2 (§6.1.2): the last block must end in 0x80 followed only
 * by zeros. Any other ending fails with the one uniform verification error, and the whole last
 * block is read before deciding, so neither the error nor an early exit tells which byte was wrong
 * (the padding oracle of Vaudenay, Eurocrypt 2002). JavaScript promises no constant time, which is
 * why callers unpad only after the MAC over the ciphertext has been verified.
 */
export function unpadISO9797Method2(padded: Uint8Array, blockLengthBytes: PaddingBlockLengthBytes): Uint8Array {
  requirePaddingInput(padded, blockLengthBytes);
  if (padded.length === 0 || padded.length % blockLengthBytes !== 0) throw verificationFailure();

  let markerIndex = -1;
  let markerDifference = 0;
  for (let i = padded.length - 1; i >= padded.length - blockLengthBytes; i--) {
    const byte = padded[i] as number;
    if (markerIndex < 0 && byte !== 0) {
      markerIndex = i;
      markerDifference = byte ^ 0x80;
    }
  }
  if (markerIndex < 0 || markerDifference !== 0) throw verificationFailure();
  return padded.slice(0, markerIndex);
}
