import { LibErrorCode, TesseraError } from '../errors.js';

/**
 * Typed errors for TLV input. The offset (from the start of the input handed to the decoder) is
 * both in the message, for people, and in `details.offset`, for code and tests. TLV data is never
 * echoed: a record can hold a PAN or track data.
 */
export function tlvMalformed(message: string, offset: number): TesseraError {
  return new TesseraError(LibErrorCode.tlvMalformed, `${message} (at offset ${offset})`, { details: { offset } });
}

export function tlvLimit(message: string, offset: number): TesseraError {
  return new TesseraError(LibErrorCode.tlvLimit, `${message} (at offset ${offset})`, { details: { offset } });
}
