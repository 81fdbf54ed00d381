import { runAES } from './aesCipher.js';

/**
 * AES-ECB decryption without padding (SP 800-38A §6.1): one block at a time, for key wrapping of
 * single blocks and for building other modes, never for messages. The key length selects AES-128,
 * AES-192 or AES-256; the ciphertext must be whole 16-byte blocks.
 */
export function decryptAESECB(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return runAES('ecb', 'decrypt', key, null, ciphertext);
}
