import { runTDES } from './tdesCipher.js';

/**
 * Triple-DES CBC decryption without padding (SP 800-38A §6.2 over TDEA). The IV is the sender's,
 * passed explicitly. A 16-byte key is two-key TDEA, a 24-byte key three-key TDEA; the ciphertext
 * must be whole 8-byte blocks. Decrypt only after the MAC has been verified.
 */
export function decryptTDESCBC(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return runTDES('cbc', 'decrypt', key, iv, ciphertext);
}
