import { encryptTDESECB } from '../crypto/index.js';
import { requireKey, requireLength } from './checks.js';
import { DIVERSIFICATION_BYTES, EMV_BLOCK_BYTES } from './limits.js';
import { setOddParity } from './setOddParity.js';

/** Byte 3 (index 2) of R is replaced by 'F0' for the left half and '0F' for the right (EMV Book 2 Annex A1.3.1). */
const MARKER_INDEX = 2;
const MARKER_LEFT = 0xf0;
const MARKER_RIGHT = 0x0f;

/**
 * The EMV common session key derivation function (EMV 4.4 Book 2 Annex A1.3.1): from a 16-byte
 * ICC master key MK and an 8-byte diversification value R = R0 || R1 || ... || R7,
 *
 *   F1 = R0 || R1 || 'F0' || R3 || R4 || R5 || R6 || R7
 *   F2 = R0 || R1 || '0F' || R3 || R4 || R5 || R6 || R7
 *   SK = DES3(MK)[F1] || DES3(MK)[F2], with odd parity.
 *
 * Book 2 §8.1.2 uses R = ATC || '00' x 6 for the application cryptogram session key; secure
 * messaging keys use R = the application cryptogram (§9); schemes choose others (see `deriveSessionKey`).
 */
export function deriveCommonSessionKey(iccMasterKey: Uint8Array, diversification: Uint8Array): Uint8Array {
  requireKey(iccMasterKey, 'ICC master key');
  requireLength(diversification, DIVERSIFICATION_BYTES, 'diversification value R');
  const f = new Uint8Array(2 * EMV_BLOCK_BYTES);
  f.set(diversification, 0);
  f.set(diversification, EMV_BLOCK_BYTES);
  f[MARKER_INDEX] = MARKER_LEFT;
  f[EMV_BLOCK_BYTES + MARKER_INDEX] = MARKER_RIGHT;
  const encrypted = encryptTDESECB(iccMasterKey, f);
  const sessionKey = setOddParity(encrypted);
  encrypted.fill(0);
  return sessionKey;
}
