import { decodeGSM7, decodeUCS2, encodeUCS2, wellFormed } from '../lib/sms/index.js';

/**
 * The data codings (SMPP 3.4 §5.2.19) the SMSC accepts from ESMEs and how each becomes text.
 * 0x00 is the SMSC default alphabet, which for this SMSC is GSM 7-bit, one septet per octet.
 */
export const DataCoding = {
  smscDefault: 0x00,
  ia5: 0x01,
  latin1: 0x03,
  ucs2: 0x08,
} as const;

export function isSupportedDataCoding(value: number): boolean {
  return value === DataCoding.smscDefault || value === DataCoding.ia5 || value === DataCoding.latin1 || value === DataCoding.ucs2;
}

/**
 * Text of `payload` in `dataCoding`. Throws a TesseraError (ERR_SMS_MALFORMED) for bytes the coding
 * cannot hold. The result is fit for a PostgreSQL text column: NUL and lone surrogates become U+FFFD.
 */
export function decodeContent(dataCoding: number, payload: Uint8Array): string {
  let text: string;
  switch (dataCoding) {
    case DataCoding.smscDefault:
      text = decodeGSM7(payload);
      break;
    case DataCoding.ia5:
      // IA5 (T.50) is ASCII: a septet value above 0x7F is refused the same way.
      for (const byte of payload) if (byte > 0x7f) return decodeGSM7(payload);
      text = Buffer.from(payload).toString('latin1');
      break;
    case DataCoding.latin1:
      text = Buffer.from(payload).toString('latin1');
      break;
    case DataCoding.ucs2:
      text = decodeUCS2(payload);
      break;
    default:
      // Unreachable for stored rows: submit refuses other codings.
      text = Buffer.from(payload).toString('hex');
  }
  return wellFormed(text).replace(/\0/g, '\uFFFD');
}

/** How mobile-originated text is stored: UCS-2 holds any text; delivery re-encodes it. */
export function encodeStoredText(text: string): { dataCoding: number; payload: Uint8Array } {
  return { dataCoding: DataCoding.ucs2, payload: encodeUCS2(text) };
}
