import { TesseraError } from '../errors.js';

/**
 * Stable codes for EMV card cryptography (public API; messages are not). Input errors name what was
 * expected and what was received, but only lengths and formats: never a key, a PAN or a cryptogram.
 */
export const EMVErrorCode = {
  /** A key, PAN, PSN, ATC, cryptogram or data element of the wrong form or length. */
  input: 'ERR_EMV_INPUT',
  /** The ARQC (or TC / AAC) does not match the transaction data: the one answer for every mismatch. */
  arqcInvalid: 'ERR_EMV_ARQC_INVALID',
  /** The ARPC does not match: the one answer for every mismatch. */
  arpcInvalid: 'ERR_EMV_ARPC_INVALID',
} as const;
export type EMVErrorCode = (typeof EMVErrorCode)[keyof typeof EMVErrorCode];

export function emvInputError(message: string): TesseraError {
  return new TesseraError(EMVErrorCode.input, message);
}

/**
 * One message per verification, whatever went wrong (a flipped bit, a wrong length, a wrong key),
 * so a failure is no oracle (CONVENTIONS: jose, no oracles).
 */
export const ARQC_INVALID_MESSAGE = 'application cryptogram verification failed';
export const ARPC_INVALID_MESSAGE = 'authorisation response cryptogram verification failed';
