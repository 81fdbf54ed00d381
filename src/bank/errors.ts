import { TesseraError } from '../lib/errors.js';

/** Stable error codes of the bank's API (public; messages are not). A decline is not an error: it is a response code. */
export const BankErrorCode = {
  notFound: 'ERR_BANK_NOT_FOUND',
  invalid: 'ERR_BANK_INVALID',
  conflict: 'ERR_BANK_CONFLICT',
  /** A ledger rule refused a movement (an unbalanced entry, a negative available balance). */
  ledgerRefused: 'ERR_BANK_LEDGER_REFUSED',
  /** A hold or an authorization is not in a state that allows the operation. */
  state: 'ERR_BANK_STATE',
} as const;
export type BankErrorCode = (typeof BankErrorCode)[keyof typeof BankErrorCode];

const STATUS: Readonly<Record<BankErrorCode, number>> = {
  ERR_BANK_NOT_FOUND: 404,
  ERR_BANK_INVALID: 400,
  ERR_BANK_CONFLICT: 409,
  ERR_BANK_LEDGER_REFUSED: 422,
  ERR_BANK_STATE: 409,
};

export function bankError(code: BankErrorCode, message: string, details?: Record<string, unknown>): TesseraError {
  return new TesseraError(code, message, { httpStatus: STATUS[code], ...(details === undefined ? {} : { details }) });
}
