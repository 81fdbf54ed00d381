import { constantTimeEqual, copyBytes } from '../bytes.js';
import { TesseraError } from '../errors.js';
import { requireBytes } from './checks.js';
import { computeARQC, type ComputeARQCInput } from './computeARQC.js';
import { ARQC_INVALID_MESSAGE, EMVErrorCode } from './errors.js';
import { AC_BYTES } from './limits.js';

export interface VerifyARQCInput extends ComputeARQCInput {
  /** The cryptogram from the wire (tag 9F26 in ISO 8583 field 55). */
  readonly receivedARQC: Uint8Array;
}

/**
 * Issuer-side check of an application cryptogram (EMV 4.4 Book 2 §8.1): recomputes it from the
 * transaction data the issuer received and compares in constant time. Returns nothing on success;
 * otherwise throws ERR_EMV_ARQC_INVALID, with one message whether a bit, the length or the key was
 * wrong, and never the expected value. Keys, data and padding come from our own code: getting them
 * wrong is ERR_EMV_INPUT, as for `computeARQC`.
 */
export function verifyARQC(input: VerifyARQCInput): void {
  requireBytes(input.data, 'cryptogram data');
  requireBytes(input.receivedARQC, 'received ARQC');
  const received = copyBytes(input.receivedARQC);
  const expected = computeARQC({ ...input, data: copyBytes(input.data) });
  const matches = received.length === AC_BYTES && constantTimeEqual(expected, received);
  expected.fill(0);
  if (!matches) throw new TesseraError(EMVErrorCode.arqcInvalid, ARQC_INVALID_MESSAGE);
}
