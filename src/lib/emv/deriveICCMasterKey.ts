import { createHash } from 'node:crypto';
import { fromHex } from '../bytes.js';
import { encryptTDESECB } from '../crypto/index.js';
import { requireKey } from './checks.js';
import { emvInputError } from './errors.js';
import { EMV_BLOCK_BYTES, OPTION_A_DIGITS, PAN_DIGITS_MAX, PAN_DIGITS_MIN } from './limits.js';
import { setOddParity } from './setOddParity.js';

/** EMV Book 2 Annex A1.4.1 (Option A) and A1.4.2 (Option B, for PANs longer than 16 digits). */
export type MasterKeyDerivationOption = 'A' | 'B';

export interface DeriveICCMasterKeyInput {
  /** The issuer master key MK_AC (or MK_SMI, MK_SMC): double-length TDEA, 16 bytes. */
  readonly issuerMasterKey: Uint8Array;
  /** The Application PAN (tag 5A) as decimal digits, without the trailing 'F' pad of the tag. */
  readonly pan: string;
  /** The PAN Sequence Number (tag 5F34) as two digits; absent means '00' (EMV Book 2 Annex A1.4.1). */
  readonly panSequenceNumber?: string;
  /** Default 'A'. */
  readonly option?: MasterKeyDerivationOption;
}

const PAN_PATTERN = /^[0-9]+$/;
const PSN_PATTERN = /^[0-9]{2}$/;
const PSN_ABSENT = '00';
/** Option B decimalisation of the hash's letters: A..F become 0..5 (EMV Book 2 Annex A1.4.2). */
const LETTER_TO_DIGIT: Readonly<Record<string, string>> = { a: '0', b: '1', c: '2', d: '3', e: '4', f: '5' };

/**
 * Derives the 16-byte ICC master key from an issuer master key (EMV 4.4 Book 2 Annex A1.4):
 *
 * Option A (A1.4.1): Y = the rightmost 16 digits of PAN || PSN, left-padded with '0' digits when
 * shorter, packed as 8 bytes of BCD; Z_L = DES3(IMK)[Y], Z_R = DES3(IMK)[Y XOR 'FF..FF'].
 * Option B (A1.4.2), only for PANs of more than 16 digits (shorter PANs use Option A): X = PAN || PSN,
 * prefixed with a '0' digit when of odd length, packed as BCD; the 16 digits of Y are the first 16
 * decimal digits of SHA-1(X) read as hex from left to right, completed when there are too few by its
 * letters A..F, also from left to right, decimalised to 0..5; then as Option A.
 *
 * The result has its DES parity bits set to odd, as the EMV annex and HSMs do.
 */
export function deriveICCMasterKey(input: DeriveICCMasterKeyInput): Uint8Array {
  const { issuerMasterKey, pan, panSequenceNumber = PSN_ABSENT, option = 'A' } = input;
  requireKey(issuerMasterKey, 'issuer master key');
  requirePAN(pan);
  if (typeof panSequenceNumber !== 'string' || !PSN_PATTERN.test(panSequenceNumber)) {
    throw emvInputError('expected the PAN sequence number as two decimal digits');
  }
  if (option !== 'A' && option !== 'B') throw emvInputError('expected master key derivation option A or B');

  const digits = option === 'B' && pan.length > OPTION_A_DIGITS
    ? optionBDigits(pan + panSequenceNumber)
    : (pan + panSequenceNumber).slice(-OPTION_A_DIGITS).padStart(OPTION_A_DIGITS, '0');
  const y = fromHex(digits);
  const input16 = new Uint8Array(2 * EMV_BLOCK_BYTES);
  input16.set(y, 0);
  for (let i = 0; i < EMV_BLOCK_BYTES; i++) input16[EMV_BLOCK_BYTES + i] = (y[i] as number) ^ 0xff;
  const z = encryptTDESECB(issuerMasterKey, input16);
  const key = setOddParity(z);
  z.fill(0);
  return key;
}

function requirePAN(pan: unknown): asserts pan is string {
  if (typeof pan !== 'string' || !PAN_PATTERN.test(pan) || pan.length < PAN_DIGITS_MIN || pan.length > PAN_DIGITS_MAX) {
    throw emvInputError(`expected the PAN as ${PAN_DIGITS_MIN} to ${PAN_DIGITS_MAX} decimal digits`);
  }
}

/** EMV Book 2 Annex A1.4.2 steps 1-3: the 16 digits that replace PAN || PSN in Option A. */
function optionBDigits(panAndSequence: string): string {
  const even = panAndSequence.length % 2 === 0 ? panAndSequence : `0${panAndSequence}`;
  const hash = createHash('sha1').update(fromHex(even)).digest('hex');
  let digits = '';
  for (const nibble of hash) if (digits.length < OPTION_A_DIGITS && nibble >= '0' && nibble <= '9') digits += nibble;
  for (const nibble of hash) {
    const decimalised = LETTER_TO_DIGIT[nibble];
    if (digits.length < OPTION_A_DIGITS && decimalised !== undefined) digits += decimalised;
  }
  return digits;
}
