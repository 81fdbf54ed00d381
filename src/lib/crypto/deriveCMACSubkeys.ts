import { AES_BLOCK_BYTES } from './limits.js';

/** RFC 4493 §2.3 / SP 800-38B §5.3: R_128 = 0^120 || 10000111. */
const CMAC_RB_128 = 0x87;

export interface CMACSubkeys {
  readonly k1: Uint8Array;
  readonly k2: Uint8Array;
}

/**
 * Doubling in GF(2^128) as RFC 4493 §2.3 defines it: shift left one bit, and if the bit shifted
 * out was 1, XOR the last byte with Rb. The XOR is masked rather than branched on, because L is
 * derived from the key and a branch would leak one key-dependent bit through timing.
 */
function doubleBlock(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK_BYTES);
  const first = block[0] as number;
  for (let i = 0; i < AES_BLOCK_BYTES - 1; i++) {
    out[i] = (((block[i] as number) << 1) | ((block[i + 1] as number) >>> 7)) & 0xff;
  }
  const carryMask = -(first >>> 7) & 0xff;
  out[AES_BLOCK_BYTES - 1] = (((block[AES_BLOCK_BYTES - 1] as number) << 1) & 0xff) ^ (CMAC_RB_128 & carryMask);
  return out;
}

/**
 * Generate_Subkey of RFC 4493 §2.3, from L = AES-K(0^128): K1 = double(L), K2 = double(K1).
 * The caller computes L, so this stays a pure function that the RFC's subkey vector can test.
 */
export function deriveCMACSubkeys(l: Uint8Array): CMACSubkeys {
  const k1 = doubleBlock(l);
  const k2 = doubleBlock(k1);
  return { k1, k2 };
}
