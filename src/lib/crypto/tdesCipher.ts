import { applyBlockCipher, type CipherDirection } from './applyBlockCipher.js';
import { requireBlockMultiple, requireKeyLength, requireLength } from './checks.js';
import { DES_BLOCK_BYTES, TDES_KEY_LENGTHS_BYTES } from './limits.js';

export type TDESMode = 'ecb' | 'cbc';

/**
 * OpenSSL names (all in OpenSSL 3's default provider, unlike single DES, which moved to the legacy
 * provider): 'des-ede' / 'des-ede-cbc' take K1 || K2 and use K3 = K1 (SP 800-67 keying option 2);
 * 'des-ede3' / 'des-ede3-cbc' take K1 || K2 || K3 (keying option 1).
 */
export function tdesAlgorithm(key: Uint8Array, mode: TDESMode): string {
  const base = key.length === 16 ? 'des-ede' : 'des-ede3';
  return mode === 'ecb' ? base : `${base}-cbc`;
}

/**
 * Shared body of the TDES entry points. TDEA encryption is E_K3(D_K2(E_K1(x))) (SP 800-67 Rev. 2).
 * Keys with equal parts are accepted on purpose: EMV legacy keys and the DES known-answer tests
 * (keying option 3, K1 = K2 = K3, which is single DES) need them. DES parity bits are ignored.
 * SP 800-67 Rev. 2 no longer approves TDEA for new encryption; it is here for EMV legacy only.
 */
export function runTDES(
  mode: TDESMode,
  direction: CipherDirection,
  key: Uint8Array,
  iv: Uint8Array | null,
  input: Uint8Array,
): Uint8Array {
  requireKeyLength(key, TDES_KEY_LENGTHS_BYTES, 'TDES key');
  if (mode === 'cbc') requireLength(iv, DES_BLOCK_BYTES, 'CBC IV');
  requireBlockMultiple(input, DES_BLOCK_BYTES, direction === 'encrypt' ? 'plaintext' : 'ciphertext');
  return applyBlockCipher(tdesAlgorithm(key, mode), key, iv, input, direction);
}
