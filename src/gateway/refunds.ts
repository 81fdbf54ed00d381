import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import type { AcquirerLink } from './bankLink.js';
import { buildRefund, responseCodeOf } from './bankLink.js';
import type { GatewayContext } from './context.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { newId } from './ids.js';
import { enqueueWebhook } from './outbox.js';
import { getMerchant } from './partners.js';
import { lockPayment, nextSTAN } from './payments.js';
import type { GatewayDatabase } from './schema.js';

export interface Refund {
  readonly id: string;
  readonly paymentId: string;
  readonly amountMinor: bigint;
  readonly status: string;
}

/** Records a pending refund and reserves its amount (inside the idempotency transaction). */
export async function recordRefund(trx: Transaction<GatewayDatabase>, context: GatewayContext, merchantId: string, paymentId: string, amountMinor: bigint): Promise<Refund> {
  const payment = await lockPayment(trx, context, { id: paymentId });
  if (payment.merchantId !== merchantId) throw gatewayError(GatewayErrorCode.notFound, 'no such payment');
  if (payment.status !== 'succeeded') throw gatewayError(GatewayErrorCode.paymentState, 'only a succeeded payment can be refunded', { status: payment.status });
  if (amountMinor <= 0n || payment.refundedMinor + amountMinor > payment.amountMinor) throw gatewayError(GatewayErrorCode.refund, 'the refund exceeds what is left of the payment');
  const id = newId(context.random);
  const nowMs = context.now();
  await trx.updateTable('gateway.payments').set({ refunded_minor: sql<bigint>`refunded_minor + ${amountMinor}` }).where('id', '=', paymentId).execute();
  await trx.insertInto('gateway.refunds').values({
    id, payment_id: paymentId, amount_minor: amountMinor, status: 'pending', stan: await nextSTAN(trx),
    transmitted_at: new Date(Math.floor(nowMs / 1000) * 1000), bank_response_code: null, created_at: new Date(nowMs),
  }).execute();
  return { id, paymentId, amountMinor, status: 'pending' };
}

/** Sends a pending refund to the bank (0200, processing code 20) and records the answer. */
export async function executeRefund(context: GatewayContext, acquirer: AcquirerLink, refundId: string): Promise<Refund> {
  const row = await context.db.selectFrom('gateway.refunds as r').innerJoin('gateway.payments as p', 'p.id', 'r.payment_id')
    .innerJoin('gateway.customer_cards as c', 'c.id', 'p.card_id')
    .select(['r.id', 'r.payment_id', 'r.amount_minor', 'r.status', 'r.stan', 'r.transmitted_at', 'p.stan as original_stan', 'p.transmitted_at as original_at', 'p.currency', 'p.merchant_id', 'p.notify_url', 'c.pan'])
    .where('r.id', '=', refundId).executeTakeFirstOrThrow();
  if (row.status !== 'pending') return { id: row.id, paymentId: row.payment_id, amountMinor: row.amount_minor, status: row.status };
  const merchant = await getMerchant(context, row.merchant_id);
  let code = '91';
  try {
    const answer = await acquirer.request(buildRefund({
      pan: row.pan, amountMinor: row.amount_minor, currency: row.currency, stan: row.stan, transmittedAt: row.transmitted_at,
      terminalId: merchant.acquirerTerminalId, merchantId: merchant.acquirerMerchantId,
      original: { stan: row.original_stan ?? '', transmittedAt: row.original_at ?? new Date(0) },
    }));
    code = responseCodeOf(answer).code;
  } catch (error) {
    context.logger.warn({ err: error, refundId }, 'refund got no answer');
  }
  const status = code === '00' ? 'succeeded' : 'failed';
  await inTransaction(context.db, async (trx) => {
    const updated = await trx.updateTable('gateway.refunds').set({ status, bank_response_code: code }).where('id', '=', refundId).where('status', '=', 'pending').executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return;
    if (status === 'failed') {
      await trx.updateTable('gateway.payments').set({ refunded_minor: sql<bigint>`refunded_minor - ${row.amount_minor}` }).where('id', '=', row.payment_id).execute();
    }
    await enqueueWebhook(trx, context, {
      merchantId: row.merchant_id, url: row.notify_url, type: `refund.${status}`,
      data: { refund: { id: row.id, paymentId: row.payment_id, amountMinor: row.amount_minor.toString(), status } },
    });
  });
  return { id: row.id, paymentId: row.payment_id, amountMinor: row.amount_minor, status };
}

export async function getRefund(context: GatewayContext, id: string): Promise<Refund> {
  const row = await context.db.selectFrom('gateway.refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return { id: row.id, paymentId: row.payment_id, amountMinor: row.amount_minor, status: row.status };
}
