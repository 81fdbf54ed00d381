import { createCipheriv } from 'node:crypto';
import { aesAlgorithm } from './aesCipher.js';
import { requireKeyLength, requireMessage } from './checks.js';
import { deriveCMACSubkeys } from './deriveCMACSubkeys.js';
import { AES_BLOCK_BYTES, AES_KEY_LENGTHS_BYTES } from './limits.js';

const ZERO_BLOCK = new Uint8Array(AES_BLOCK_BYTES);

function xorInto(target: Uint8Array, offset: number, mask: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) {
    target[offset + i] = (target[offset + i] as number) ^ (mask[i] as number);
  }
}

/**
 * AES-CMAC (RFC 4493 §2.4; SP 800-38B §6.2) with a 128-, 192- or 256-bit key. Returns the full
 * 16-byte tag; use `truncateMAC` for shorter ones (SCP03 uses 8 bytes).
 *
 * It runs on a single node:crypto AES-CBC context with a zero IV, so OpenSSL does the block work
 * and the key schedule is computed once:
 *  1. Encrypting one zero block first yields L = AES-K(0^128) (CBC with a zero IV is ECB for the
 *     first block), from which K1 and K2 follow (RFC 4493 §2.3).
 *  2. The same context then chains over M_1 .. M_n. CBC XORs M_1 with the previous ciphertext,
 *     which is now L, so M_1 is pre-XORed with L to cancel it: the chain is exactly CBC-MAC with a
 *     zero IV over the message (RFC 4493 §2.4 steps 5-6).
 *  3. The last block is XORed with K1 if it was complete, else padded with 10^i and XORed with K2
 *     (RFC 4493 §2.4 step 4); the last ciphertext block is the tag.
 */
export function computeAESCMAC(key: Uint8Array, message: Uint8Array): Uint8Array {
  requireKeyLength(key, AES_KEY_LENGTHS_BYTES, 'AES key');
  requireMessage(message);

  const blockCount = Math.max(1, Math.ceil(message.length / AES_BLOCK_BYTES));
  const lastBlockComplete = message.length > 0 && message.length % AES_BLOCK_BYTES === 0;
  const lastBlockOffset = (blockCount - 1) * AES_BLOCK_BYTES;

  const cipher = createCipheriv(aesAlgorithm(key, 'cbc'), key, ZERO_BLOCK);
  cipher.setAutoPadding(false);
  const l = new Uint8Array(cipher.update(ZERO_BLOCK));
  const { k1, k2 } = deriveCMACSubkeys(l);

  const chainInput = new Uint8Array(blockCount * AES_BLOCK_BYTES);
  chainInput.set(message);
  if (!lastBlockComplete) chainInput[message.length] = 0x80; // padding(x) = x || 10^i, RFC 4493 §2.4
  xorInto(chainInput, lastBlockOffset, lastBlockComplete ? k1 : k2);
  xorInto(chainInput, 0, l);

  const chainOutput = cipher.update(chainInput);
  cipher.final();
  const tag = new Uint8Array(chainOutput.subarray(chainOutput.length - AES_BLOCK_BYTES));

  // The subkeys and the chain are key-derived; clear them rather than leave them to the collector.
  l.fill(0);
  k1.fill(0);
  k2.fill(0);
  chainInput.fill(0);
  chainOutput.fill(0);
  return tag;
}
