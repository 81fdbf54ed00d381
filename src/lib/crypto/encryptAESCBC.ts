import { runAES } from './aesCipher.js';

/**
 * AES-CBC encryption without padding (SP 800-38A §6.2). The IV is explicit: CBC needs a fresh,
 * unpredictable IV per message for confidentiality (SP 800-38A Appendix C); SCP03 derives its own.
 * The key length selects AES-128, AES-192 or AES-256; the plaintext must be whole 16-byte blocks.
 */
export function encryptAESCBC(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return runAES('cbc', 'encrypt', key, iv, plaintext);
}
