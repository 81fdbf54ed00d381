import { applyBlockCipher, type CipherDirection } from './applyBlockCipher.js';
import { requireBlockMultiple, requireKeyLength, requireLength } from './checks.js';
import { AES_BLOCK_BYTES, AES_KEY_LENGTHS_BYTES } from './limits.js';

/** Block modes of SP 800-38A that Tessera uses with AES. */
export type AESMode = 'ecb' | 'cbc';

/** The AES variant follows from the key length (FIPS 197 §5): 16, 24 or 32 bytes. */
export function aesAlgorithm(key: Uint8Array, mode: AESMode): string {
  return `aes-${key.length * 8}-${mode}`;
}

/**
 * Shared body of the four AES entry points: validate, then run node:crypto without padding.
 * ECB (SP 800-38A §6.1) takes no IV; CBC (§6.2) takes an explicit 16-byte IV and never a default.
 */
export function runAES(
  mode: AESMode,
  direction: CipherDirection,
  key: Uint8Array,
  iv: Uint8Array | null,
  input: Uint8Array,
): Uint8Array {
  requireKeyLength(key, AES_KEY_LENGTHS_BYTES, 'AES key');
  if (mode === 'cbc') requireLength(iv, AES_BLOCK_BYTES, 'CBC IV');
  requireBlockMultiple(input, AES_BLOCK_BYTES, direction === 'encrypt' ? 'plaintext' : 'ciphertext');
  return applyBlockCipher(aesAlgorithm(key, mode), key, iv, input, direction);
}
