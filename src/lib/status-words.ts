/**
 * Status words: the SW1-SW2 trailer of every response APDU (ISO/IEC 7816-4 §5.6), with the
 * meanings GlobalPlatform Card Specification 2.3 §11 gives them for card management commands.
 *
 * A status word is a number 0x0000-0xFFFF (`0x6a82`), SW1 its high byte. Valid status words have
 * SW1 '6X' or '9X', except '60' (ISO/IEC 7816-4 §5.6): T=0 uses '60' as its NULL procedure byte.
 */

import { LibErrorCode, TesseraError } from './errors.js';

/** Named status words. The `*Base` entries stand for a family whose SW2 carries a number. */
export const StatusWord = {
  // Normal processing (ISO/IEC 7816-4 §5.6 Table 5)
  noError: 0x9000,
  /** 61XX: SW2 more response bytes are available with GET RESPONSE ('00': 256 or more). */
  bytesAvailableBase: 0x6100,

  // Warnings, non-volatile memory unchanged
  warningNoInformation: 0x6200,
  dataMayBeCorrupted: 0x6281,
  endOfFileOrRecord: 0x6282,
  selectedFileDeactivated: 0x6283,
  fileControlInformationNotFormatted: 0x6284,
  selectedFileTerminated: 0x6285,
  noSensorData: 0x6286,

  // Warnings, non-volatile memory changed
  warningMemoryChanged: 0x6300,
  moreDataAvailable: 0x6310,
  fileFilledByLastWrite: 0x6381,
  /** 63CX: counter X, for VERIFY the number of retries left. */
  counterBase: 0x63c0,

  // Execution errors
  executionErrorMemoryUnchanged: 0x6400,
  immediateResponseRequired: 0x6401,
  executionErrorMemoryChanged: 0x6500,
  memoryFailure: 0x6581,
  securityError: 0x6600,

  // Checking errors
  wrongLength: 0x6700,
  classFunctionsNotSupported: 0x6800,
  logicalChannelNotSupported: 0x6881,
  secureMessagingNotSupported: 0x6882,
  lastCommandOfChainExpected: 0x6883,
  commandChainingNotSupported: 0x6884,
  commandNotAllowed: 0x6900,
  commandIncompatibleWithFileStructure: 0x6981,
  securityStatusNotSatisfied: 0x6982,
  authenticationMethodBlocked: 0x6983,
  referenceDataNotUsable: 0x6984,
  conditionsOfUseNotSatisfied: 0x6985,
  commandNotAllowedNoCurrentFile: 0x6986,
  secureMessagingDataObjectsMissing: 0x6987,
  secureMessagingDataObjectsIncorrect: 0x6988,
  wrongParametersNoInformation: 0x6a00,
  incorrectData: 0x6a80,
  functionNotSupported: 0x6a81,
  fileOrApplicationNotFound: 0x6a82,
  recordNotFound: 0x6a83,
  notEnoughMemory: 0x6a84,
  dataLengthInconsistentWithTLV: 0x6a85,
  incorrectP1P2: 0x6a86,
  dataLengthInconsistentWithP1P2: 0x6a87,
  referencedDataNotFound: 0x6a88,
  fileAlreadyExists: 0x6a89,
  dedicatedFileNameAlreadyExists: 0x6a8a,
  wrongP1P2: 0x6b00,
  /** 6CXX: wrong Le; SW2 is the exact number of available bytes ('00': 256). */
  wrongLeBase: 0x6c00,
  instructionNotSupported: 0x6d00,
  classNotSupported: 0x6e00,
  noPreciseDiagnosis: 0x6f00,

  // GlobalPlatform Card Specification 2.3 §11.8 (PUT KEY)
  algorithmNotSupported: 0x9484,
  invalidKeyCheckValue: 0x9485,
} as const;
export type StatusWordName = keyof typeof StatusWord;

export interface StatusWordMeaning {
  readonly sw: number;
  readonly meaning: string;
  /** Where the meaning is defined. */
  readonly specification: string;
}

const ISO = 'ISO/IEC 7816-4 §5.6';
const GP = 'GlobalPlatform Card Specification 2.3 §11';

/** Exact status words and their meanings. Families (61XX, 63CX, 6CXX) are in `describeStatusWord`. */
export const STATUS_WORD_MEANINGS: readonly StatusWordMeaning[] = [
  { sw: 0x9000, meaning: 'No error', specification: ISO },
  { sw: 0x6200, meaning: 'Warning: non-volatile memory unchanged, no information given', specification: ISO },
  { sw: 0x6281, meaning: 'Part of returned data may be corrupted', specification: ISO },
  { sw: 0x6282, meaning: 'End of file or record reached before reading Ne bytes', specification: ISO },
  {
    sw: 0x6283,
    meaning: 'Selected file deactivated (GlobalPlatform SELECT: card life cycle state is CARD_LOCKED)',
    specification: `${ISO}; ${GP}.9 (SELECT)`,
  },
  { sw: 0x6284, meaning: 'File control information not formatted according to ISO/IEC 7816-4 §5.3.3', specification: ISO },
  { sw: 0x6285, meaning: 'Selected file in termination state', specification: ISO },
  { sw: 0x6286, meaning: 'No input data available from a sensor on the card', specification: ISO },
  {
    sw: 0x6300,
    meaning: 'Warning: non-volatile memory changed, no information given (GlobalPlatform EXTERNAL AUTHENTICATE: host cryptogram verification failed)',
    specification: `${ISO}; GlobalPlatform Card Specification 2.3 Amendment D (SCP03)`,
  },
  { sw: 0x6310, meaning: 'More data available (GlobalPlatform GET STATUS: send GET STATUS again with P2 next occurrence)', specification: `${GP}.4 (GET STATUS)` },
  { sw: 0x6381, meaning: 'File filled up by the last write', specification: ISO },
  { sw: 0x6400, meaning: 'Execution error: non-volatile memory unchanged, no information given', specification: ISO },
  { sw: 0x6401, meaning: 'Immediate response required by the card', specification: ISO },
  { sw: 0x6500, meaning: 'Execution error: non-volatile memory changed, no information given', specification: ISO },
  { sw: 0x6581, meaning: 'Memory failure', specification: `${ISO}; ${GP}` },
  { sw: 0x6600, meaning: 'Security-related issue', specification: ISO },
  { sw: 0x6700, meaning: 'Wrong length (Lc or Le inconsistent with the command)', specification: ISO },
  { sw: 0x6800, meaning: 'Functions in CLA not supported, no information given', specification: ISO },
  { sw: 0x6881, meaning: 'Logical channel not supported (or not open)', specification: `${ISO}; ${GP}` },
  { sw: 0x6882, meaning: 'Secure messaging not supported', specification: ISO },
  { sw: 0x6883, meaning: 'Last command of the chain expected', specification: ISO },
  { sw: 0x6884, meaning: 'Command chaining not supported', specification: ISO },
  { sw: 0x6900, meaning: 'Command not allowed, no information given', specification: ISO },
  { sw: 0x6981, meaning: 'Command incompatible with file structure', specification: ISO },
  { sw: 0x6982, meaning: 'Security status not satisfied', specification: `${ISO}; ${GP}` },
  { sw: 0x6983, meaning: 'Authentication method blocked', specification: ISO },
  { sw: 0x6984, meaning: 'Reference data not usable', specification: ISO },
  { sw: 0x6985, meaning: 'Conditions of use not satisfied', specification: `${ISO}; ${GP}` },
  { sw: 0x6986, meaning: 'Command not allowed (no current EF)', specification: ISO },
  { sw: 0x6987, meaning: 'Expected secure messaging data objects missing', specification: ISO },
  { sw: 0x6988, meaning: 'Incorrect secure messaging data objects', specification: ISO },
  { sw: 0x6a00, meaning: 'Wrong parameters P1-P2, no information given', specification: ISO },
  { sw: 0x6a80, meaning: 'Incorrect parameters in the command data field', specification: `${ISO}; ${GP}` },
  { sw: 0x6a81, meaning: 'Function not supported (GlobalPlatform SELECT: card is CARD_LOCKED)', specification: `${ISO}; ${GP}.9 (SELECT)` },
  { sw: 0x6a82, meaning: 'File or application not found', specification: `${ISO}; ${GP}` },
  { sw: 0x6a83, meaning: 'Record not found', specification: ISO },
  { sw: 0x6a84, meaning: 'Not enough memory space', specification: `${ISO}; ${GP}` },
  { sw: 0x6a85, meaning: 'Nc inconsistent with TLV structure', specification: ISO },
  { sw: 0x6a86, meaning: 'Incorrect parameters P1-P2', specification: `${ISO}; ${GP}` },
  { sw: 0x6a87, meaning: 'Nc inconsistent with parameters P1-P2', specification: ISO },
  { sw: 0x6a88, meaning: 'Referenced data or reference data not found', specification: `${ISO}; ${GP}` },
  { sw: 0x6a89, meaning: 'File already exists', specification: ISO },
  { sw: 0x6a8a, meaning: 'DF name already exists', specification: ISO },
  { sw: 0x6b00, meaning: 'Wrong parameters P1-P2', specification: ISO },
  { sw: 0x6d00, meaning: 'Instruction code not supported or invalid', specification: `${ISO}; ${GP}` },
  { sw: 0x6e00, meaning: 'Class not supported', specification: `${ISO}; ${GP}` },
  { sw: 0x6f00, meaning: 'No precise diagnosis', specification: ISO },
  { sw: 0x9484, meaning: 'Algorithm not supported', specification: `${GP}.8 (PUT KEY)` },
  { sw: 0x9485, meaning: 'Invalid key check value', specification: `${GP}.8 (PUT KEY)` },
];

const MEANINGS_BY_STATUS_WORD: ReadonlyMap<number, StatusWordMeaning> = new Map(
  STATUS_WORD_MEANINGS.map((entry) => [entry.sw, entry]),
);

/** The category ISO/IEC 7816-4 §5.6 Table 5 gives SW1, plus the proprietary '9X' range. */
export type StatusWordCategory = 'normal' | 'warning' | 'execution-error' | 'checking-error' | 'proprietary' | 'invalid';

/** What ISO/IEC 7816-4 §5.6 says about any SW2 under a given SW1. */
const SW1_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0x62, 'Warning: non-volatile memory unchanged'],
  [0x63, 'Warning: non-volatile memory changed'],
  [0x64, 'Execution error: non-volatile memory unchanged'],
  [0x65, 'Execution error: non-volatile memory changed'],
  [0x66, 'Security-related issue'],
  [0x67, 'Wrong length'],
  [0x68, 'Functions in CLA not supported'],
  [0x69, 'Command not allowed'],
  [0x6a, 'Wrong parameters P1-P2'],
  [0x6b, 'Wrong parameters P1-P2'],
  [0x6d, 'Instruction code not supported or invalid'],
  [0x6e, 'Class not supported'],
  [0x6f, 'No precise diagnosis'],
]);

export function isValidStatusWord(sw: number): boolean {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) return false;
  const sw1 = sw >> 8;
  return (sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f);
}

export function statusWordCategory(sw: number): StatusWordCategory {
  if (!isValidStatusWord(sw)) return 'invalid';
  const sw1 = sw >> 8;
  if (sw === StatusWord.noError || sw1 === 0x61) return 'normal';
  if (sw1 === 0x62 || sw1 === 0x63) return 'warning';
  if (sw1 >= 0x64 && sw1 <= 0x66) return 'execution-error';
  if (sw1 >= 0x67 && sw1 <= 0x6f) return 'checking-error';
  return 'proprietary';
}

/** 9000 or 61XX: the command completed (ISO/IEC 7816-4 §5.6 "normal processing"). */
export function isNormalProcessing(sw: number): boolean {
  return statusWordCategory(sw) === 'normal';
}

export function statusWordFromBytes(sw1: number, sw2: number): number {
  if (!isByte(sw1) || !isByte(sw2)) {
    throw new TesseraError(LibErrorCode.apduMalformed, 'SW1 and SW2 must each be one byte');
  }
  return sw1 * 256 + sw2;
}

export function statusWordToBytes(sw: number): Uint8Array {
  if (!isValidStatusWord(sw)) throw invalidStatusWord(sw);
  return Uint8Array.of(sw >> 8, sw & 0xff);
}

/** Upper-case, four digits: `statusWordToHex(0x6a82) === '6A82'`. */
export function statusWordToHex(sw: number): string {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw invalidStatusWord(sw);
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A one-line description for logs and error messages, e.g. `6A82: File or application not found`,
 * `6110: 16 more response bytes available (GET RESPONSE)`. Never throws.
 */
export function describeStatusWord(sw: number): string {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) return `${String(sw)}: not a status word`;
  const hex = statusWordToHex(sw);
  if (!isValidStatusWord(sw)) return `${hex}: invalid status word (SW1 must be 61-6F or 90-9F)`;
  const exact = MEANINGS_BY_STATUS_WORD.get(sw);
  if (exact !== undefined) return `${hex}: ${exact.meaning}`;

  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) {
    const available = sw2 === 0 ? '256 or more' : String(sw2);
    return `${hex}: ${available} more response bytes available (GET RESPONSE)`;
  }
  if (sw1 === 0x6c) {
    const available = sw2 === 0 ? 256 : sw2;
    return `${hex}: Wrong Le field; ${available} bytes available (resend with Le = ${sw2.toString(16).toUpperCase().padStart(2, '0')})`;
  }
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) {
    return `${hex}: Counter ${sw2 & 0x0f} (for VERIFY: ${sw2 & 0x0f} further tries allowed)`;
  }
  if ((sw1 === 0x62 || sw1 === 0x64) && sw2 >= 0x02 && sw2 <= 0x80) {
    return `${hex}: Triggering by the card (${sw2} bytes of query data; ISO/IEC 7816-4 §5.6)`;
  }
  const category = SW1_MEANINGS.get(sw1);
  if (category !== undefined) return `${hex}: ${category} (no meaning defined for SW2 ${hex.slice(2)})`;
  return `${hex}: Proprietary status word`;
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

function invalidStatusWord(sw: number): TesseraError {
  return new TesseraError(LibErrorCode.apduMalformed, `${String(sw)} is not a valid status word`);
}
