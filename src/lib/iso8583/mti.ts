import { ISO8583ErrorCode, iso8583Error } from './errors.js';

/**
 * The message type indicator (ISO 8583:1987 §4.2): four digits, read left to right as version,
 * message class, message function and transaction originator. "0100" is a 1987 authorization
 * request from an acquirer; "0110" its response.
 */

export const MTI_PATTERN = /^[0-9]{4}$/;

/** Only ISO 8583:1987 messages: the field definitions of the 1993 and 2003 editions differ. */
export const MTI_VERSION_1987 = '0';

const CLASSES: Readonly<Record<string, string>> = {
  '0': 'reserved for ISO use',
  '1': 'authorization',
  '2': 'financial',
  '3': 'file action',
  '4': 'reversal and chargeback',
  '5': 'reconciliation',
  '6': 'administrative',
  '7': 'fee collection',
  '8': 'network management',
  '9': 'reserved for ISO use',
};

const FUNCTIONS: Readonly<Record<string, string>> = {
  '0': 'request',
  '1': 'request response',
  '2': 'advice',
  '3': 'advice response',
  '4': 'notification',
  '5': 'notification acknowledgement',
  '6': 'reserved for ISO use',
  '7': 'reserved for ISO use',
  '8': 'reserved for ISO use',
  '9': 'reserved for ISO use',
};

const ORIGINS: Readonly<Record<string, string>> = {
  '0': 'acquirer',
  '1': 'acquirer repeat',
  '2': 'card issuer',
  '3': 'card issuer repeat',
  '4': 'other',
  '5': 'other repeat',
  '6': 'reserved for ISO use',
  '7': 'reserved for ISO use',
  '8': 'reserved for ISO use',
  '9': 'reserved for ISO use',
};

export interface MTIParts {
  readonly version: string;
  readonly messageClass: string;
  readonly messageFunction: string;
  readonly origin: string;
  /** Human-readable names of the last three digits, for logs and the CLI. */
  readonly className: string;
  readonly functionName: string;
  readonly originName: string;
}

/** Throws ERR_ISO8583_MTI unless `mti` is four digits with version 0 (ISO 8583:1987). */
export function checkMTI(mti: unknown): string {
  if (typeof mti !== 'string' || !MTI_PATTERN.test(mti)) {
    throw iso8583Error(ISO8583ErrorCode.mti, 'the MTI must be four decimal digits');
  }
  if (mti[0] !== MTI_VERSION_1987) {
    throw iso8583Error(ISO8583ErrorCode.mti, `MTI version ${mti[0]} is not ISO 8583:1987 (version 0)`);
  }
  return mti;
}

export function parseMTI(mti: string): MTIParts {
  checkMTI(mti);
  const version = mti.charAt(0);
  const messageClass = mti.charAt(1);
  const messageFunction = mti.charAt(2);
  const origin = mti.charAt(3);
  return {
    version,
    messageClass,
    messageFunction,
    origin,
    className: CLASSES[messageClass] ?? '',
    functionName: FUNCTIONS[messageFunction] ?? '',
    originName: ORIGINS[origin] ?? '',
  };
}

/** Requests, advices and notifications (function 0, 2, 4) are answered; responses are not. */
export function isAnswerableMTI(mti: string): boolean {
  const { messageFunction } = parseMTI(mti);
  return messageFunction === '0' || messageFunction === '2' || messageFunction === '4';
}

/** The MTI that answers `mti`: the function digit plus one (0100 → 0110, 0220 → 0230, 0800 → 0810). */
export function responseMTI(mti: string): string {
  if (!isAnswerableMTI(mti)) {
    throw iso8583Error(ISO8583ErrorCode.mti, `MTI ${mti} is not a request, advice or notification (function 0, 2 or 4)`);
  }
  return `${mti.slice(0, 2)}${Number(mti.charAt(2)) + 1}${mti.charAt(3)}`;
}
