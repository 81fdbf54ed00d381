import { LibErrorCode, TesseraError } from '../errors.js';
import { CRYPTO_MESSAGE_BYTES_MAX } from './limits.js';

/**
 * Input checks shared by the primitives. They throw typed errors naming what was expected and
 * what was received; they never echo key material, only lengths, which are public here.
 */

export function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ${name} as a Uint8Array`);
  }
}

export function requireKeyLength(key: unknown, allowedLengthsBytes: readonly number[], name: string): asserts key is Uint8Array {
  requireBytes(key, name);
  if (!allowedLengthsBytes.includes(key.length)) {
    throw new TesseraError(
      LibErrorCode.cryptoInput,
      `expected ${name} of ${allowedLengthsBytes.join(' or ')} bytes, received ${key.length}`,
    );
  }
}

export function requireLength(value: unknown, expectedLengthBytes: number, name: string): asserts value is Uint8Array {
  requireBytes(value, name);
  if (value.length !== expectedLengthBytes) {
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected ${name} of ${expectedLengthBytes} bytes, received ${value.length}`,
    );
  }
}

/** A message: any length up to the global bound. */
export function requireMessage(value: unknown, name = 'message'): asserts value is Uint8Array {
  requireBytes(value, name);
  if (value.length > CRYPTO_MESSAGE_BYTES_MAX) {
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected ${name} of at most ${CRYPTO_MESSAGE_BYTES_MAX} bytes, received ${value.length}`,
    );
  }
}

/** Block modes without padding take only whole blocks (SP 800-38A Appendix A leaves padding to the caller). */
export function requireBlockMultiple(value: unknown, blockLengthBytes: number, name: string): asserts value is Uint8Array {
  requireMessage(value, name);
  if (value.length % blockLengthBytes !== 0) {
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected ${name} to be a multiple of ${blockLengthBytes} bytes, received ${value.length}`,
    );
  }
}

export function requireIntegerInRange(value: unknown, minimum: number, maximum: number, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new TesseraError(
      LibErrorCode.cryptoInput,
      `expected ${name} to be an integer from ${minimum} to ${maximum}, received ${String(value)}`,
    );
  }
}

/** The one failure every MAC, padding and signature check reports, so none of them is an oracle. */
export const VERIFICATION_FAILED_MESSAGE = 'verification failed';

export function verificationFailure(): TesseraError {
  return new TesseraError(LibErrorCode.cryptoVerify, VERIFICATION_FAILED_MESSAGE);
}
