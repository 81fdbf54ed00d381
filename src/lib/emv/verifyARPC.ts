import { constantTimeEqual, copyBytes } from '../bytes.js';
import { TesseraError } from '../errors.js';
import { requireBytes } from './checks.js';
import { computeARPC, type ComputeARPCInput } from './computeARPC.js';
import { ARPC_INVALID_MESSAGE, EMVErrorCode } from './errors.js';
import { ARPC_METHOD_1_BYTES, ARPC_METHOD_2_BYTES } from './limits.js';

export type VerifyARPCInput = ComputeARPCInput & {
  /** The ARPC from the Issuer Authentication Data (tag 91), as the card receives it in EXTERNAL AUTHENTICATE or GENERATE AC. */
  readonly receivedARPC: Uint8Array;
};

/**
 * Card-side check of the issuer's response (EMV 4.4 Book 2 §8.2): recomputes the ARPC and compares
 * in constant time. Throws ERR_EMV_ARPC_INVALID, with one message, for every mismatch, including a
 * received ARPC of the wrong length for the method.
 */
export function verifyARPC(input: VerifyARPCInput): void {
  requireBytes(input.receivedARPC, 'received ARPC');
  const received = copyBytes(input.receivedARPC);
  const expected = computeARPC(input);
  const expectedLength = input.method === 1 ? ARPC_METHOD_1_BYTES : ARPC_METHOD_2_BYTES;
  const matches = received.length === expectedLength && constantTimeEqual(expected, received);
  expected.fill(0);
  if (!matches) throw new TesseraError(EMVErrorCode.arpcInvalid, ARPC_INVALID_MESSAGE);
}
