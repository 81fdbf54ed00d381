import { runTDES } from './tdesCipher.js';

/**
 * Triple-DES CBC encryption without padding (SP 800-38A §6.2 over TDEA), as EMV and ICAO 9303
 * secure messaging use it. The 8-byte IV is explicit (often zero in those protocols, which is
 * theirs to decide). A 16-byte key is two-key TDEA, a 24-byte key three-key TDEA.
 */
export function encryptTDESCBC(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return runTDES('cbc', 'encrypt', key, iv, plaintext);
}
