import { LibErrorCode, TesseraError } from '../errors.js';

/**
 * Typed errors for GlobalPlatform data. Each names the status word a card answers when the
 * failure comes from a command it received (GP 2.3 §11: 6A80 incorrect data, 6A86 incorrect
 * P1 P2, 6A84 not enough memory), in `details.statusWord`, so the card maps errors without
 * parsing messages. Messages name what was expected and what was received, never the data.
 */

export function gpMalformed(message: string): TesseraError {
  return new TesseraError(LibErrorCode.gpMalformed, message, { details: { statusWord: 0x6a80 } });
}

export function gpParameters(message: string): TesseraError {
  return new TesseraError(LibErrorCode.gpParameters, message, { details: { statusWord: 0x6a86 } });
}

export function gpLimit(message: string, statusWord = 0x6a80): TesseraError {
  return new TesseraError(LibErrorCode.gpLimit, message, { details: { statusWord } });
}

export function gpLoadFileInvalid(message: string, cause?: unknown): TesseraError {
  return new TesseraError(
    LibErrorCode.gpLoadFileInvalid,
    message,
    cause === undefined ? { details: { statusWord: 0x6a80 } } : { details: { statusWord: 0x6a80 }, cause },
  );
}
