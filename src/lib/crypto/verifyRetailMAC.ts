import { constantTimeEqual, copyBytes } from '../bytes.js';
import { requireBytes, requireIntegerInRange, requireMessage } from './checks.js';
import { computeRetailMAC } from './computeRetailMAC.js';
import { type ISO9797PaddingMethod } from './iso9797Padding.js';
import { DES_BLOCK_BYTES, MAC_TRUNCATED_BYTES_MIN } from './limits.js';
import { truncateMAC } from './truncateMAC.js';

/**
 * Verifies an ISO/IEC 9797-1 MAC algorithm 3 MAC of the length the protocol fixes (8 bytes in
 * ICAO 9303, 4 to 8 in EMV). A received MAC of another length, or with any wrong bit, gives the
 * same `false`; the comparison is constant-time.
 */
export function verifyRetailMAC(
  key: Uint8Array,
  message: Uint8Array,
  padding: ISO9797PaddingMethod,
  receivedMAC: Uint8Array,
  expectedMACLengthBytes: number,
): boolean {
  requireIntegerInRange(expectedMACLengthBytes, MAC_TRUNCATED_BYTES_MIN, DES_BLOCK_BYTES, 'expected MAC length in bytes');
  requireMessage(message);
  requireBytes(receivedMAC, 'received MAC');
  const received = copyBytes(receivedMAC);
  const expected = truncateMAC(computeRetailMAC(key, copyBytes(message), padding), expectedMACLengthBytes);
  if (received.length !== expectedMACLengthBytes) return false;
  return constantTimeEqual(expected, received);
}
