import { concatBytes } from '../bytes.js';
import { smsError, SmsErrorCode } from './errors.js';

/**
 * The user data header (3GPP TS 23.040 §9.2.3.24): UDHL, then information elements (IEI, length,
 * data). Concatenation uses IEI 0x00 (8-bit reference, §9.2.3.24.1) or 0x08 (16-bit reference,
 * §9.2.3.24.8): reference, total parts, this part's sequence number (from 1).
 */

export const IEI_CONCAT_8BIT = 0x00;
export const IEI_CONCAT_16BIT = 0x08;
/** The UDHL octet can say at most 255; user data is at most 140 octets on air, 254 in SMPP short_message. */
export const UDH_BYTES_MAX = 255;

export interface InformationElement {
  readonly iei: number;
  readonly data: Uint8Array;
}

export interface ConcatInfo {
  readonly reference: number;
  readonly total: number;
  readonly sequence: number;
  readonly referenceBits: 8 | 16;
}

export interface DecodedUserData {
  readonly elements: readonly InformationElement[];
  /** Octets of the header including the UDHL octet itself. */
  readonly headerBytes: number;
  readonly body: Uint8Array;
}

export function encodeUDH(elements: readonly InformationElement[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { iei, data } of elements) {
    if (!Number.isInteger(iei) || iei < 0 || iei > 0xff) throw smsError(SmsErrorCode.malformed, 'an IEI is one octet');
    if (data.length > 0xff) throw smsError(SmsErrorCode.malformed, 'an information element holds at most 255 octets');
    parts.push(Uint8Array.of(iei, data.length), data);
  }
  const body = concatBytes(...parts);
  if (body.length > UDH_BYTES_MAX - 1) throw smsError(SmsErrorCode.limit, 'the user data header is longer than its length octet can say');
  return concatBytes(Uint8Array.of(body.length), body);
}

/** Splits user data that starts with a header (the UDHI bit is set) into its elements and the body. */
export function decodeUserData(userData: Uint8Array): DecodedUserData {
  const headerLength = userData[0];
  if (headerLength === undefined) throw smsError(SmsErrorCode.malformed, 'the user data header indicator is set but the user data is empty');
  if (1 + headerLength > userData.length) throw smsError(SmsErrorCode.malformed, `the UDHL says ${headerLength} octets but only ${userData.length - 1} follow`);
  const elements: InformationElement[] = [];
  let offset = 1;
  const end = 1 + headerLength;
  while (offset < end) {
    const iei = userData[offset];
    const length = userData[offset + 1];
    if (iei === undefined || length === undefined || offset + 2 + length > end) {
      throw smsError(SmsErrorCode.malformed, `the information element at offset ${offset} runs past the user data header`);
    }
    elements.push({ iei, data: userData.slice(offset + 2, offset + 2 + length) });
    offset += 2 + length;
  }
  return { elements, headerBytes: end, body: userData.slice(end) };
}

export function concatElement(info: ConcatInfo): InformationElement {
  checkConcat(info);
  return info.referenceBits === 8
    ? { iei: IEI_CONCAT_8BIT, data: Uint8Array.of(info.reference, info.total, info.sequence) }
    : { iei: IEI_CONCAT_16BIT, data: Uint8Array.of(info.reference >> 8, info.reference & 0xff, info.total, info.sequence) };
}

/** The concatenation element among `elements`, if any; a malformed one fails rather than being ignored. */
export function findConcat(elements: readonly InformationElement[]): ConcatInfo | undefined {
  for (const { iei, data } of elements) {
    if (iei === IEI_CONCAT_8BIT) {
      if (data.length !== 3) throw smsError(SmsErrorCode.malformed, `a concatenation element (IEI 00) has 3 octets, not ${data.length}`);
      return checkConcat({ reference: data[0] ?? 0, total: data[1] ?? 0, sequence: data[2] ?? 0, referenceBits: 8 });
    }
    if (iei === IEI_CONCAT_16BIT) {
      if (data.length !== 4) throw smsError(SmsErrorCode.malformed, `a concatenation element (IEI 08) has 4 octets, not ${data.length}`);
      return checkConcat({ reference: ((data[0] ?? 0) << 8) | (data[1] ?? 0), total: data[2] ?? 0, sequence: data[3] ?? 0, referenceBits: 16 });
    }
  }
  return undefined;
}

function checkConcat(info: ConcatInfo): ConcatInfo {
  const referenceMax = info.referenceBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(info.reference) || info.reference < 0 || info.reference > referenceMax) throw smsError(SmsErrorCode.malformed, 'concatenation reference out of range');
  // §9.2.3.24.1: a total of 0 or a sequence of 0 or above the total means the element is ignored; we refuse it.
  if (!Number.isInteger(info.total) || info.total < 1 || info.total > 0xff) throw smsError(SmsErrorCode.malformed, `concatenation total ${info.total} is not 1-255`);
  if (!Number.isInteger(info.sequence) || info.sequence < 1 || info.sequence > info.total) {
    throw smsError(SmsErrorCode.malformed, `concatenation sequence ${info.sequence} is not 1-${info.total}`);
  }
  return info;
}
