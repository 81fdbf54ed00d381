import { TesseraError } from '../lib/errors.js';

/** Stable error codes of the SMS center (public; messages are not). */
export const SmscErrorCode = {
  /** An ESME account or handset registration that is not valid (bad system_id, MSISDN, password). */
  invalid: 'ERR_SMSC_INVALID',
  /** A system_id, address or MSISDN already registered. */
  conflict: 'ERR_SMSC_CONFLICT',
  /** A handset's attach was refused: unknown MSISDN or wrong secret (one code for both: no oracle). */
  attachRefused: 'ERR_SMSC_ATTACH_REFUSED',
  /** A handset frame that is not the protocol (docs/smsc.md): bad JSON, unknown type, missing field. */
  handsetProtocol: 'ERR_SMSC_HANDSET_PROTOCOL',
  /** A message that cannot be routed: no ESME owns the address and it is not an MSISDN. */
  noRoute: 'ERR_SMSC_NO_ROUTE',
  /** A message too long to carry. */
  tooLong: 'ERR_SMSC_TOO_LONG',
  /** A handset or ESME that did not answer a delivery in time, or dropped the connection. */
  deliveryFailed: 'ERR_SMSC_DELIVERY_FAILED',
  /** An SMPP error response, for clients of this SMSC (details.commandStatus holds the code). */
  smpp: 'ERR_SMSC_SMPP',
} as const;
export type SmscErrorCode = (typeof SmscErrorCode)[keyof typeof SmscErrorCode];

export function smscError(code: SmscErrorCode, message: string, details?: Record<string, unknown>): TesseraError {
  return new TesseraError(code, message, details === undefined ? {} : { details });
}
