import type { Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import { AMOUNT_MINOR_MAX, requireCurrency } from '../lib/money.js';
import type { GatewayContext } from './context.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { newId } from './ids.js';
import { PAYMENT_TTL_MS, URL_CHARACTERS_MAX } from './limits.js';
import { enqueueWebhook } from './outbox.js';
import type { GatewayDatabase, PaymentStatus } from './schema.js';
import { randomToken, sha256 } from './secrets.js';
import { CHECKOUT_TOKEN_BYTES } from './limits.js';

/**
 * Payments and their state machine (docs/gateway.md "Payment states"):
 *   created → awaiting_code → authorized → succeeded | failed
 *   created | awaiting_code → expired | canceled | failed (code exhausted)
 * Every transition is a row in payment_transitions, written with the change; transitions that the
 * merchant cares about also write a webhook to the outbox in the same transaction.
 */

const ALLOWED: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  created: ['awaiting_code', 'expired', 'canceled', 'failed'],
  awaiting_code: ['awaiting_code', 'authorized', 'expired', 'canceled', 'failed'],
  authorized: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  expired: [],
  canceled: [],
};

const WEBHOOK_EVENTS: Partial<Record<PaymentStatus, string>> = {
  succeeded: 'payment.succeeded', failed: 'payment.failed', expired: 'payment.expired', canceled: 'payment.canceled',
};

export interface Payment {
  readonly id: string;
  readonly merchantId: string;
  readonly orderId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string;
  readonly status: PaymentStatus;
  readonly returnUrl: string;
  readonly notifyUrl: string;
  readonly refundedMinor: bigint;
  readonly failureCode: string | null;
  readonly bankAuthorizationCode: string | null;
  readonly expiresAt: Date;
  readonly createdAt: Date;
}

export type PaymentRow = Selectable<GatewayDatabase['gateway.payments']>;

export function paymentOf(row: PaymentRow): Payment {
  return {
    id: row.id, merchantId: row.merchant_id, orderId: row.order_id, amountMinor: row.amount_minor, currency: row.currency, description: row.description,
    status: row.status, returnUrl: row.return_url, notifyUrl: row.notify_url, refundedMinor: row.refunded_minor, failureCode: row.failure_code,
    bankAuthorizationCode: row.bank_authorization_code, expiresAt: row.expires_at, createdAt: row.created_at,
  };
}

function requireURL(value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw gatewayError(GatewayErrorCode.invalid, `${what} is not a URL`);
  }
  if (value.length > URL_CHARACTERS_MAX || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw gatewayError(GatewayErrorCode.invalid, `${what} must be an http(s) URL`);
}

export interface CreatePaymentInput {
  readonly orderId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string;
  readonly returnUrl: string;
  readonly notifyUrl: string;
}

/** Creates a payment inside the caller's transaction (the idempotency store's); returns it and its checkout token. */
export async function createPayment(trx: Transaction<GatewayDatabase>, context: GatewayContext, merchantId: string, input: CreatePaymentInput): Promise<{ payment: Payment; checkoutToken: string }> {
  if (input.amountMinor <= 0n || input.amountMinor > AMOUNT_MINOR_MAX) throw gatewayError(GatewayErrorCode.invalid, 'amount must be positive minor units');
  requireCurrency(input.currency);
  requireURL(input.returnUrl, 'returnUrl');
  requireURL(input.notifyUrl, 'notifyUrl');
  const existing = await trx.selectFrom('gateway.payments').select('id').where('merchant_id', '=', merchantId).where('order_id', '=', input.orderId).executeTakeFirst();
  if (existing !== undefined) throw gatewayError(GatewayErrorCode.conflict, 'a payment for this order exists');
  const checkoutToken = randomToken(context.random, CHECKOUT_TOKEN_BYTES);
  const nowMs = context.now();
  const row = await trx.insertInto('gateway.payments').values({
    id: newId(context.random), merchant_id: merchantId, order_id: input.orderId, amount_minor: input.amountMinor, currency: input.currency,
    description: input.description, return_url: input.returnUrl, notify_url: input.notifyUrl, status: 'created',
    checkout_token_hash: sha256(checkoutToken), customer_id: null, card_id: null, business_date: null, stan: null, transmitted_at: null,
    bank_response_code: null, bank_authorization_code: null, failure_code: null,
    expires_at: new Date(nowMs + PAYMENT_TTL_MS), created_at: new Date(nowMs), updated_at: new Date(nowMs),
  }).returningAll().executeTakeFirstOrThrow();
  await trx.insertInto('gateway.payment_transitions').values({ payment_id: row.id, from_status: null, to_status: 'created', reason: 'merchant request', at: new Date(nowMs) }).execute();
  return { payment: paymentOf(row), checkoutToken };
}

/** Moves a payment (locked by the caller) to `to`, recording why, and queues the merchant's webhook. */
export async function transition(
  trx: Transaction<GatewayDatabase>, context: GatewayContext, payment: Payment, to: PaymentStatus, reason: string,
  changes: Partial<Pick<GatewayDatabase['gateway.payments'], 'customer_id' | 'card_id' | 'business_date' | 'stan' | 'transmitted_at' | 'bank_response_code' | 'bank_authorization_code' | 'failure_code'>> = {},
): Promise<Payment> {
  if (!ALLOWED[payment.status].includes(to)) throw gatewayError(GatewayErrorCode.paymentState, `a ${payment.status} payment cannot become ${to}`, { status: payment.status });
  const nowMs = context.now();
  const row = await trx.updateTable('gateway.payments').set({ ...changes, status: to, updated_at: new Date(nowMs) })
    .where('id', '=', payment.id).where('status', '=', payment.status).returningAll().executeTakeFirst();
  if (row === undefined) throw gatewayError(GatewayErrorCode.paymentState, 'the payment changed meanwhile');
  await trx.insertInto('gateway.payment_transitions').values({ payment_id: payment.id, from_status: payment.status, to_status: to, reason, at: new Date(nowMs) }).execute();
  const updated = paymentOf(row);
  const type = WEBHOOK_EVENTS[to];
  if (type !== undefined) {
    await enqueueWebhook(trx, context, { merchantId: payment.merchantId, url: payment.notifyUrl, type, data: { payment: paymentJSON(updated) } });
  }
  return updated;
}

export function paymentJSON(payment: Payment): Record<string, unknown> {
  return {
    id: payment.id, orderId: payment.orderId, amountMinor: payment.amountMinor.toString(), currency: payment.currency, status: payment.status,
    refundedMinor: payment.refundedMinor.toString(), ...(payment.failureCode === null ? {} : { failureCode: payment.failureCode }),
  };
}

/** Reads a payment for update, expiring it first when its time is up. */
export async function lockPayment(trx: Transaction<GatewayDatabase>, context: GatewayContext, where: { id: string } | { checkoutTokenHash: Uint8Array }): Promise<Payment> {
  let query = trx.selectFrom('gateway.payments').selectAll().forUpdate();
  query = 'id' in where ? query.where('id', '=', where.id) : query.where('checkout_token_hash', '=', where.checkoutTokenHash);
  const row = await query.executeTakeFirst();
  if (row === undefined) throw gatewayError(GatewayErrorCode.notFound, 'no such payment');
  const payment = paymentOf(row);
  if ((payment.status === 'created' || payment.status === 'awaiting_code') && context.now() >= payment.expiresAt.getTime()) {
    return transition(trx, context, payment, 'expired', 'payment time limit reached');
  }
  return payment;
}

export async function getPayment(context: GatewayContext, merchantId: string, id: string): Promise<Payment> {
  const payment = await inTransaction(context.db, (trx) => lockPayment(trx, context, { id }));
  if (payment.merchantId !== merchantId) throw gatewayError(GatewayErrorCode.notFound, 'no such payment');
  return payment;
}

export async function listTransitions(context: GatewayContext, paymentId: string): Promise<{ from: string | null; to: string; reason: string; at: Date }[]> {
  const rows = await context.db.selectFrom('gateway.payment_transitions').select(['from_status', 'to_status', 'reason', 'at'])
    .where('payment_id', '=', paymentId).orderBy('id').execute();
  return rows.map((row) => ({ from: row.from_status, to: row.to_status, reason: row.reason, at: row.at }));
}

export async function nextSTAN(trx: Transaction<GatewayDatabase>): Promise<string> {
  const row = await sql<{ value: bigint }>`select nextval('gateway.stan_seq') as value`.execute(trx);
  return String(row.rows[0]?.value ?? 1n).padStart(6, '0');
}
