import { smsError, SmsErrorCode } from './errors.js';

/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1 and §6.2.1.1).
 * Septets are carried one per octet ("unpacked", as SMPP 3.4 sends data_coding 0x00) or packed
 * eight into seven octets (TS 23.038 §6.1.2.1.1, as the radio interface carries them).
 */

/** §6.2.1: the character of each septet value 0x00…0x7F. 0x1B is the escape to the extension table. */
const BASIC_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** §6.2.1.1: characters reached through ESC (0x1B) followed by this septet. 0x0A is the page break (form feed). */
const EXTENSION_TABLE: ReadonlyArray<readonly [number, string]> = [
  [0x0a, '\f'], [0x14, '^'], [0x28, '{'], [0x29, '}'], [0x2f, '\\'], [0x3c, '['], [0x3d, '~'], [0x3e, ']'], [0x40, '|'], [0x65, '€'],
];

export const GSM7_ESCAPE = 0x1b;
export const SEPTET_MAX = 0x7f;

const ENCODE_BASIC = new Map<string, number>();
for (let septet = 0; septet < BASIC_TABLE.length; septet++) {
  if (septet !== GSM7_ESCAPE) ENCODE_BASIC.set(BASIC_TABLE.charAt(septet), septet);
}
const ENCODE_EXTENSION = new Map<string, number>(EXTENSION_TABLE.map(([septet, char]) => [char, septet]));
const DECODE_EXTENSION = new Map<number, string>(EXTENSION_TABLE);

/** Septets one character costs: 1 in the basic table, 2 through the escape, undefined when not in the alphabet. */
export function gsm7SeptetsOf(char: string): 1 | 2 | undefined {
  if (ENCODE_BASIC.has(char)) return 1;
  if (ENCODE_EXTENSION.has(char)) return 2;
  return undefined;
}

export function isGSM7Encodable(text: string): boolean {
  for (const char of text) if (gsm7SeptetsOf(char) === undefined) return false;
  return true;
}

/** Septet count of `text` in GSM 7-bit (escaped characters count two), or undefined when not encodable. */
export function countGSM7Septets(text: string): number | undefined {
  let count = 0;
  for (const char of text) {
    const cost = gsm7SeptetsOf(char);
    if (cost === undefined) return undefined;
    count += cost;
  }
  return count;
}

/** Text → septets, one per octet. Characters outside the alphabet fail (no silent '?'). */
export function encodeGSM7(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const basic = ENCODE_BASIC.get(char);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const extended = ENCODE_EXTENSION.get(char);
    if (extended === undefined) {
      throw smsError(SmsErrorCode.unencodable, `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} is not in the GSM 7-bit default alphabet`);
    }
    out.push(GSM7_ESCAPE, extended);
  }
  return Uint8Array.from(out);
}

/**
 * Septets (one per octet) → text. A value above 0x7F is not a septet and fails. What §6.2.1.1
 * prescribes for receivers is followed for the rest: an escape to an undefined extension shows the
 * basic character, ESC ESC (reserved for a further table) and a trailing ESC show a space.
 */
export function decodeGSM7(septets: Uint8Array): string {
  let text = '';
  for (let index = 0; index < septets.length; index++) {
    const septet = septets[index] ?? 0;
    if (septet > SEPTET_MAX) throw smsError(SmsErrorCode.malformed, `0x${septet.toString(16).toUpperCase()} at offset ${index} is not a GSM 7-bit septet`);
    if (septet !== GSM7_ESCAPE) {
      text += BASIC_TABLE.charAt(septet);
      continue;
    }
    const next = septets[index + 1];
    if (next === undefined || next === GSM7_ESCAPE) {
      text += ' ';
      if (next !== undefined) index++;
      continue;
    }
    if (next > SEPTET_MAX) throw smsError(SmsErrorCode.malformed, `0x${next.toString(16).toUpperCase()} at offset ${index + 1} is not a GSM 7-bit septet`);
    text += DECODE_EXTENSION.get(next) ?? BASIC_TABLE.charAt(next);
    index++;
  }
  return text;
}

/**
 * Packs septets into octets (TS 23.038 §6.1.2.1.1): septet n's bits go to bit position 7n, least
 * significant first. `fillBits` (0-6) zero bits come first, so that septets after a user data header
 * start on a septet boundary (TS 23.040 §9.2.3.24).
 */
export function packGSM7(septets: Uint8Array, fillBits = 0): Uint8Array {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) throw smsError(SmsErrorCode.malformed, 'fill bits must be 0 to 6');
  const totalBits = fillBits + septets.length * 7;
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (let index = 0; index < septets.length; index++) {
    const septet = septets[index] ?? 0;
    if (septet > SEPTET_MAX) throw smsError(SmsErrorCode.malformed, `0x${septet.toString(16).toUpperCase()} at offset ${index} is not a GSM 7-bit septet`);
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] = (out[byte] ?? 0) | ((septet << shift) & 0xff);
    if (shift > 1) out[byte + 1] = (out[byte + 1] ?? 0) | (septet >> (8 - shift));
    bit += 7;
  }
  return out;
}

/** Unpacks `septetCount` septets from packed octets after `fillBits` leading fill bits; too few octets fail. */
export function unpackGSM7(octets: Uint8Array, septetCount: number, fillBits = 0): Uint8Array {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) throw smsError(SmsErrorCode.malformed, 'fill bits must be 0 to 6');
  if (!Number.isInteger(septetCount) || septetCount < 0) throw smsError(SmsErrorCode.malformed, 'septet count must be a non-negative integer');
  if (Math.ceil((fillBits + septetCount * 7) / 8) > octets.length) {
    throw smsError(SmsErrorCode.malformed, `${septetCount} septets need more than the ${octets.length} octets given`);
  }
  const out = new Uint8Array(septetCount);
  let bit = fillBits;
  for (let index = 0; index < septetCount; index++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    const low = (octets[byte] ?? 0) >> shift;
    const high = shift > 1 ? (octets[byte + 1] ?? 0) << (8 - shift) : 0;
    out[index] = (low | high) & SEPTET_MAX;
    bit += 7;
  }
  return out;
}
