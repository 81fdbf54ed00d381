import { TesseraError } from '../lib/errors.js';

/** Stable error codes of the TSM's API (public; messages are not). */
export const TsmErrorCode = {
  notFound: 'ERR_TSM_NOT_FOUND',
  forbidden: 'ERR_TSM_FORBIDDEN',
  conflict: 'ERR_TSM_CONFLICT',
  conversationClosed: 'ERR_TSM_CONVERSATION_CLOSED',
  scriptLimit: 'ERR_TSM_SCRIPT_LIMIT',
  scriptInvalid: 'ERR_TSM_SCRIPT_INVALID',
  keysNotHeld: 'ERR_TSM_KEYS_NOT_HELD',
  notEligible: 'ERR_TSM_NOT_ELIGIBLE',
  cardUnreachable: 'ERR_TSM_CARD_UNREACHABLE',
  cardRefused: 'ERR_TSM_CARD_REFUSED',
  expired: 'ERR_TSM_EXPIRED',
  invalid: 'ERR_TSM_INVALID',
} as const;
export type TsmErrorCode = (typeof TsmErrorCode)[keyof typeof TsmErrorCode];

const STATUS: Readonly<Record<TsmErrorCode, number>> = {
  ERR_TSM_NOT_FOUND: 404,
  ERR_TSM_FORBIDDEN: 403,
  ERR_TSM_CONFLICT: 409,
  ERR_TSM_CONVERSATION_CLOSED: 409,
  ERR_TSM_SCRIPT_LIMIT: 422,
  ERR_TSM_SCRIPT_INVALID: 400,
  ERR_TSM_KEYS_NOT_HELD: 409,
  ERR_TSM_NOT_ELIGIBLE: 422,
  ERR_TSM_CARD_UNREACHABLE: 503,
  ERR_TSM_CARD_REFUSED: 502,
  ERR_TSM_EXPIRED: 410,
  ERR_TSM_INVALID: 400,
};

export function tsmError(code: TsmErrorCode, message: string, details?: Record<string, unknown>): TesseraError {
  return new TesseraError(code, message, { httpStatus: STATUS[code], ...(details === undefined ? {} : { details }) });
}

export function tsmErrorStatus(code: string): number {
  return STATUS[code as TsmErrorCode] ?? 500;
}
