/**
 * ISO/IEC 7816-4 command and response APDUs (§5.1 command-response pairs, §5.4 class byte and
 * instruction byte, §5.6 status bytes).
 *
 * A command APDU is a 4-byte header CLA INS P1 P2 and an optional body. The body's length fields
 * are short (one byte) or extended ('00' then two bytes); the seven cases, with Nc the number of
 * data bytes and Ne the maximum number of response data bytes expected:
 *
 *   case 1   CLA INS P1 P2
 *   case 2S  CLA INS P1 P2 Le                     Le '00' means Ne = 256
 *   case 3S  CLA INS P1 P2 Lc data                Lc '01'-'FF'
 *   case 4S  CLA INS P1 P2 Lc data Le
 *   case 2E  CLA INS P1 P2 00 Le1 Le2             Le '0000' means Ne = 65 536
 *   case 3E  CLA INS P1 P2 00 Lc1 Lc2 data        Lc '0001'-'FFFF'
 *   case 4E  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
 *
 * A body that fits none of them is malformed (ERR_APDU_MALFORMED); a card answers that with
 * SW 6700 (wrong length). CLA 'FF' and INS '6X'/'9X' are invalid too, but they have their own
 * status words (6E00, 6D00), so the parser leaves them to `decodeCLA` and `isValidINS`.
 */

import { copyBytes, concatBytes } from './bytes.js';
import { LibErrorCode, TesseraError } from './errors.js';
import { isValidStatusWord, statusWordToBytes, statusWordToHex } from './status-words.js';

/** CLA INS P1 P2. */
export const APDU_HEADER_BYTES = 4;
/** Largest Nc with a short Lc field. */
export const APDU_SHORT_DATA_BYTES_MAX = 255;
/** Largest Nc at all (extended Lc 'FFFF'). */
export const APDU_DATA_BYTES_MAX = 65_535;
/** Largest Ne with a short Le field (Le '00'). */
export const APDU_SHORT_RESPONSE_DATA_BYTES_MAX = 256;
/** Largest Ne at all (extended Le '0000'), and the largest response data field accepted. */
export const APDU_RESPONSE_DATA_BYTES_MAX = 65_536;
/** Longest command APDU: header, '00' Lc1 Lc2, 65 535 data bytes, Le1 Le2 (case 4E). */
export const APDU_COMMAND_BYTES_MAX = APDU_HEADER_BYTES + 3 + APDU_DATA_BYTES_MAX + 2;
/** Longest response APDU: 65 536 data bytes and SW1 SW2. */
export const APDU_RESPONSE_BYTES_MAX = APDU_RESPONSE_DATA_BYTES_MAX + 2;

export type APDUCase = '1' | '2S' | '3S' | '4S' | '2E' | '3E' | '4E';

export interface CommandAPDU {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** The command data field (Nc bytes); empty for cases 1 and 2. */
  readonly data: Uint8Array;
  /**
   * Ne, the maximum number of response data bytes expected, 1 to 65 536, decoded from the Le
   * field ('00' is 256, '0000' is 65 536). Absent when there is no Le field (cases 1 and 3).
   */
  readonly le?: number;
  /**
   * Whether the length fields are extended. The parser always sets it (false for case 1).
   * The encoder uses short fields when it is absent and Nc and Ne allow them; it ignores it for
   * case 1, which has no length field.
   */
  readonly extended?: boolean;
}

export interface ResponseAPDU {
  readonly data: Uint8Array;
  /** SW1-SW2 as one number, e.g. 0x9000. */
  readonly sw: number;
}

function malformed(message: string): TesseraError {
  return new TesseraError(LibErrorCode.apduMalformed, message);
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

function shortLe(value: number): number {
  return value === 0 ? APDU_SHORT_RESPONSE_DATA_BYTES_MAX : value;
}

/** Extended Le at body offset `offset` ('0000' is 65 536). */
function extendedLe(bytes: Uint8Array, offset: number): number {
  const at = APDU_HEADER_BYTES + offset;
  return ((bytes[at] as number) * 256 + (bytes[at + 1] as number)) || APDU_RESPONSE_DATA_BYTES_MAX;
}

/**
 * Parses a command APDU. The data field is a fresh copy of the received bytes. Written without
 * closures: every card command passes here, so it stays allocation-light.
 */
export function parseCommandAPDU(received: Uint8Array): CommandAPDU & { readonly extended: boolean } {
  const length = received.length;
  if (length < APDU_HEADER_BYTES) {
    throw malformed(`a command APDU has a ${APDU_HEADER_BYTES}-byte header, received ${length} bytes`);
  }
  if (length > APDU_COMMAND_BYTES_MAX) {
    throw malformed(`a command APDU has at most ${APDU_COMMAND_BYTES_MAX} bytes, received ${length}`);
  }
  const bytes = copyBytes(received);
  const cla = bytes[0] as number;
  const ins = bytes[1] as number;
  const p1 = bytes[2] as number;
  const p2 = bytes[3] as number;
  const body = length - APDU_HEADER_BYTES;

  if (body === 0) return { cla, ins, p1, p2, data: new Uint8Array(0), extended: false };
  const first = bytes[APDU_HEADER_BYTES] as number;
  if (body === 1) return { cla, ins, p1, p2, data: new Uint8Array(0), le: shortLe(first), extended: false };

  if (first !== 0) {
    const lc = first;
    const data = bytes.subarray(APDU_HEADER_BYTES + 1, APDU_HEADER_BYTES + 1 + lc);
    if (body === 1 + lc) return { cla, ins, p1, p2, data, extended: false };
    if (body === 2 + lc) return { cla, ins, p1, p2, data, le: shortLe(bytes[APDU_HEADER_BYTES + 1 + lc] as number), extended: false };
    throw malformed(`Lc announces ${lc} data bytes but the body after it has ${body - 1} bytes`);
  }

  // First body byte '00' with more bytes after it: extended length fields.
  if (body === 3) return { cla, ins, p1, p2, data: new Uint8Array(0), le: extendedLe(bytes, 1), extended: true };
  if (body < 3) throw malformed(`a ${body}-byte body starting with 00 is neither short nor extended`);
  const lc = (bytes[APDU_HEADER_BYTES + 1] as number) * 256 + (bytes[APDU_HEADER_BYTES + 2] as number);
  if (lc === 0) throw malformed('extended Lc 0000 is invalid (Nc must be 1 to 65535)');
  const data = bytes.subarray(APDU_HEADER_BYTES + 3, APDU_HEADER_BYTES + 3 + lc);
  if (body === 3 + lc) return { cla, ins, p1, p2, data, extended: true };
  if (body === 5 + lc) return { cla, ins, p1, p2, data, le: extendedLe(bytes, 3 + lc), extended: true };
  throw malformed(`extended Lc announces ${lc} data bytes but the body after it has ${body - 3} bytes`);
}

/**
 * The case of a command (ISO/IEC 7816-4 §5.1), from Nc, Ne and `extended` (derived as the
 * encoder would when absent).
 */
export function commandCaseOf(command: CommandAPDU): APDUCase {
  const hasData = command.data.length > 0;
  const hasLe = command.le !== undefined;
  if (!hasData && !hasLe) return '1';
  const suffix = usesExtendedLengths(command) ? 'E' : 'S';
  if (!hasData) return `2${suffix}`;
  return hasLe ? `4${suffix}` : `3${suffix}`;
}

function usesExtendedLengths(command: CommandAPDU): boolean {
  const needsExtended =
    command.data.length > APDU_SHORT_DATA_BYTES_MAX || (command.le ?? 0) > APDU_SHORT_RESPONSE_DATA_BYTES_MAX;
  if (command.extended === false && needsExtended) {
    throw malformed(
      `Nc ${command.data.length} and Ne ${command.le ?? 0} need extended length fields but extended is false`,
    );
  }
  return command.extended ?? needsExtended;
}

/** Encodes a command APDU; the inverse of `parseCommandAPDU`. */
export function encodeCommandAPDU(command: CommandAPDU): Uint8Array {
  const { cla, ins, p1, p2, data, le } = command;
  if (!isByte(cla) || !isByte(ins) || !isByte(p1) || !isByte(p2)) {
    throw malformed('CLA, INS, P1 and P2 must each be one byte');
  }
  if (data.length > APDU_DATA_BYTES_MAX) {
    throw malformed(`Nc ${data.length} exceeds ${APDU_DATA_BYTES_MAX}`);
  }
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > APDU_RESPONSE_DATA_BYTES_MAX)) {
    throw malformed(`Ne ${le} is outside 1 to ${APDU_RESPONSE_DATA_BYTES_MAX}`);
  }
  const header = Uint8Array.of(cla, ins, p1, p2);
  if (data.length === 0 && le === undefined) return header;

  if (!usesExtendedLengths(command)) {
    const lc = data.length > 0 ? Uint8Array.of(data.length) : new Uint8Array(0);
    const leField = le === undefined ? new Uint8Array(0) : Uint8Array.of(le % 256);
    return concatBytes(header, lc, data, leField);
  }
  // Extended: one '00' byte, then Lc on two bytes when there is data, then Le on two bytes.
  const lc = data.length > 0 ? Uint8Array.of(data.length >> 8, data.length & 0xff) : new Uint8Array(0);
  const leValue = le === undefined ? undefined : le % APDU_RESPONSE_DATA_BYTES_MAX;
  const leField = leValue === undefined ? new Uint8Array(0) : Uint8Array.of(leValue >> 8, leValue & 0xff);
  return concatBytes(header, Uint8Array.of(0), lc, data, leField);
}

/** Parses a response APDU: the data field and the SW1-SW2 trailer (ISO/IEC 7816-4 §5.1, §5.6). */
export function parseResponseAPDU(received: Uint8Array): ResponseAPDU {
  if (received.length < 2) {
    throw malformed(`a response APDU ends with SW1 SW2, received ${received.length} bytes`);
  }
  if (received.length > APDU_RESPONSE_BYTES_MAX) {
    throw malformed(`a response APDU has at most ${APDU_RESPONSE_BYTES_MAX} bytes, received ${received.length}`);
  }
  const bytes = copyBytes(received);
  const sw = (bytes[bytes.length - 2] as number) * 256 + (bytes[bytes.length - 1] as number);
  if (!isValidStatusWord(sw)) {
    throw malformed(`status word ${statusWordToHex(sw)} is invalid (SW1 must be 61-6F or 90-9F)`);
  }
  return { data: bytes.subarray(0, bytes.length - 2), sw };
}

export function encodeResponseAPDU(response: ResponseAPDU): Uint8Array {
  if (response.data.length > APDU_RESPONSE_DATA_BYTES_MAX) {
    throw malformed(`${response.data.length} response data bytes exceed ${APDU_RESPONSE_DATA_BYTES_MAX}`);
  }
  if (!isValidStatusWord(response.sw)) throw malformed(`${String(response.sw)} is not a valid status word`);
  return concatBytes(response.data, statusWordToBytes(response.sw));
}

// --- Class byte (ISO/IEC 7816-4 §5.4.1) ---------------------------------------------------------

/**
 * Secure messaging indication in CLA. First interindustry coding (b4-b3): 00 none, 01
 * proprietary, 10 per §10 with the header not authenticated, 11 per §10 with the header
 * authenticated. Further interindustry coding (b6): none, or per §10 header not authenticated.
 */
export type SecureMessagingIndication =
  | 'none'
  | 'proprietary'
  | 'header-not-authenticated'
  | 'header-authenticated';

export interface ClassByte {
  /** b8 = 0. A proprietary class ('80'-'9F', 'C0'-'FE'; GlobalPlatform uses them) has b8 = 1. */
  readonly interindustry: boolean;
  /** 0-3 in the first interindustry coding, 4-19 in the further one. */
  readonly logicalChannel: number;
  readonly secureMessaging: SecureMessagingIndication;
  /** b5: command chaining, "not the last command of a chain". */
  readonly chaining: boolean;
}

const CLA_PROPRIETARY_BIT = 0x80;
const CLA_FURTHER_BIT = 0x40;
const CLA_RESERVED_BIT = 0x20;
const CLA_CHAINING_BIT = 0x10;
const CLA_FURTHER_SECURE_MESSAGING_BIT = 0x20;
const FIRST_CHANNELS = 4;
const LOGICAL_CHANNEL_MAX = 19;
const FIRST_SECURE_MESSAGING: readonly SecureMessagingIndication[] = [
  'none', 'proprietary', 'header-not-authenticated', 'header-authenticated',
];

/**
 * Decodes a class byte. The first interindustry coding ('00'-'1F') and the further one
 * ('40'-'7F') are read as ISO/IEC 7816-4 §5.4.1 Tables 2 and 3; proprietary classes with the same
 * layout ('80'-'9F', 'C0'-'FE', as GlobalPlatform Card Specification 2.3 §11.1.4 uses them) are
 * read the same way with `interindustry: false`.
 *
 * Returns undefined for 'FF' (invalid), '20'-'3F' (reserved for future use) and 'A0'-'BF'
 * (proprietary without that layout): a card answers those with 6E00.
 */
export function decodeCLA(cla: number): ClassByte | undefined {
  if (!isByte(cla) || cla === 0xff) return undefined;
  const interindustry = (cla & CLA_PROPRIETARY_BIT) === 0;
  const chaining = (cla & CLA_CHAINING_BIT) !== 0;
  if ((cla & CLA_FURTHER_BIT) !== 0) {
    const secureMessaging = (cla & CLA_FURTHER_SECURE_MESSAGING_BIT) !== 0 ? 'header-not-authenticated' : 'none';
    return { interindustry, logicalChannel: FIRST_CHANNELS + (cla & 0x0f), secureMessaging, chaining };
  }
  if ((cla & CLA_RESERVED_BIT) !== 0) return undefined;
  const secureMessaging = FIRST_SECURE_MESSAGING[(cla >> 2) & 0x03] as SecureMessagingIndication;
  return { interindustry, logicalChannel: cla & 0x03, secureMessaging, chaining };
}

/**
 * Encodes a class byte; the inverse of `decodeCLA`. Channels 0-3 use the first interindustry
 * coding, 4-19 the further one, which can only say 'none' or 'header-not-authenticated'.
 */
export function encodeCLA(classByte: ClassByte): number {
  const { interindustry, logicalChannel, secureMessaging, chaining } = classByte;
  if (!Number.isInteger(logicalChannel) || logicalChannel < 0 || logicalChannel > LOGICAL_CHANNEL_MAX) {
    throw malformed(`logical channel ${logicalChannel} is outside 0 to ${LOGICAL_CHANNEL_MAX}`);
  }
  const high = (interindustry ? 0 : CLA_PROPRIETARY_BIT) | (chaining ? CLA_CHAINING_BIT : 0);
  if (logicalChannel < FIRST_CHANNELS) {
    return high | (FIRST_SECURE_MESSAGING.indexOf(secureMessaging) << 2) | logicalChannel;
  }
  if (secureMessaging === 'proprietary' || secureMessaging === 'header-authenticated') {
    throw malformed(`secure messaging '${secureMessaging}' cannot be coded with logical channel ${logicalChannel}`);
  }
  const secureMessagingBit = secureMessaging === 'none' ? 0 : CLA_FURTHER_SECURE_MESSAGING_BIT;
  return high | CLA_FURTHER_BIT | secureMessagingBit | (logicalChannel - FIRST_CHANNELS);
}

/** INS '6X' and '9X' are invalid (ISO/IEC 7816-4 §5.4.2): T=0 reads them as procedure bytes. */
export function isValidINS(ins: number): boolean {
  return isByte(ins) && (ins & 0xf0) !== 0x60 && (ins & 0xf0) !== 0x90;
}
