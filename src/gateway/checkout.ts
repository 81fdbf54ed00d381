import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import { formatMoney } from '../lib/money.js';
import type { AcquirerLink } from './bankLink.js';
import { buildDebit, responseCodeOf } from './bankLink.js';
import type { GatewayContext } from './context.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { businessDateOf } from './ids.js';
import { IDENTITY_LOCK_MS, OTP_SENDS_MAX, PASSWORD_ATTEMPTS_MAX } from './limits.js';
import { enqueueSMS } from './outbox.js';
import { getMerchant } from './partners.js';
import { lockPayment, nextSTAN, transition, type Payment } from './payments.js';
import { constantTimeEqual, DUMMY_PASSWORD_HASH, generateAuthorizationCode, hashAuthorizationCode, sha256, verifyPassword } from './secrets.js';

/**
 * The hosted checkout's two steps (seed 002 business flows 1 and 2):
 *  1. identity code (or phone) + online payment password → an unpredictable code, bound to this
 *     payment and amount, stored only as an HMAC, sent by SMS (SMPP) with amount and merchant name;
 *  2. the code typed back → limits reserved atomically → card-not-present 0200 to the acquirer →
 *     result recorded, webhook and SMS receipt queued in the same transaction.
 * Every step is bound to the browser session (a cookie) that passed step 1.
 */

export interface SMSSender {
  sendText(input: { from?: string; to: string; text: string }): Promise<string[]>;
}

export interface CheckoutDeps {
  readonly context: GatewayContext;
  readonly sms: SMSSender;
  readonly smsFrom: string;
  readonly acquirer: AcquirerLink;
  /** Called after a transaction queued notifications (kicks the outbox worker). */
  readonly notify: () => void;
}

export type Language = 'en' | 'zh';

function codeMessage(language: Language, code: string, amount: string, merchant: string, ttlMinutes: number): string {
  return language === 'zh'
    ? `【Tessera Pay】授权码 ${code}，向 ${merchant} 支付 ${amount}，${ttlMinutes} 分钟内有效。请勿告诉他人。`
    : `Tessera Pay: code ${code} to pay ${amount} to ${merchant}. Valid ${ttlMinutes} min. Never share it.`;
}

interface CustomerRow {
  readonly id: string;
  readonly password_hash: string;
  readonly status: string;
  readonly locked_until: Date | null;
  readonly currency: string;
  readonly per_payment_limit_minor: bigint;
}

async function findCustomer(deps: CheckoutDeps, identity: string): Promise<CustomerRow | undefined> {
  const db = deps.context.db;
  const columns = ['c.id', 'c.password_hash', 'c.status', 'c.locked_until', 'c.currency', 'c.per_payment_limit_minor'] as const;
  const byCode = await db.selectFrom('gateway.customers as c').select(columns).where('c.identity_code', '=', identity).executeTakeFirst();
  if (byCode !== undefined) return byCode;
  return db.selectFrom('gateway.customer_phones as p').innerJoin('gateway.customers as c', 'c.id', 'p.customer_id').select(columns)
    .where('p.msisdn', '=', identity.replace(/^\+/, '')).executeTakeFirst();
}

/** Step 1. Returns the phone the code went to (masked by the page). */
export async function authenticateAndSendCode(
  deps: CheckoutDeps,
  input: { checkoutToken: string; sessionToken: string; identity: string; password: string; msisdn?: string; language: Language },
): Promise<{ msisdn: string }> {
  const { context } = deps;
  const customer = await findCustomer(deps, input.identity.trim());
  const passwordOk = await verifyPassword(input.password, customer?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (customer === undefined) throw gatewayError(GatewayErrorCode.credentials, 'the identity code or the password is wrong');
  const code = generateAuthorizationCode(context.random);
  type StepOneOutcome = { kind: 'locked' | 'wrong' | 'canceled' | 'expired' } | { kind: 'sent'; payment: Payment; msisdn: string };
  const outcome = await inTransaction(context.db, async (trx): Promise<StepOneOutcome> => {
    const nowMs = context.now();
    const locked = await trx.selectFrom('gateway.customers').select(['failed_password_attempts', 'locked_until', 'status']).where('id', '=', customer.id).forUpdate().executeTakeFirstOrThrow();
    if (locked.locked_until !== null && locked.locked_until.getTime() > nowMs) return { kind: 'locked' as const };
    if (!passwordOk) {
      const failures = (locked.locked_until === null ? locked.failed_password_attempts : 0) + 1;
      const lock = failures >= PASSWORD_ATTEMPTS_MAX;
      await trx.updateTable('gateway.customers').set({ failed_password_attempts: lock ? 0 : failures, locked_until: lock ? new Date(nowMs + IDENTITY_LOCK_MS) : null })
        .where('id', '=', customer.id).execute();
      return { kind: lock ? 'locked' as const : 'wrong' as const };
    }
    await trx.updateTable('gateway.customers').set({ failed_password_attempts: 0, locked_until: null }).where('id', '=', customer.id).execute();
    if (locked.status !== 'active') return { kind: 'canceled' as const };
    const payment = await lockPayment(trx, context, { checkoutTokenHash: sha256(input.checkoutToken) });
    if (payment.status === 'expired') return { kind: 'expired' as const };
    if (payment.status !== 'created' && payment.status !== 'awaiting_code') throw gatewayError(GatewayErrorCode.paymentState, 'this payment is no longer open', { status: payment.status });
    if (payment.currency !== customer.currency) throw gatewayError(GatewayErrorCode.currency, 'your online payments are in another currency');
    if (payment.amountMinor > customer.per_payment_limit_minor) throw gatewayError(GatewayErrorCode.perPaymentLimit, 'the amount is over your per-payment limit');
    const phones = await trx.selectFrom('gateway.customer_phones').select(['msisdn', 'is_primary']).where('customer_id', '=', customer.id).execute();
    const wanted = input.msisdn === undefined || input.msisdn === '' ? phones.find((phone) => phone.is_primary)?.msisdn : input.msisdn.replace(/^\+/, '');
    if (wanted === undefined || !phones.some((phone) => phone.msisdn === wanted)) throw gatewayError(GatewayErrorCode.phoneNotRegistered, 'codes go only to a phone registered for your online payments');
    const existing = await trx.selectFrom('gateway.authorization_codes').selectAll().where('payment_id', '=', payment.id).forUpdate().executeTakeFirst();
    if (existing !== undefined) {
      if (existing.sends >= OTP_SENDS_MAX || nowMs - existing.sent_at.getTime() < context.policy.otpResendIntervalMs) {
        throw gatewayError(GatewayErrorCode.resendThrottled, 'a code was sent a moment ago; wait before asking for another', {
          retryAfterMs: Math.max(0, existing.sent_at.getTime() + context.policy.otpResendIntervalMs - nowMs),
        });
      }
      await trx.deleteFrom('gateway.authorization_codes').where('payment_id', '=', payment.id).execute();
    }
    await trx.insertInto('gateway.authorization_codes').values({
      payment_id: payment.id, customer_id: customer.id, msisdn: wanted, code_hash: hashAuthorizationCode(context.secretKey, { paymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.currency }, code),
      session_hash: sha256(input.sessionToken), amount_minor: payment.amountMinor, currency: payment.currency, attempts: 0, sends: (existing?.sends ?? 0) + 1,
      sent_at: new Date(nowMs), expires_at: new Date(nowMs + context.policy.otpTtlMs), used_at: null,
    }).execute();
    await transition(trx, context, payment, 'awaiting_code', existing === undefined ? 'code sent' : 'code resent', { customer_id: customer.id });
    return { kind: 'sent' as const, payment, msisdn: wanted };
  });
  if (outcome.kind === 'locked') throw gatewayError(GatewayErrorCode.identityLocked, 'too many wrong passwords: this identity is locked for a while');
  if (outcome.kind === 'wrong') throw gatewayError(GatewayErrorCode.credentials, 'the identity code or the password is wrong');
  if (outcome.kind === 'canceled') throw gatewayError(GatewayErrorCode.customerCanceled, 'online payment is not enabled for this identity');
  if (outcome.kind === 'expired') throw gatewayError(GatewayErrorCode.paymentExpired, 'this payment has expired');
  if (outcome.kind !== 'sent') throw gatewayError(GatewayErrorCode.paymentState, 'unexpected outcome');
  await sendCode(deps, outcome.payment, outcome.msisdn, code, input.language);
  return { msisdn: outcome.msisdn };
}

async function sendCode(deps: CheckoutDeps, payment: Payment, msisdn: string, code: string, language: Language): Promise<void> {
  const merchant = await getMerchant(deps.context, payment.merchantId);
  const text = codeMessage(language, code, formatMoney({ amountMinor: payment.amountMinor, currency: payment.currency }), merchant.name, Math.round(deps.context.policy.otpTtlMs / 60_000));
  try {
    await deps.sms.sendText({ from: deps.smsFrom, to: msisdn, text });
  } catch (error) {
    deps.context.logger.warn({ err: error, paymentId: payment.id }, 'authorization code SMS failed');
    throw gatewayError(GatewayErrorCode.smsUnavailable, 'the code could not be sent; ask for a new one');
  }
}

type CodeOutcome =
  | { kind: 'wrong'; remaining: number }
  | { kind: 'exhausted' }
  | { kind: 'expired' }
  | { kind: 'limit'; code: GatewayErrorCode }
  | { kind: 'debit'; payment: Payment; pan: string; expiry: string };

/** Step 2: checks the code, reserves the limits, debits at the bank, records the result. */
export async function confirmCode(deps: CheckoutDeps, input: { checkoutToken: string; sessionToken: string; code: string }): Promise<Payment> {
  const { context } = deps;
  const outcome: CodeOutcome = await inTransaction(context.db, async (trx) => {
    const nowMs = context.now();
    const payment = await lockPayment(trx, context, { checkoutTokenHash: sha256(input.checkoutToken) });
    if (payment.status === 'expired') return { kind: 'expired' };
    if (payment.status !== 'awaiting_code') throw gatewayError(GatewayErrorCode.paymentState, 'this payment is not waiting for a code', { status: payment.status });
    const row = await trx.selectFrom('gateway.authorization_codes').selectAll().where('payment_id', '=', payment.id).forUpdate().executeTakeFirst();
    if (row === undefined || row.used_at !== null) throw gatewayError(GatewayErrorCode.otpMissing, 'no code is waiting for this payment');
    if (!constantTimeEqual(row.session_hash, sha256(input.sessionToken))) throw gatewayError(GatewayErrorCode.session, 'this checkout was started in another browser session');
    if (nowMs >= row.expires_at.getTime()) return { kind: 'expired' };
    if (row.attempts >= context.policy.otpAttemptsMax) return { kind: 'exhausted' };
    const expected = hashAuthorizationCode(context.secretKey, { paymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.currency }, input.code.trim());
    if (row.amount_minor !== payment.amountMinor || !constantTimeEqual(row.code_hash, expected)) {
      const attempts = row.attempts + 1;
      await trx.updateTable('gateway.authorization_codes').set({ attempts }).where('payment_id', '=', payment.id).execute();
      if (attempts >= context.policy.otpAttemptsMax) {
        await transition(trx, context, payment, 'failed', 'authorization code attempts exhausted', { failure_code: GatewayErrorCode.otpExhausted });
        return { kind: 'exhausted' };
      }
      return { kind: 'wrong', remaining: context.policy.otpAttemptsMax - attempts };
    }
    await trx.updateTable('gateway.authorization_codes').set({ used_at: new Date(nowMs) }).where('payment_id', '=', payment.id).execute();
    const customer = await trx.selectFrom('gateway.customers').select(['status', 'per_payment_limit_minor', 'daily_limit_minor']).where('id', '=', row.customer_id).executeTakeFirstOrThrow();
    const fail = async (code: GatewayErrorCode, reason: string): Promise<CodeOutcome> => {
      await transition(trx, context, payment, 'failed', reason, { failure_code: code });
      return { kind: 'limit', code };
    };
    if (customer.status !== 'active') return fail(GatewayErrorCode.customerCanceled, 'customer canceled online payment');
    if (payment.amountMinor > customer.per_payment_limit_minor) return fail(GatewayErrorCode.perPaymentLimit, 'over the per-payment limit');
    // The daily limit is a counter row updated with a guard: two checkouts at once cannot both pass it.
    const businessDate = businessDateOf(nowMs);
    await trx.insertInto('gateway.daily_usage').values({ customer_id: row.customer_id, business_date: businessDate, reserved_minor: 0n })
      .onConflict((oc) => oc.columns(['customer_id', 'business_date']).doNothing()).execute();
    const reserved = await trx.updateTable('gateway.daily_usage').set({ reserved_minor: sql<bigint>`reserved_minor + ${payment.amountMinor}` })
      .where('customer_id', '=', row.customer_id).where('business_date', '=', businessDate)
      .where(sql<boolean>`reserved_minor + ${payment.amountMinor} <= ${customer.daily_limit_minor}`).executeTakeFirst();
    if (reserved.numUpdatedRows === 0n) return fail(GatewayErrorCode.dailyLimit, 'over the daily limit');
    const card = await trx.selectFrom('gateway.customer_cards').select(['id', 'pan', 'expiry']).where('customer_id', '=', row.customer_id).where('is_default', '=', true).executeTakeFirstOrThrow();
    const stan = await nextSTAN(trx);
    // Field 7 has one-second resolution and keys the bank's record: keep exactly what is sent.
    const transmittedAt = new Date(Math.floor(nowMs / 1000) * 1000);
    const authorized = await transition(trx, context, payment, 'authorized', 'authorization code verified; debit sent', {
      card_id: card.id, business_date: businessDate, stan, transmitted_at: transmittedAt,
    });
    return { kind: 'debit', payment: authorized, pan: card.pan, expiry: card.expiry };
  });
  if (outcome.kind === 'wrong') throw gatewayError(GatewayErrorCode.otpWrong, 'the code is wrong', { attemptsRemaining: outcome.remaining });
  if (outcome.kind === 'exhausted') { deps.notify(); throw gatewayError(GatewayErrorCode.otpExhausted, 'too many wrong codes: this payment is locked'); }
  if (outcome.kind === 'expired') throw gatewayError(GatewayErrorCode.otpExpired, 'the code has expired; ask for a new one');
  if (outcome.kind === 'limit') { deps.notify(); throw gatewayError(outcome.code, outcome.code === GatewayErrorCode.dailyLimit ? 'the amount is over your daily limit' : 'this payment is not allowed'); }
  return debit(deps, outcome.payment, outcome.pan, outcome.expiry);
}

async function debit(deps: CheckoutDeps, payment: Payment, pan: string, expiry: string): Promise<Payment> {
  const { context } = deps;
  const merchant = await getMerchant(context, payment.merchantId);
  const stored = await context.db.selectFrom('gateway.payments').select(['stan', 'transmitted_at', 'customer_id', 'business_date']).where('id', '=', payment.id).executeTakeFirstOrThrow();
  let result: { code: string; authorizationCode: string | undefined };
  try {
    const answer = await deps.acquirer.request(buildDebit({
      pan, expiry, amountMinor: payment.amountMinor, currency: payment.currency, stan: stored.stan ?? '', transmittedAt: stored.transmitted_at ?? new Date(0),
      terminalId: merchant.acquirerTerminalId, merchantId: merchant.acquirerMerchantId, merchantName: merchant.name, paymentId: payment.id,
    }));
    result = responseCodeOf(answer);
  } catch (error) {
    // The ISO 8583 client reversed the 0200 before this error reached us: no money moved.
    context.logger.warn({ err: error, paymentId: payment.id }, 'debit got no answer');
    result = { code: '91', authorizationCode: undefined };
  }
  const approved = result.code === '00';
  const finished = await inTransaction(context.db, async (trx) => {
    const current = await lockPayment(trx, context, { id: payment.id });
    if (!approved) {
      await trx.updateTable('gateway.daily_usage').set({ reserved_minor: sql<bigint>`greatest(reserved_minor - ${payment.amountMinor}, 0)` })
        .where('customer_id', '=', stored.customer_id ?? '').where('business_date', '=', stored.business_date ?? '').execute();
    }
    const done = await transition(trx, context, current, approved ? 'succeeded' : 'failed', `bank answered ${result.code}`, {
      bank_response_code: result.code, bank_authorization_code: result.authorizationCode ?? null,
      failure_code: approved ? null : result.code === '91' ? GatewayErrorCode.bankUnavailable : GatewayErrorCode.declined,
    });
    const phone = await trx.selectFrom('gateway.authorization_codes').select('msisdn').where('payment_id', '=', payment.id).executeTakeFirst();
    if (phone !== undefined) {
      const amount = formatMoney({ amountMinor: payment.amountMinor, currency: payment.currency });
      await enqueueSMS(trx, context, {
        to: phone.msisdn,
        text: approved ? `Tessera Pay: you paid ${amount} to ${merchant.name} (order ${payment.orderId}).` : `Tessera Pay: your payment of ${amount} to ${merchant.name} was not completed.`,
      });
    }
    return done;
  });
  deps.notify();
  return finished;
}

/** The customer gives up: the payment is canceled and the merchant told. */
export async function cancelCheckout(deps: CheckoutDeps, checkoutToken: string): Promise<Payment> {
  const payment = await inTransaction(deps.context.db, async (trx) => {
    const current = await lockPayment(trx, deps.context, { checkoutTokenHash: sha256(checkoutToken) });
    if (current.status !== 'created' && current.status !== 'awaiting_code') return current;
    return transition(trx, deps.context, current, 'canceled', 'customer canceled on the checkout page');
  });
  deps.notify();
  return payment;
}

export async function paymentByCheckoutToken(deps: CheckoutDeps, checkoutToken: string): Promise<{ payment: Payment; merchantName: string; codeSentTo: string | undefined; codeSessionHash: Uint8Array | undefined }> {
  const payment = await inTransaction(deps.context.db, (trx) => lockPayment(trx, deps.context, { checkoutTokenHash: sha256(checkoutToken) }));
  const merchant = await getMerchant(deps.context, payment.merchantId);
  const code = await deps.context.db.selectFrom('gateway.authorization_codes').select(['msisdn', 'session_hash']).where('payment_id', '=', payment.id).executeTakeFirst();
  return { payment, merchantName: merchant.name, codeSentTo: code?.msisdn, codeSessionHash: code?.session_hash };
}
