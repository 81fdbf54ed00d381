import { concatBytes } from '../bytes.js';
import { requireKey, requireLength } from './checks.js';
import { deriveCommonSessionKey } from './deriveCommonSessionKey.js';
import { emvInputError } from './errors.js';
import { ATC_BYTES, UNPREDICTABLE_NUMBER_BYTES } from './limits.js';

/**
 * How the application cryptogram key follows from the ICC master key:
 * - 'emv-csk': the EMV common session key, R = ATC || '00' x 6 (EMV Book 2 §8.1.2, Annex A1.3.1);
 *   Visa CVN 18 and M/Chip's "EMV CSK" cryptogram versions use it.
 * - 'mastercard-skd': the same function with R = ATC || '00' || '00' || UN (the M/Chip session key
 *   derivation; Interac CVN 133).
 * - 'none': no session key, the ICC master key itself (Visa CVN 10, VIS 1.4 and older).
 */
export type SessionKeyMethod = 'emv-csk' | 'mastercard-skd' | 'none';

export type DeriveSessionKeyInput =
  | { readonly iccMasterKey: Uint8Array; readonly atc: Uint8Array; readonly method?: 'emv-csk' }
  | {
    readonly iccMasterKey: Uint8Array;
    readonly atc: Uint8Array;
    readonly method: 'mastercard-skd';
    /** Unpredictable Number, tag 9F37, 4 bytes. */
    readonly unpredictableNumber: Uint8Array;
  }
  | { readonly iccMasterKey: Uint8Array; readonly method: 'none'; readonly atc?: Uint8Array };

const ZERO_2 = new Uint8Array(2);
const ZERO_6 = new Uint8Array(6);

/**
 * The application cryptogram session key SK_AC for one transaction (EMV 4.4 Book 2 §8.1.2): the
 * key that computes and verifies the ARQC, TC and AAC, and (scheme permitting) the ARPC.
 * `atc` is the 2-byte Application Transaction Counter (tag 9F36) as received.
 */
export function deriveSessionKey(input: DeriveSessionKeyInput): Uint8Array {
  requireKey(input.iccMasterKey, 'ICC master key');
  switch (input.method) {
    case 'none':
      return input.iccMasterKey.slice();
    case undefined:
    case 'emv-csk':
      requireLength(input.atc, ATC_BYTES, 'ATC');
      return deriveCommonSessionKey(input.iccMasterKey, concatBytes(input.atc, ZERO_6));
    case 'mastercard-skd':
      requireLength(input.atc, ATC_BYTES, 'ATC');
      requireLength(input.unpredictableNumber, UNPREDICTABLE_NUMBER_BYTES, 'unpredictable number');
      return deriveCommonSessionKey(input.iccMasterKey, concatBytes(input.atc, ZERO_2, input.unpredictableNumber));
    default:
      throw emvInputError("expected session key method 'emv-csk', 'mastercard-skd' or 'none'");
  }
}
