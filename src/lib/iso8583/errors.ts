import { TesseraError } from '../errors.js';

/**
 * Error codes of the ISO 8583 codec. Public API, like `LibErrorCode`: clients match on them.
 * Kept next to the codec (rather than in `lib/errors.ts`) so that the codec owns its codes.
 *
 * Messages name the field (number and name) and what was expected; they never echo a value,
 * since a field can hold a PAN, track data or a PIN block.
 */
export const ISO8583ErrorCode = {
  /** The message type indicator is not four digits, or not ISO 8583:1987 (version digit 0). */
  mti: 'ERR_ISO8583_MTI',
  /** A bitmap that cannot be read (bad hex) or that is not canonical (a secondary bitmap naming no field). */
  bitmap: 'ERR_ISO8583_BITMAP',
  /** A field number the dialect does not define (on encode, or named by a received bitmap). */
  fieldUndefined: 'ERR_ISO8583_FIELD_UNDEFINED',
  /** A field value that does not fit its spec: length, character set, padding, BER-TLV or track 2 structure. */
  fieldInvalid: 'ERR_ISO8583_FIELD_INVALID',
  /** The message ends inside the MTI, a bitmap, a length prefix or a field. */
  truncated: 'ERR_ISO8583_TRUNCATED',
  /** Bytes follow the last field the bitmap names. */
  trailingBytes: 'ERR_ISO8583_TRAILING_BYTES',
  /** A size limit exceeded (ISO8583_MESSAGE_BYTES_MAX). */
  limit: 'ERR_ISO8583_LIMIT',
  /** Track 2 (equivalent) data that does not have the ISO/IEC 7813 structure. */
  track2: 'ERR_ISO8583_TRACK2',
  /** A JSON form of a message (the CLI's input) that does not have the documented shape. */
  json: 'ERR_ISO8583_JSON',
} as const;
export type ISO8583ErrorCode = (typeof ISO8583ErrorCode)[keyof typeof ISO8583ErrorCode];

export type ISO8583ErrorDetails = {
  /** The data element concerned, when there is one. */
  readonly field?: number;
  /** Offset from the start of the received message, for decoding errors. */
  readonly offset?: number;
};

export function iso8583Error(
  code: ISO8583ErrorCode,
  message: string,
  details: ISO8583ErrorDetails = {},
  cause?: unknown,
): TesseraError {
  const where = details.offset === undefined ? '' : ` (at offset ${details.offset})`;
  return new TesseraError(code, `${message}${where}`, cause === undefined ? { details } : { details, cause });
}
