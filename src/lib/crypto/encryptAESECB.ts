import { runAES } from './aesCipher.js';

/**
 * AES-ECB encryption without padding (SP 800-38A §6.1): one block at a time, for key wrapping of
 * single blocks and for building other modes, never for messages. The key length selects AES-128,
 * AES-192 or AES-256; the plaintext must be whole 16-byte blocks.
 */
export function encryptAESECB(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return runAES('ecb', 'encrypt', key, null, plaintext);
}
