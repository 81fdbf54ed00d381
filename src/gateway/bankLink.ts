import { formatTransmissionDateTime, type ISO8583Message } from '../lib/iso8583/index.js';
import { requireCurrency } from '../lib/money.js';
import { CARD_NOT_PRESENT_ENTRY_MODE, ECOMMERCE_CONDITION_CODE, formatCardholderAuthentication } from '../bank/client.js';

/**
 * The gateway's side of the bank processing system (seed 002 "银行信息处理系统"): ISO 8583 over
 * TCP to the acquirer host. A debit is a card-not-present 0200 (docs/bank.md "Card not present"):
 * no field 55; field 22 = 812, field 25 = 59, field 48 = "OOBS" ‖ payment id (the cardholder was
 * authenticated out of band: password + SMS code). A refund is an 0200 with processing code 20
 * and field 90 naming the purchase.
 */
export interface AcquirerLink {
  request(message: ISO8583Message): Promise<ISO8583Message>;
}

export interface DebitOrder {
  readonly pan: string;
  readonly expiry: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly stan: string;
  readonly transmittedAt: Date;
  readonly terminalId: string;
  readonly merchantId: string;
  readonly merchantName: string;
  readonly paymentId: string;
}

function common(order: { amountMinor: bigint; currency: string; stan: string; transmittedAt: Date; terminalId: string; merchantId: string }): Map<number, string | Uint8Array> {
  const at = order.transmittedAt;
  const two = (value: number): string => String(value).padStart(2, '0');
  return new Map<number, string | Uint8Array>([
    [4, order.amountMinor.toString().padStart(12, '0')],
    [7, formatTransmissionDateTime(at)],
    [11, order.stan],
    [12, `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`],
    [13, `${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}`],
    [22, CARD_NOT_PRESENT_ENTRY_MODE],
    [25, ECOMMERCE_CONDITION_CODE],
    [41, order.terminalId],
    [42, order.merchantId],
    [49, String(requireCurrency(order.currency).numericCode).padStart(3, '0')],
  ]);
}

export function buildDebit(order: DebitOrder): ISO8583Message {
  const fields = common(order);
  fields.set(2, order.pan);
  fields.set(3, '000000');
  fields.set(14, order.expiry);
  fields.set(43, order.merchantName.replace(/[^ -~]/g, '?').slice(0, 40).padEnd(40, ' '));
  fields.set(48, formatCardholderAuthentication({ method: 'S', reference: order.paymentId }));
  return { mti: '0200', fields };
}

export function buildRefund(order: {
  pan: string; amountMinor: bigint; currency: string; stan: string; transmittedAt: Date; terminalId: string; merchantId: string;
  original: { stan: string; transmittedAt: Date };
}): ISO8583Message {
  const fields = common(order);
  fields.set(2, order.pan);
  fields.set(3, '200000');
  fields.set(90, `0200${order.original.stan}${formatTransmissionDateTime(order.original.transmittedAt)}${'0'.repeat(22)}`);
  return { mti: '0200', fields };
}

export function responseCodeOf(answer: ISO8583Message): { code: string; authorizationCode: string | undefined } {
  const code = answer.fields.get(39);
  const authorization = answer.fields.get(38);
  return { code: typeof code === 'string' ? code : '96', authorizationCode: typeof authorization === 'string' ? authorization : undefined };
}
