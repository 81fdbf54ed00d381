import { smsError, SmsErrorCode } from './errors.js';

/**
 * The 16-bit alphabet of data_coding 0x08 (3GPP TS 23.038 §6.2.3; SMPP 3.4 §5.2.19): big-endian
 * UTF-16, which is what handsets send under the name UCS-2. Characters outside the BMP travel as
 * surrogate pairs, so Chinese (and emoji) text arrives intact.
 */

export function encodeUCS2(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    out[index * 2] = unit >> 8;
    out[index * 2 + 1] = unit & 0xff;
  }
  return out;
}

/** Bytes → text. An odd length is malformed; a lone surrogate becomes U+FFFD (nothing else can display it). */
export function decodeUCS2(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) throw smsError(SmsErrorCode.malformed, `UCS-2 text has an odd length (${bytes.length} octets)`);
  const units = new Array<number>(bytes.length / 2);
  for (let index = 0; index < units.length; index++) units[index] = ((bytes[index * 2] ?? 0) << 8) | (bytes[index * 2 + 1] ?? 0);
  let text = '';
  // Chunks keep String.fromCharCode's argument count bounded.
  const CHUNK_UNITS = 4096;
  for (let start = 0; start < units.length; start += CHUNK_UNITS) text += String.fromCharCode(...units.slice(start, start + CHUNK_UNITS));
  return wellFormed(text);
}

/** Replaces lone surrogates with U+FFFD (String.prototype.toWellFormed, which ES2023 typings lack). */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
