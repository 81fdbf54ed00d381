import { TesseraError } from '../lib/errors.js';

/** Stable error codes of the device model (public; messages are not). */
export const DeviceErrorCode = {
  exists: 'ERR_DEVICE_EXISTS',
  invalid: 'ERR_DEVICE_INVALID',
  notFound: 'ERR_DEVICE_NOT_FOUND',
  /** The Crypto SE (or App SE) answered a status word the step cannot go on from; details.sw names it. */
  refused: 'ERR_DEVICE_SE_REFUSED',
  notRegistered: 'ERR_DEVICE_NOT_REGISTERED',
  tsm: 'ERR_DEVICE_TSM',
  radioOff: 'ERR_DEVICE_RADIO_OFF',
} as const;
export type DeviceErrorCode = (typeof DeviceErrorCode)[keyof typeof DeviceErrorCode];

export function deviceError(code: DeviceErrorCode, message: string, details?: Record<string, unknown>): TesseraError {
  return new TesseraError(code, message, details === undefined ? {} : { details });
}

export function swText(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}
