import { constantTimeEqual, copyBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireBytes, requireIntegerInRange, requireMessage } from './checks.js';
import { computeHMAC, HMAC_OUTPUT_BYTES, type HMACHash } from './computeHMAC.js';
import { MAC_TRUNCATED_BYTES_MIN } from './limits.js';
import { truncateMAC } from './truncateMAC.js';

/**
 * Verifies an HMAC of the length the protocol fixes (RFC 2104 §5 truncation keeps the leftmost
 * bytes). A received MAC of another length or with any wrong bit gives the same `false`, and the
 * comparison is constant-time after the (public) length check.
 */
export function verifyHMAC(
  hash: HMACHash,
  key: Uint8Array,
  message: Uint8Array,
  receivedMAC: Uint8Array,
  expectedMACLengthBytes: number,
): boolean {
  if (hash !== 'sha256' && hash !== 'sha512') {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected hash 'sha256' or 'sha512', received ${String(hash)}`);
  }
  requireIntegerInRange(expectedMACLengthBytes, MAC_TRUNCATED_BYTES_MIN, HMAC_OUTPUT_BYTES[hash], 'expected MAC length in bytes');
  requireMessage(message);
  requireBytes(receivedMAC, 'received MAC');
  const received = copyBytes(receivedMAC);
  const expected = truncateMAC(computeHMAC(hash, key, copyBytes(message)), expectedMACLengthBytes);
  if (received.length !== expectedMACLengthBytes) return false;
  return constantTimeEqual(expected, received);
}
