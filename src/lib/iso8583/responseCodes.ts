/**
 * Response codes (field 39, ISO 8583:1987 Annex A, as card networks use them). `approved` says
 * whether the issuer approved the transaction; `action` says what the acquirer should do with a
 * decline: `decline` (tell the cardholder), `pickUp` (retain the card), `referral` (call the
 * issuer), `retry` (a technical failure: the same request may succeed later), `fix` (the
 * request itself is wrong).
 */

export type ResponseCodeAction = 'approve' | 'decline' | 'pickUp' | 'referral' | 'retry' | 'fix';

export interface ResponseCodeInfo {
  readonly code: string;
  readonly meaning: string;
  readonly approved: boolean;
  readonly action: ResponseCodeAction;
}

function entry(code: string, meaning: string, action: ResponseCodeAction): ResponseCodeInfo {
  return Object.freeze({ code, meaning, approved: action === 'approve', action });
}

const TABLE: readonly ResponseCodeInfo[] = [
  entry('00', 'Approved or completed successfully', 'approve'),
  entry('01', 'Refer to card issuer', 'referral'),
  entry('02', 'Refer to card issuer, special condition', 'referral'),
  entry('03', 'Invalid merchant', 'fix'),
  entry('04', 'Pick up card', 'pickUp'),
  entry('05', 'Do not honour', 'decline'),
  entry('06', 'Error', 'retry'),
  entry('07', 'Pick up card, special condition', 'pickUp'),
  entry('08', 'Honour with identification', 'approve'),
  entry('10', 'Approved for partial amount', 'approve'),
  entry('11', 'Approved (VIP)', 'approve'),
  entry('12', 'Invalid transaction', 'fix'),
  entry('13', 'Invalid amount', 'fix'),
  entry('14', 'Invalid card number (no such number)', 'decline'),
  entry('15', 'No such issuer', 'decline'),
  entry('19', 'Re-enter transaction', 'retry'),
  entry('25', 'Unable to locate record on file', 'fix'),
  entry('30', 'Format error', 'fix'),
  entry('41', 'Lost card, pick up', 'pickUp'),
  entry('43', 'Stolen card, pick up', 'pickUp'),
  entry('51', 'Not sufficient funds', 'decline'),
  entry('54', 'Expired card', 'decline'),
  entry('55', 'Incorrect personal identification number', 'decline'),
  entry('57', 'Transaction not permitted to cardholder', 'decline'),
  entry('58', 'Transaction not permitted to terminal', 'decline'),
  entry('59', 'Suspected fraud', 'decline'),
  entry('61', 'Exceeds withdrawal amount limit', 'decline'),
  entry('62', 'Restricted card', 'decline'),
  entry('63', 'Security violation', 'decline'),
  entry('65', 'Exceeds withdrawal frequency limit', 'decline'),
  entry('68', 'Response received too late', 'retry'),
  entry('75', 'Allowable number of PIN tries exceeded', 'decline'),
  entry('76', 'Invalid or unknown original transaction', 'fix'),
  entry('91', 'Issuer or switch inoperative', 'retry'),
  entry('92', 'Financial institution or intermediate network facility cannot be found for routing', 'retry'),
  entry('94', 'Duplicate transmission', 'fix'),
  entry('96', 'System malfunction', 'retry'),
];

export const ISO8583_RESPONSE_CODES: ReadonlyMap<string, ResponseCodeInfo> = new Map(TABLE.map((info) => [info.code, info]));

/** Names for the codes Tessera's issuer sends, so code reads `ResponseCode.insufficientFunds`, not '51'. */
export const ResponseCode = {
  approved: '00',
  referToIssuer: '01',
  pickUp: '04',
  doNotHonour: '05',
  approvedPartial: '10',
  invalidTransaction: '12',
  invalidAmount: '13',
  invalidCardNumber: '14',
  formatError: '30',
  insufficientFunds: '51',
  expiredCard: '54',
  incorrectPIN: '55',
  notPermittedToCardholder: '57',
  notPermittedToTerminal: '58',
  exceedsAmountLimit: '61',
  exceedsFrequencyLimit: '65',
  pinTriesExceeded: '75',
  issuerInoperative: '91',
  duplicateTransmission: '94',
  systemMalfunction: '96',
} as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/**
 * What a response code means. A code missing from the table (a network-specific one) is
 * described as unknown and treated as a decline: fail closed.
 */
export function describeResponseCode(code: string): ResponseCodeInfo {
  return ISO8583_RESPONSE_CODES.get(code) ?? { code, meaning: 'Unknown response code', approved: false, action: 'decline' };
}

export function isApprovedResponseCode(code: string): boolean {
  return describeResponseCode(code).approved;
}
