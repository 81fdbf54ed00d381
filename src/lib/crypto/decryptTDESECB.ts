import { runTDES } from './tdesCipher.js';

/**
 * Triple-DES ECB decryption without padding: D_K1(E_K2(D_K3(y))) per block (SP 800-67 Rev. 2
 * TDEA inverse). A 16-byte key is two-key TDEA (K3 = K1), a 24-byte key three-key TDEA; the ciphertext
 * must be whole 8-byte blocks.
 */
export function decryptTDESECB(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return runTDES('ecb', 'decrypt', key, null, ciphertext);
}
