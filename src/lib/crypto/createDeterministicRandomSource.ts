import { createCipheriv, createHash } from 'node:crypto';
import { requireBytes, requireIntegerInRange } from './checks.js';
import { AES_BLOCK_BYTES, RANDOM_BYTES_MAX } from './limits.js';
import { type RandomSource } from './randomSource.js';

/**
 * FOR TESTS ONLY. A RandomSource whose output is fixed by its seed, so a test can pin keys,
 * challenges and nonces and replay a run byte for byte. It is the AES-256-CTR keystream
 * (SP 800-38A §6.5) under key SHA-256(seed) from a zero counter: uniform-looking, but anyone who
 * knows the seed knows every byte. Never wire it into a running service.
 */
export function createDeterministicRandomSource(seed: Uint8Array): RandomSource {
  requireBytes(seed, 'seed');
  const key = createHash('sha256').update(seed).digest();
  const keystream = createCipheriv('aes-256-ctr', key, new Uint8Array(AES_BLOCK_BYTES));
  key.fill(0);
  return {
    bytes(lengthBytes: number): Uint8Array {
      requireIntegerInRange(lengthBytes, 0, RANDOM_BYTES_MAX, 'random length in bytes');
      return new Uint8Array(keystream.update(new Uint8Array(lengthBytes)));
    },
  };
}
