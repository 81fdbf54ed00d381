import { runAES } from './aesCipher.js';

/**
 * AES-CBC decryption without padding (SP 800-38A §6.2). The IV is the one the sender used; it is
 * passed explicitly, never defaulted. Decrypt only after the MAC over the ciphertext has been
 * verified (GP 2.3 Amendment D encrypts then MACs), so a wrong key or IV yields garbage, not an
 * oracle. The key length selects AES-128, AES-192 or AES-256; the ciphertext must be whole blocks.
 */
export function decryptAESCBC(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return runAES('cbc', 'decrypt', key, iv, ciphertext);
}
