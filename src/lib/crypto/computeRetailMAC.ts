import { concatBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { applyBlockCipher } from './applyBlockCipher.js';
import { requireKeyLength, requireMessage } from './checks.js';
import { type ISO9797PaddingMethod } from './iso9797Padding.js';
import { DES_BLOCK_BYTES, DES_KEY_BYTES } from './limits.js';
import { padISO9797Method1 } from './padISO9797Method1.js';
import { padISO9797Method2 } from './padISO9797Method2.js';

const RETAIL_MAC_KEY_LENGTHS_BYTES: readonly number[] = [2 * DES_KEY_BYTES];
const ZERO_IV = new Uint8Array(DES_BLOCK_BYTES);

/**
 * ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC" of ANSI X9.19) with DES, as EMV Book 2 Annex
 * A1.2 and ICAO Doc 9303 Part 11 secure messaging use it: initial transformation 1, output
 * transformation 3, key K || K' (16 bytes), MAC length 8 bytes (truncate with `truncateMAC`).
 *
 *   H_1 .. H_q-1 = single-DES CBC with K over all blocks but the last (zero IV);
 *   G = TDEA(K, K', K) of (D_q XOR H_q-1) = e_K(d_K'(H_q)).
 *
 * OpenSSL 3 moved single DES to its legacy provider, so single DES here is two-key TDEA with
 * K1 = K2 = K: E_K(D_K(E_K(x))) = E_K(x), the equivalence behind SP 800-67 keying option 3.
 */
export function computeRetailMAC(key: Uint8Array, message: Uint8Array, padding: ISO9797PaddingMethod): Uint8Array {
  requireKeyLength(key, RETAIL_MAC_KEY_LENGTHS_BYTES, 'retail MAC key (K || K\')');
  requireMessage(message);
  if (padding !== 1 && padding !== 2) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ISO/IEC 9797-1 padding method 1 or 2, received ${String(padding)}`);
  }
  const padded = padding === 1 ? padISO9797Method1(message, DES_BLOCK_BYTES) : padISO9797Method2(message, DES_BLOCK_BYTES);
  const keyLeft = key.subarray(0, DES_KEY_BYTES);
  const lastBlockOffset = padded.length - DES_BLOCK_BYTES;

  let chainValue = ZERO_IV;
  if (lastBlockOffset > 0) {
    const singleDESKey = concatBytes(keyLeft, keyLeft);
    const chain = applyBlockCipher('des-ede-cbc', singleDESKey, ZERO_IV, padded.subarray(0, lastBlockOffset), 'encrypt');
    chainValue = chain.slice(chain.length - DES_BLOCK_BYTES);
    singleDESKey.fill(0);
    chain.fill(0);
  }
  const lastInput = padded.slice(lastBlockOffset);
  for (let i = 0; i < DES_BLOCK_BYTES; i++) lastInput[i] = (lastInput[i] as number) ^ (chainValue[i] as number);
  const mac = applyBlockCipher('des-ede', key, null, lastInput, 'encrypt');
  lastInput.fill(0);
  padded.fill(0);
  return mac;
}
