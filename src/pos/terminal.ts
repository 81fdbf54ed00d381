import { isTesseraError, TesseraError } from '../lib/errors.js';
import { describeResponseCode, formatTransmissionDateTime, isApprovedResponseCode, type ISO8583Message } from '../lib/iso8583/index.js';
import { requireCurrencyByNumericCode } from '../lib/money.js';
import { PosErrorCode } from './errors.js';
import { runContactlessKernel, type CardData, type ContactlessLink, type TerminalTransaction } from './kernel.js';

/**
 * A merchant terminal: runs the contactless kernel, sends the online request to the acquirer as an
 * ISO 8583 0200 with the chip data in field 55, and prints a receipt. The acquirer link is any
 * ISO 8583 requester (the bank's ISO8583Client over TCP, composed by the CLI); a request that times
 * out is reversed by that client before the terminal hears of it.
 */

export interface AcquirerLink {
  request(message: ISO8583Message): Promise<ISO8583Message>;
  nextSTAN(): string;
}

export interface TerminalIdentity {
  /** Field 41, 8 characters. */
  readonly terminalId: string;
  /** Field 42, 15 characters. */
  readonly merchantId: string;
  readonly merchantName: string;
  readonly countryNumeric: number;
}

export interface PaymentRequest {
  readonly amountMinor: bigint;
  readonly currencyNumeric: number;
  readonly at: Date;
  readonly unpredictableNumber: Uint8Array;
}

export type PaymentResult =
  | { readonly kind: 'approved' | 'declined'; readonly responseCode: string; readonly responseText: string; readonly receipt: Receipt }
  | { readonly kind: 'see-phone' }
  | { readonly kind: 'not-completed'; readonly reason: string };

export interface Receipt {
  readonly merchantName: string;
  readonly terminalId: string;
  readonly merchantId: string;
  readonly at: string;
  readonly amount: string;
  readonly maskedPAN: string;
  readonly applicationLabel: string;
  readonly aid: string;
  readonly atc: string;
  readonly cryptogram: string;
  readonly stan: string;
  readonly authorizationCode: string | undefined;
  readonly responseCode: string;
  readonly result: string;
}

export const TERMINAL_ID_LENGTH = 8;
export const MERCHANT_ID_LENGTH = 15;
/** Field 22: PAN entry by contactless chip ('07'), PIN entry capability ('1'). */
export const POS_ENTRY_MODE_CONTACTLESS = '071';

function two(value: number): string {
  return String(value).padStart(2, '0');
}

export function maskPAN(pan: string): string {
  return `${'*'.repeat(Math.max(0, pan.length - 4))}${pan.slice(-4)}`;
}

function formatAmount(amountMinor: bigint, currencyNumeric: number): string {
  const currency = requireCurrencyByNumericCode(currencyNumeric);
  const scale = 10n ** BigInt(currency.exponent);
  const whole = amountMinor / scale;
  const fraction = currency.exponent === 0 ? '' : `.${(amountMinor % scale).toString().padStart(currency.exponent, '0')}`;
  return `${currency.code} ${whole.toString()}${fraction}`;
}

/** The 0200 for a kernel's online request. */
export function buildFinancialRequest(card: CardData, iccData: Uint8Array, payment: PaymentRequest, identity: TerminalIdentity, stan: string): ISO8583Message {
  const at = payment.at;
  return {
    mti: '0200',
    fields: new Map<number, string | Uint8Array>([
      [2, card.pan],
      [3, '000000'],
      [4, payment.amountMinor.toString().padStart(12, '0')],
      [7, formatTransmissionDateTime(at)],
      [11, stan],
      [12, `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`],
      [13, `${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}`],
      [14, card.expiry.slice(0, 4)],
      [22, POS_ENTRY_MODE_CONTACTLESS],
      [23, card.panSequenceNumber.padStart(3, '0')],
      [25, '00'],
      [35, card.track2],
      [41, identity.terminalId],
      [42, identity.merchantId],
      [49, String(payment.currencyNumeric).padStart(3, '0')],
      [55, iccData],
    ]),
  };
}

function checkIdentity(identity: TerminalIdentity): void {
  if (identity.terminalId.length !== TERMINAL_ID_LENGTH || !/^[ -~]+$/.test(identity.terminalId)) {
    throw new TesseraError(PosErrorCode.input, `a terminal id is ${TERMINAL_ID_LENGTH} printable characters`);
  }
  if (identity.merchantId.length !== MERCHANT_ID_LENGTH || !/^[ -~]+$/.test(identity.merchantId)) {
    throw new TesseraError(PosErrorCode.input, `a merchant id is ${MERCHANT_ID_LENGTH} printable characters`);
  }
}

/** One payment: tap, online authorization, receipt. */
export async function pay(link: ContactlessLink, acquirer: AcquirerLink, identity: TerminalIdentity, payment: PaymentRequest): Promise<PaymentResult> {
  checkIdentity(identity);
  if (payment.amountMinor <= 0n || payment.amountMinor > 999_999_999_999n) throw new TesseraError(PosErrorCode.input, 'the amount is 1 to 999 999 999 999 minor units');
  requireCurrencyByNumericCode(payment.currencyNumeric);
  const transaction: TerminalTransaction = { ...payment, countryNumeric: identity.countryNumeric };
  const outcome = await runContactlessKernel(link, transaction);
  if (outcome.kind === 'see-phone') return outcome;
  if (outcome.kind !== 'online-request') return { kind: 'not-completed', reason: outcome.reason };
  const stan = acquirer.nextSTAN();
  const request = buildFinancialRequest(outcome.card, outcome.iccData, payment, identity, stan);
  let answer: ISO8583Message;
  try {
    answer = await acquirer.request(request);
  } catch (error) {
    throw new TesseraError(PosErrorCode.acquirer, `the acquirer did not answer (${isTesseraError(error) ? error.code : 'failure'}); the request was reversed`, { cause: error });
  }
  const responseCode = typeof answer.fields.get(39) === 'string' ? String(answer.fields.get(39)) : '96';
  const approved = isApprovedResponseCode(responseCode);
  const authorizationCode = answer.fields.get(38);
  const responseText = describeResponseCode(responseCode).meaning;
  const at = payment.at;
  const receipt: Receipt = {
    merchantName: identity.merchantName,
    terminalId: identity.terminalId,
    merchantId: identity.merchantId,
    at: `${at.getUTCFullYear()}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())} ${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} UTC`,
    amount: formatAmount(payment.amountMinor, payment.currencyNumeric),
    maskedPAN: maskPAN(outcome.card.pan),
    applicationLabel: outcome.card.label,
    aid: outcome.card.aid,
    atc: outcome.card.atc,
    cryptogram: outcome.card.cryptogram,
    stan,
    authorizationCode: typeof authorizationCode === 'string' ? authorizationCode : undefined,
    responseCode,
    result: approved ? 'APPROVED' : `DECLINED (${responseCode} ${responseText})`,
  };
  return { kind: approved ? 'approved' : 'declined', responseCode, responseText, receipt };
}

/** The receipt as the terminal prints it. */
export function formatReceipt(receipt: Receipt): string {
  const lines: [string, string][] = [
    ['Merchant', receipt.merchantName],
    ['Merchant id', receipt.merchantId],
    ['Terminal', receipt.terminalId],
    ['Date', receipt.at],
    ['Card', `${receipt.applicationLabel} ${receipt.maskedPAN} (contactless)`],
    ['AID', receipt.aid],
    ['ATC', receipt.atc],
    ['ARQC', receipt.cryptogram],
    ['STAN', receipt.stan],
    ['Amount', receipt.amount],
    ['Auth code', receipt.authorizationCode ?? '-'],
    ['Result', receipt.result],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
