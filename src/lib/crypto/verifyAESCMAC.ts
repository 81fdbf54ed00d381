import { constantTimeEqual, copyBytes } from '../bytes.js';
import { requireBytes, requireIntegerInRange, requireMessage } from './checks.js';
import { computeAESCMAC } from './computeAESCMAC.js';
import { AES_BLOCK_BYTES, MAC_TRUNCATED_BYTES_MIN } from './limits.js';
import { truncateMAC } from './truncateMAC.js';

/**
 * Verifies an AES-CMAC tag (SP 800-38B §6.3) of the length the protocol fixes, not the length the
 * sender chose: a received tag of any other length is simply wrong, which stops a peer from
 * downgrading to a 4-byte tag. Returns false on every mismatch, the same way, and compares in
 * constant time. Invalid keys or lengths set by our own code throw, as they are programmer errors.
 */
export function verifyAESCMAC(
  key: Uint8Array,
  message: Uint8Array,
  receivedMAC: Uint8Array,
  expectedMACLengthBytes: number,
): boolean {
  requireIntegerInRange(expectedMACLengthBytes, MAC_TRUNCATED_BYTES_MIN, AES_BLOCK_BYTES, 'expected MAC length in bytes');
  requireMessage(message);
  requireBytes(receivedMAC, 'received MAC');
  const received = copyBytes(receivedMAC);
  const expected = truncateMAC(computeAESCMAC(key, copyBytes(message)), expectedMACLengthBytes);
  if (received.length !== expectedMACLengthBytes) return false;
  return constantTimeEqual(expected, received);
}
