import { TesseraError } from '../errors.js';

/** Stable codes of the SMS codecs (public; messages are not). */
export const SmsErrorCode = {
  /** Bytes that are not a valid encoding: a septet above 0x7F, odd-length UCS-2, a broken user data header. */
  malformed: 'ERR_SMS_MALFORMED',
  /** Text that the requested alphabet cannot carry (a Chinese character in GSM 7-bit). */
  unencodable: 'ERR_SMS_UNENCODABLE',
  /** Text too long to send even as a concatenated message. */
  limit: 'ERR_SMS_LIMIT',
} as const;
export type SmsErrorCode = (typeof SmsErrorCode)[keyof typeof SmsErrorCode];

export function smsError(code: SmsErrorCode, message: string): TesseraError {
  return new TesseraError(code, message);
}
