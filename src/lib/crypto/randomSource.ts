import { randomBytes } from 'node:crypto';
import { requireIntegerInRange } from './checks.js';
import { RANDOM_BYTES_MAX } from './limits.js';

/**
 * Where randomness comes from. Services take a RandomSource in their dependencies instead of
 * calling crypto.randomBytes, so tests can pin challenges, keys and nonces (DESIGN.md §2: clock and
 * randomness injected).
 */
export interface RandomSource {
  /** `lengthBytes` random bytes, 0 to RANDOM_BYTES_MAX. */
  bytes(lengthBytes: number): Uint8Array;
}

/** The production source: the operating system's CSPRNG via OpenSSL (crypto.randomBytes). */
export function createSystemRandomSource(): RandomSource {
  return {
    bytes(lengthBytes: number): Uint8Array {
      requireIntegerInRange(lengthBytes, 0, RANDOM_BYTES_MAX, 'random length in bytes');
      return new Uint8Array(randomBytes(lengthBytes));
    },
  };
}
