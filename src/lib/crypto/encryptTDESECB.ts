import { runTDES } from './tdesCipher.js';

/**
 * Triple-DES ECB encryption without padding (SP 800-67 Rev. 2 TDEA applied per block, SP 800-38A
 * §6.1), for EMV legacy: ARQC and key derivation work on single blocks. A 16-byte key is two-key
 * TDEA (K3 = K1), a 24-byte key three-key TDEA; the plaintext must be whole 8-byte blocks.
 */
export function encryptTDESECB(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return runTDES('ecb', 'encrypt', key, null, plaintext);
}
