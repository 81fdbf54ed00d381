import { TesseraError } from '../../lib/errors.js';

/**
 * Stable error codes of the fraud feed (public API; messages are not). An unknown device is the
 * TSM's usual ERR_TSM_NOT_FOUND, and an SP asking about a device it does not serve gets the same.
 */
export const FraudErrorCode = {
  /** The device is known but not registered (no certificate the TSM issued, or it has expired). */
  deviceNotRegistered: 'ERR_TSM_FRAUD_DEVICE_NOT_REGISTERED',
  /** The record is not a version-1 payment attestation record (length, version, digits, date). */
  reportInvalid: 'ERR_TSM_FRAUD_REPORT_INVALID',
  /** The signature does not verify with the device certificate's key. */
  signatureInvalid: 'ERR_TSM_FRAUD_SIGNATURE_INVALID',
  /** The attestation counter is not above every counter this device reported before. */
  replay: 'ERR_TSM_FRAUD_REPLAY',
  /** A velocity query that names neither a device nor a last four. */
  queryInvalid: 'ERR_TSM_FRAUD_QUERY_INVALID',
} as const;
export type FraudErrorCode = (typeof FraudErrorCode)[keyof typeof FraudErrorCode];

const STATUS: Readonly<Record<FraudErrorCode, number>> = {
  ERR_TSM_FRAUD_DEVICE_NOT_REGISTERED: 403,
  ERR_TSM_FRAUD_REPORT_INVALID: 400,
  ERR_TSM_FRAUD_SIGNATURE_INVALID: 400,
  ERR_TSM_FRAUD_REPLAY: 409,
  ERR_TSM_FRAUD_QUERY_INVALID: 400,
};

export function fraudError(code: FraudErrorCode, message: string): TesseraError {
  return new TesseraError(code, message, { httpStatus: STATUS[code] });
}
