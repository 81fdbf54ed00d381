import { LibErrorCode, TesseraError } from '../errors.js';

/** Identifier octets of the universal types SEQUENCE (16, constructed) and INTEGER (2), X.680 / X.690 §8.1.2. */
export const DER_TAG_SEQUENCE = 0x30;
export const DER_TAG_INTEGER = 0x02;
/**
 * X.690 §8.1.3.4: lengths below 128 use the one-byte short form, and DER (§10.1) requires the
 * shortest form. A P-256 signature is at most 2 + 2 * (2 + 33) = 72 bytes with a body of at most
 * 70, so every valid length is short-form and any long-form length is non-minimal.
 */
export const DER_SHORT_LENGTH_MAX = 0x7f;
/** r and s are below n < 2^256, so as positive INTEGERs they take at most 32 bytes plus a 0x00 sign byte. */
export const DER_P256_INTEGER_BYTES_MAX = 33;

export function derMalformed(what: string): TesseraError {
  return new TesseraError(LibErrorCode.derMalformed, `expected a strict DER ECDSA signature: ${what}`);
}
