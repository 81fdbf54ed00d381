import { TesseraError } from '../../lib/errors.js';

/** Stable codes of the framed TCP transport (public; messages are not). */
export const NetErrorCode = {
  /** A length header above the limit: the peer is not speaking this protocol, or is hostile. */
  frameTooLarge: 'ERR_NET_FRAME_TOO_LARGE',
  /** The connection ended in the middle of a frame. */
  frameTruncated: 'ERR_NET_FRAME_TRUNCATED',
  /** Sending on, or waiting for, a connection that is closed. */
  closed: 'ERR_NET_CLOSED',
  /** Could not connect within the time allowed, or the peer refused. */
  connect: 'ERR_NET_CONNECT',
} as const;
export type NetErrorCode = (typeof NetErrorCode)[keyof typeof NetErrorCode];

export function netError(code: NetErrorCode, message: string, cause?: unknown): TesseraError {
  return new TesseraError(code, message, cause === undefined ? {} : { cause });
}
