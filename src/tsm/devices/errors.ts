import { TesseraError } from '../../lib/errors.js';

/**
 * Stable error codes of the device API's request authentication (public API; messages are not).
 * All are 401: the request is not shown to come from the device it names. An unknown device, one
 * that is not registered and one whose certificate is not valid now answer exactly like a bad
 * signature, so the answer does not tell which device ids exist.
 */
export const DeviceRequestErrorCode = {
  /** No Tessera-Device-Signature header. */
  signatureMissing: 'ERR_TSM_DEVICE_SIGNATURE_MISSING',
  /** A header that is not well formed, a signature that does not verify with the device certificate, or no valid certificate. */
  signatureInvalid: 'ERR_TSM_DEVICE_SIGNATURE_INVALID',
  /** The signed time is more than the window away from the TSM's clock (either way). */
  signatureStale: 'ERR_TSM_DEVICE_SIGNATURE_STALE',
  /** The nonce was seen before for this device within the window. */
  signatureReplayed: 'ERR_TSM_DEVICE_SIGNATURE_REPLAYED',
} as const;
export type DeviceRequestErrorCode = (typeof DeviceRequestErrorCode)[keyof typeof DeviceRequestErrorCode];

const UNAUTHORIZED = 401;

export function deviceRequestError(code: DeviceRequestErrorCode, message: string): TesseraError {
  return new TesseraError(code, message, { httpStatus: UNAUTHORIZED });
}

/**
 * Stable error codes of the PIN unblock (public API; messages are not). Both are 403 and change
 * nothing: the device is authenticated (its signed request), but no SP has approved an unblock it
 * may still use. An SP asking about a device it does not serve gets ERR_TSM_NOT_FOUND, as for an
 * unknown device.
 */
export const PINUnblockErrorCode = {
  /** No unused approval for this device (none given, or the last one was used). */
  notApproved: 'ERR_TSM_PIN_UNBLOCK_NOT_APPROVED',
  /** The device's unused approval is past its validity: its SP approves again. */
  approvalExpired: 'ERR_TSM_PIN_UNBLOCK_APPROVAL_EXPIRED',
} as const;
export type PINUnblockErrorCode = (typeof PINUnblockErrorCode)[keyof typeof PINUnblockErrorCode];

const FORBIDDEN = 403;

export function pinUnblockError(code: PINUnblockErrorCode, message: string): TesseraError {
  return new TesseraError(code, message, { httpStatus: FORBIDDEN });
}
