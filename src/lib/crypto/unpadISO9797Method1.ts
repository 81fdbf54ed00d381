import { requireIntegerInRange, verificationFailure } from './checks.js';
import { method1PaddedLengthBytes, requirePaddingInput, type PaddingBlockLengthBytes } from './iso9797Padding.js';
import { CRYPTO_MESSAGE_BYTES_MAX } from './limits.js';

/**
 * Removes ISO/IEC 9797-1 padding method 1 (§6.1.1). Zero padding cannot be removed from the data
 * alone, so the caller passes the data length it knows from the protocol; the padded length and the
 * zero tail are then checked, and any mismatch fails with the one uniform verification error.
 */
export function unpadISO9797Method1(
  padded: Uint8Array,
  dataLengthBytes: number,
  blockLengthBytes: PaddingBlockLengthBytes,
): Uint8Array {
  requirePaddingInput(padded, blockLengthBytes);
  requireIntegerInRange(dataLengthBytes, 0, CRYPTO_MESSAGE_BYTES_MAX, 'data length in bytes');
  if (padded.length !== method1PaddedLengthBytes(dataLengthBytes, blockLengthBytes)) throw verificationFailure();
  let nonZero = 0;
  for (let i = dataLengthBytes; i < padded.length; i++) nonZero |= padded[i] as number;
  if (nonZero !== 0) throw verificationFailure();
  return padded.slice(0, dataLengthBytes);
}
