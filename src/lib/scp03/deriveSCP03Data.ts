import { concatBytes, uintToBytes } from '../bytes.js';
import { deriveKeyCounterMode } from '../crypto/index.js';

/**
 * Derivation constants of Amendment D's data derivation scheme (§4.1.5, Table 4-1): the last byte
 * of the 12-byte label.
 */
export const SCP03DerivationConstant = {
  cardCryptogram: 0x00,
  hostCryptogram: 0x01,
  cardChallenge: 0x02,
  sessionENC: 0x04,
  sessionMAC: 0x06,
  sessionRMAC: 0x07,
} as const;
export type SCP03DerivationConstant = (typeof SCP03DerivationConstant)[keyof typeof SCP03DerivationConstant];

/** The label is 11 bytes '00' followed by the derivation constant. */
const LABEL_ZERO_BYTES = 11;
/** The "separation indicator" between label and [L]_2. */
const SEPARATION_INDICATOR = 0x00;
/** [L]_2, the output length in bits, is 2 bytes. */
const OUTPUT_LENGTH_FIELD_BYTES = 2;
/** [i]_2, the counter, is 1 byte. */
const COUNTER_BITS = 8;

/**
 * Amendment D §4.1.5 data derivation: NIST SP 800-108 KDF in counter mode with AES-CMAC as PRF
 * and the fixed input data laid out as
 *
 *   label (11 bytes '00' || derivation constant) || '00' || L (2 bytes, bits) || i (1 byte) || context
 *
 * so the counter sits in the middle of the fixed data. Used for session keys (L = key length),
 * cryptograms (L = 64 or 128) and pseudo-random card challenges (L = 64 or 128).
 */
export function deriveSCP03Data(
  key: Uint8Array,
  derivationConstant: SCP03DerivationConstant,
  outputLengthBits: number,
  context: Uint8Array,
): Uint8Array {
  const fixedDataBeforeCounter = concatBytes(
    new Uint8Array(LABEL_ZERO_BYTES),
    Uint8Array.of(derivationConstant, SEPARATION_INDICATOR),
    uintToBytes(outputLengthBits, OUTPUT_LENGTH_FIELD_BYTES),
  );
  return deriveKeyCounterMode({
    key,
    outputLengthBits,
    counterLengthBits: COUNTER_BITS,
    counter: { location: 'middleOfFixedData', fixedDataBeforeCounter, fixedDataAfterCounter: context },
  });
}
