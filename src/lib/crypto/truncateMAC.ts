import { LibErrorCode, TesseraError } from '../errors.js';
import { requireBytes, requireIntegerInRange } from './checks.js';
import { MAC_TRUNCATED_BYTES_MIN } from './limits.js';

/**
 * The leftmost `lengthBytes` of a MAC: SP 800-38B §6.2 step 7 (T = MSB_Tlen(C_n)) for CMAC,
 * RFC 2104 §5 for HMAC. SCP03 uses 8 bytes of CMAC; RFC 4231 §4.6 truncates HMAC to 128 bits.
 * Never below 4 bytes (see MAC_TRUNCATED_BYTES_MIN): a shorter tag is guessable.
 */
export function truncateMAC(mac: Uint8Array, lengthBytes: number): Uint8Array {
  requireBytes(mac, 'MAC');
  if (mac.length < MAC_TRUNCATED_BYTES_MIN) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `expected a MAC of at least ${MAC_TRUNCATED_BYTES_MIN} bytes, received ${mac.length}`);
  }
  requireIntegerInRange(lengthBytes, MAC_TRUNCATED_BYTES_MIN, mac.length, 'MAC length in bytes');
  return mac.slice(0, lengthBytes);
}
