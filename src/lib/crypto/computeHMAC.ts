import { createHmac } from 'node:crypto';
import { requireBytes, requireIntegerInRange, requireMessage } from './checks.js';
import { HMAC_KEY_BYTES_MAX } from './limits.js';
import { toBytes } from './toBytes.js';

/** The hash functions Tessera uses HMAC with (RFC 4231 names them HMAC-SHA-256 and HMAC-SHA-512). */
export type HMACHash = 'sha256' | 'sha512';

/** Output lengths: SHA-256 is 32 bytes, SHA-512 64 bytes (FIPS 180-4 §1). */
export const HMAC_OUTPUT_BYTES: Readonly<Record<HMACHash, number>> = { sha256: 32, sha512: 64 };

/**
 * HMAC (RFC 2104 §2; FIPS 198-1 §4) over node:crypto. An empty key is refused: RFC 2104 §3 asks
 * for at least L bytes of key, and an empty one is always a wiring mistake. Keys longer than the
 * hash block are hashed first by the algorithm itself, so long keys are fine up to the bound.
 */
export function computeHMAC(hash: HMACHash, key: Uint8Array, message: Uint8Array): Uint8Array {
  requireBytes(key, 'HMAC key');
  requireIntegerInRange(key.length, 1, HMAC_KEY_BYTES_MAX, 'HMAC key length in bytes');
  requireMessage(message);
  return toBytes(createHmac(hash, key).update(message).digest());
}

/** HMAC-SHA-256 (RFC 4231), 32 bytes. */
export function computeHMACSHA256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return computeHMAC('sha256', key, message);
}

/** HMAC-SHA-512 (RFC 4231), 64 bytes. */
export function computeHMACSHA512(key: Uint8Array, message: Uint8Array): Uint8Array {
  return computeHMAC('sha512', key, message);
}
