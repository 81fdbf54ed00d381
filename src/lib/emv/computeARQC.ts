import { computeRetailMAC, type ISO9797PaddingMethod } from '../crypto/index.js';
import { requireKey, requireLengthInRange } from './checks.js';
import { emvInputError } from './errors.js';
import { AC_DATA_BYTES_MAX } from './limits.js';

export interface ComputeARQCInput {
  /** SK_AC from `deriveSessionKey` (or the ICC master key itself where the scheme has no session key). */
  readonly sessionKey: Uint8Array;
  /** The transaction data the card MACs, in the scheme's order (see `buildACData`). */
  readonly data: Uint8Array;
  /**
   * ISO/IEC 9797-1 padding: 2 ('80' then '00's) is what EMV Book 2 Annex A1.2.1 specifies and the
   * default; 1 (zeros only) is the Visa CVN 10 legacy.
   */
  readonly padding?: ISO9797PaddingMethod;
}

/**
 * The application cryptogram, EMV 4.4 Book 2 §8.1.1 and Annex A1.2.1: the 8-byte ISO/IEC 9797-1 MAC
 * algorithm 3 (single-DES CBC under K_L, then DES3 on the last block) of the padded transaction data
 * under the session key. The card computes the ARQC, TC and AAC the same way; only the data differ.
 */
export function computeARQC(input: ComputeARQCInput): Uint8Array {
  const { sessionKey, data, padding = 2 } = input;
  requireKey(sessionKey, 'session key');
  requireLengthInRange(data, 1, AC_DATA_BYTES_MAX, 'cryptogram data');
  requirePadding(padding);
  return computeRetailMAC(sessionKey, data, padding);
}

export function requirePadding(padding: unknown): asserts padding is ISO9797PaddingMethod {
  if (padding !== 1 && padding !== 2) throw emvInputError('expected ISO/IEC 9797-1 padding method 1 or 2');
}
