import { createCipheriv, createDecipheriv } from 'node:crypto';
import { toBytesJoined } from './toBytes.js';

export type CipherDirection = 'encrypt' | 'decrypt';

/**
 * Runs one node:crypto cipher over whole blocks with padding switched off: Tessera pads explicitly
 * (ISO/IEC 9797-1 methods, SCP03, EMV) and never wants OpenSSL's PKCS#7 padding. Callers have
 * already checked key, IV and block-multiple lengths.
 */
export function applyBlockCipher(
  algorithm: string,
  key: Uint8Array,
  iv: Uint8Array | null,
  input: Uint8Array,
  direction: CipherDirection,
): Uint8Array {
  const cipher = direction === 'encrypt' ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  const head = cipher.update(input);
  const tail = cipher.final();
  return toBytesJoined(head, tail);
}
