import { concatBytes, uintToBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireBytes, requireIntegerInRange, requireKeyLength } from './checks.js';
import { computeAESCMAC } from './computeAESCMAC.js';
import { AES_BLOCK_BYTES, AES_KEY_LENGTHS_BYTES, CRYPTO_MESSAGE_BYTES_MAX, KDF_OUTPUT_BYTES_MAX } from './limits.js';

/** SP 800-108r1 §4.1: r, the length of the binary counter [i]_2, is at most 32 bits. */
export type CounterLengthBits = 8 | 16 | 24 | 32;
const COUNTER_LENGTHS_BITS: readonly number[] = [8, 16, 24, 32];

/**
 * Where the counter sits in the PRF input. SP 800-108r1 §4.1 only requires the fixed data to be
 * fixed; NIST CAVP tests the three layouts below (CTRLOCATION = BEFORE_FIXED, AFTER_FIXED,
 * MIDDLE_FIXED). GlobalPlatform SCP03 (Card Specification Amendment D, its data derivation
 * scheme) uses the middle one: label || 0x00 || [L]_2 || [i]_2 || context, i.e. fixed data before
 * = label || 0x00 || [L]_2 and fixed data after = context, with an 8-bit counter.
 */
export type CounterLocation =
  | { readonly location: 'beforeFixedData'; readonly fixedData: Uint8Array }
  | { readonly location: 'afterFixedData'; readonly fixedData: Uint8Array }
  | {
      readonly location: 'middleOfFixedData';
      readonly fixedDataBeforeCounter: Uint8Array;
      readonly fixedDataAfterCounter: Uint8Array;
    };

export interface CounterModeParameters {
  /** K_I, the key-derivation key: an AES key, since the PRF is AES-CMAC. */
  readonly key: Uint8Array;
  /** L, the length of the derived keying material in bits. Whole bytes only (every Tessera use is). */
  readonly outputLengthBits: number;
  readonly counterLengthBits: CounterLengthBits;
  readonly counter: CounterLocation;
}

function prfInput(counter: CounterLocation, counterBytes: Uint8Array): Uint8Array {
  switch (counter.location) {
    case 'beforeFixedData':
      return concatBytes(counterBytes, counter.fixedData);
    case 'afterFixedData':
      return concatBytes(counter.fixedData, counterBytes);
    case 'middleOfFixedData':
      return concatBytes(counter.fixedDataBeforeCounter, counterBytes, counter.fixedDataAfterCounter);
  }
}

function requireFixedData(counter: CounterLocation): void {
  const parts =
    counter.location === 'middleOfFixedData'
      ? [counter.fixedDataBeforeCounter, counter.fixedDataAfterCounter]
      : [counter.fixedData];
  for (const part of parts) {
    requireBytes(part, 'fixed data');
    if (part.length > CRYPTO_MESSAGE_BYTES_MAX) {
      throw new TesseraError(LibErrorCode.lengthInvalid, `expected fixed data of at most ${CRYPTO_MESSAGE_BYTES_MAX} bytes`);
    }
  }
}

/**
 * KDF in counter mode, NIST SP 800-108r1 §4.1, with AES-CMAC as the PRF (h = 128 bits):
 *   n = ceil(L / h); if n > 2^r - 1, fail;
 *   for i = 1 .. n: K(i) = PRF(K_I, [i]_2 placed in the fixed data);
 *   K_O = the leftmost L bits of K(1) || .. || K(n).
 * How Label, Context and [L]_2 are encoded is the caller's part of the fixed data (SP 800-108r1
 * leaves it to the application), which is what lets SCP03 and the CAVP layouts share this function.
 * With the current output bound the counter cannot overflow even at 8 bits; the step 2 check stays
 * so that raising KDF_OUTPUT_BYTES_MAX cannot silently break the specification.
 */
export function deriveKeyCounterMode(parameters: CounterModeParameters): Uint8Array {
  const { key, outputLengthBits, counterLengthBits, counter } = parameters;
  requireKeyLength(key, AES_KEY_LENGTHS_BYTES, 'KDF key (AES)');
  requireIntegerInRange(outputLengthBits, 8, KDF_OUTPUT_BYTES_MAX * 8, 'KDF output length in bits');
  if (outputLengthBits % 8 !== 0) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected a KDF output length in whole bytes, received ${outputLengthBits} bits`);
  }
  if (!COUNTER_LENGTHS_BITS.includes(counterLengthBits)) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected a counter of 8, 16, 24 or 32 bits, received ${String(counterLengthBits)}`);
  }
  requireFixedData(counter);

  const outputLengthBytes = outputLengthBits / 8;
  const iterations = Math.ceil(outputLengthBytes / AES_BLOCK_BYTES);
  if (iterations > 2 ** counterLengthBits - 1) {
    throw new TesseraError(
      LibErrorCode.cryptoInput,
      `a ${counterLengthBits}-bit counter cannot derive ${outputLengthBits} bits (SP 800-108r1 §4.1 step 2)`,
    );
  }

  const output = new Uint8Array(iterations * AES_BLOCK_BYTES);
  for (let i = 1; i <= iterations; i++) {
    const block = computeAESCMAC(key, prfInput(counter, uintToBytes(i, counterLengthBits / 8)));
    output.set(block, (i - 1) * AES_BLOCK_BYTES);
  }
  const derived = output.slice(0, outputLengthBytes);
  output.fill(0);
  return derived;
}
