import { TesseraError } from '../../lib/errors.js';
import { PaymentAppletErrorCode } from './errors.js';

/**
 * The App SE reaches the Crypto SE the way a UICC reaches a second card: with the proactive
 * command PERFORM CARD APDU (ETSI TS 102 223 §6.4.17). The applet ends the command it was given
 * with status '91XX'; the device (the terminal, for the UICC) fetches the XX-byte proactive
 * command with FETCH, sends its C-APDU to the Crypto SE (card reader 1), and hands the R-APDU back
 * with TERMINAL RESPONSE, whose answer is the answer to the original command.
 *
 * Inside the 'D0' template the data objects are COMPREHENSION-TLV (ETSI TS 101 220 §7.1.1): one-byte
 * tags whose top bit is the "comprehension required" flag, lengths of one byte, or '81' and one
 * byte. This module reads and writes exactly the objects used here.
 */

export const FETCH_INS = 0x12;
export const TERMINAL_RESPONSE_INS = 0x14;
/** Status word class that announces a pending proactive command: '91XX', XX = its length. */
export const PROACTIVE_PENDING_SW1 = 0x91;
/** Type of command PERFORM CARD APDU (ETSI TS 102 223 §9.4). */
export const PERFORM_CARD_APDU = 0x30;
/** Device identities (ETSI TS 102 223 §8.7): the UICC, the terminal, additional card reader 1. */
export const DEVICE_IDENTITY = { uicc: 0x81, terminal: 0x82, cardReader1: 0x11 } as const;
/** General result "command performed successfully" (ETSI TS 102 223 §8.12). */
export const RESULT_PERFORMED = 0x00;
/** General result "card reader status: card not present / error" style failures start here. */
export const RESULT_CARD_READER_ERROR = 0x3c;
/** General result "command beyond terminal's capabilities" (ETSI TS 102 223 §8.12). */
export const RESULT_BEYOND_CAPABILITIES = 0x30;
/** A proactive command fits one '91XX' announcement: XX is one byte (00 meaning 256 is not used). */
export const PROACTIVE_COMMAND_BYTES_MAX = 255;

const TAG = {
  proactiveCommand: 0xd0,
  commandDetails: 0x01,
  deviceIdentities: 0x02,
  result: 0x03,
  cAPDU: 0x22,
  rAPDU: 0x23,
} as const;
const COMPREHENSION_REQUIRED = 0x80;

function malformed(message: string): TesseraError {
  return new TesseraError(PaymentAppletErrorCode.proactive, message);
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length <= 0xff) return [0x81, length];
  throw malformed(`a data object of ${length} bytes is longer than a proactive exchange allows`);
}

function comprehension(tag: number, value: Uint8Array): number[] {
  return [tag | COMPREHENSION_REQUIRED, ...encodeLength(value.length), ...value];
}

interface SimpleObject {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Reads COMPREHENSION-TLV objects; loops over the input once, never recursing. */
function readObjects(bytes: Uint8Array): SimpleObject[] {
  const objects: SimpleObject[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tagByte = bytes[offset];
    if (tagByte === undefined || tagByte === 0x00 || tagByte === 0xff || (tagByte & 0x7f) === 0x7f) throw malformed(`unsupported tag at offset ${offset}`);
    let length = bytes[offset + 1];
    let valueStart = offset + 2;
    if (length === 0x81) {
      length = bytes[offset + 2];
      valueStart = offset + 3;
      if (length !== undefined && length < 0x80) throw malformed('length not in its shortest form');
    } else if (length !== undefined && length > 0x7f) {
      throw malformed('length field other than one byte or 81 XX');
    }
    if (length === undefined || valueStart + length > bytes.length) throw malformed('data object runs past the end');
    objects.push({ tag: tagByte & ~COMPREHENSION_REQUIRED, value: bytes.slice(valueStart, valueStart + length) });
    offset = valueStart + length;
  }
  return objects;
}

function only(objects: readonly SimpleObject[], tag: number): Uint8Array {
  const matches = objects.filter((object) => object.tag === tag);
  const [first] = matches;
  if (matches.length !== 1 || first === undefined) throw malformed(`expected exactly one data object ${tag.toString(16).padStart(2, '0')}`);
  return first.value;
}

/** The 'D0' proactive command PERFORM CARD APDU carrying `commandAPDU` to card reader 1. */
export function encodePerformCardAPDU(commandNumber: number, commandAPDU: Uint8Array): Uint8Array {
  const body = [
    ...comprehension(TAG.commandDetails, Uint8Array.of(commandNumber, PERFORM_CARD_APDU, 0x00)),
    ...comprehension(TAG.deviceIdentities, Uint8Array.of(DEVICE_IDENTITY.uicc, DEVICE_IDENTITY.cardReader1)),
    ...comprehension(TAG.cAPDU, commandAPDU),
  ];
  const encoded = Uint8Array.from([TAG.proactiveCommand, ...encodeLength(body.length), ...body]);
  if (encoded.length > PROACTIVE_COMMAND_BYTES_MAX) throw malformed(`proactive command of ${encoded.length} bytes`);
  return encoded;
}

export interface PerformCardAPDU {
  readonly commandNumber: number;
  readonly commandAPDU: Uint8Array;
}

/** The terminal's side: what FETCH answered, checked to be a PERFORM CARD APDU to card reader 1. */
export function decodePerformCardAPDU(received: Uint8Array): PerformCardAPDU {
  if (received[0] !== TAG.proactiveCommand) throw malformed('a proactive command starts with D0');
  // Same length rules as inside: read the template as if it were one object with a simple tag.
  const [template, ...rest] = readObjects(Uint8Array.from([0x50, ...received.subarray(1)]));
  if (template === undefined || rest.length !== 0) throw malformed('bytes after the proactive command');
  const objects = readObjects(template.value);
  const details = only(objects, TAG.commandDetails);
  const identities = only(objects, TAG.deviceIdentities);
  if (details.length !== 3 || details[1] !== PERFORM_CARD_APDU) throw malformed('only PERFORM CARD APDU is supported');
  if (identities.length !== 2 || identities[0] !== DEVICE_IDENTITY.uicc || identities[1] !== DEVICE_IDENTITY.cardReader1) {
    throw malformed('PERFORM CARD APDU must go from the UICC to card reader 1');
  }
  return { commandNumber: details[0] ?? 0, commandAPDU: only(objects, TAG.cAPDU) };
}

/** TERMINAL RESPONSE data for a PERFORM CARD APDU: the result and, when performed, the R-APDU. */
export function encodeTerminalResponse(commandNumber: number, result: number, responseAPDU: Uint8Array | undefined): Uint8Array {
  return Uint8Array.from([
    ...comprehension(TAG.commandDetails, Uint8Array.of(commandNumber, PERFORM_CARD_APDU, 0x00)),
    ...comprehension(TAG.deviceIdentities, Uint8Array.of(DEVICE_IDENTITY.terminal, DEVICE_IDENTITY.uicc)),
    ...comprehension(TAG.result, Uint8Array.of(result)),
    ...(responseAPDU === undefined ? [] : comprehension(TAG.rAPDU, responseAPDU)),
  ]);
}

export interface TerminalResponse {
  readonly commandNumber: number;
  readonly result: number;
  /** The Crypto SE's response APDU (data ‖ SW1 SW2) when the result is "performed". */
  readonly responseAPDU: Uint8Array | undefined;
}

export function decodeTerminalResponse(received: Uint8Array): TerminalResponse {
  const objects = readObjects(received);
  const details = only(objects, TAG.commandDetails);
  if (details.length !== 3 || details[1] !== PERFORM_CARD_APDU) throw malformed('the terminal response is not for PERFORM CARD APDU');
  const result = only(objects, TAG.result);
  if (result.length < 1) throw malformed('empty result');
  const responses = objects.filter((object) => object.tag === TAG.rAPDU);
  if (responses.length > 1) throw malformed('more than one R-APDU');
  const responseAPDU = responses[0]?.value;
  if (responseAPDU !== undefined && responseAPDU.length < 2) throw malformed('an R-APDU has at least a status word');
  return { commandNumber: details[0] ?? 0, result: result[0] ?? 0xff, responseAPDU };
}
