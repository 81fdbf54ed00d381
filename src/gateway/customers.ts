import type { Transaction } from 'kysely';
import { inTransaction, isUniqueViolation } from '../infra/db/index.js';
import { formatMoney, requireCurrency } from '../lib/money.js';
import { newId } from './ids.js';
import type { GatewayContext } from './context.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { CARDS_PER_PHONE_MAX, PASSWORD_CHARACTERS_MAX, PASSWORD_CHARACTERS_MIN, PHONES_PER_CUSTOMER_MAX } from './limits.js';
import { enqueueSMS } from './outbox.js';
import type { GatewayDatabase } from './schema.js';
import { hashPassword } from './secrets.js';

/**
 * Customer enrolment, pushed by the issuing bank (seed 002 "客户信息的初始化登记"): an online
 * identity code, an online payment password (not the bank PIN; changeable), one or more phones,
 * cards linked to them (one phone, many cards), per-payment and daily limits, enable or cancel.
 * Every change is confirmed to the customer by SMS through the outbox.
 */

export const IDENTITY_CODE_PATTERN = /^[A-Za-z0-9_.-]{4,32}$/;
export const MSISDN_PATTERN = /^[0-9]{5,15}$/;

export interface EnrolCustomerInput {
  /** The customer's online identity code: a phone number, an account number, or a chosen code; assigned by the platform when absent. */
  readonly identityCode?: string;
  readonly password: string;
  readonly phones: readonly string[];
  readonly cards: readonly { pan: string; expiry: string }[];
  readonly perPaymentLimitMinor: bigint;
  readonly dailyLimitMinor: bigint;
  readonly currency: string;
}

function requirePassword(password: string): void {
  if (password.length < PASSWORD_CHARACTERS_MIN || password.length > PASSWORD_CHARACTERS_MAX) {
    throw gatewayError(GatewayErrorCode.invalid, `an online payment password has ${PASSWORD_CHARACTERS_MIN} to ${PASSWORD_CHARACTERS_MAX} characters`);
  }
  if (/^[0-9]{4,12}$/.test(password)) throw gatewayError(GatewayErrorCode.invalid, 'the online payment password must not look like a bank PIN (digits only)');
}

function requireLimits(perPayment: bigint, daily: bigint): void {
  if (perPayment <= 0n || daily <= 0n || perPayment > daily) throw gatewayError(GatewayErrorCode.invalid, 'limits are positive and the per-payment limit is at most the daily limit');
}

export async function enrolCustomer(context: GatewayContext, input: EnrolCustomerInput): Promise<{ customerId: string; identityCode: string }> {
  const prepared = await prepareEnrolment(context, input);
  try {
    return await inTransaction(context.db, (trx) => insertEnrolment(trx, context, prepared));
  } catch (error) {
    throw mapEnrolmentConflict(error);
  }
}

export interface PreparedEnrolment {
  readonly input: EnrolCustomerInput;
  readonly identityCode: string;
  readonly passwordHash: string;
}

/** Validates and hashes the password (slow: scrypt), outside any transaction. */
export async function prepareEnrolment(context: GatewayContext, input: EnrolCustomerInput): Promise<PreparedEnrolment> {
  requirePassword(input.password);
  requireLimits(input.perPaymentLimitMinor, input.dailyLimitMinor);
  requireCurrency(input.currency);
  if (input.phones.length < 1 || input.phones.length > PHONES_PER_CUSTOMER_MAX) throw gatewayError(GatewayErrorCode.invalid, `1 to ${PHONES_PER_CUSTOMER_MAX} phones`);
  if (input.cards.length < 1 || input.cards.length > CARDS_PER_PHONE_MAX) throw gatewayError(GatewayErrorCode.invalid, `1 to ${CARDS_PER_PHONE_MAX} cards`);
  for (const phone of input.phones) if (!MSISDN_PATTERN.test(phone)) throw gatewayError(GatewayErrorCode.invalid, 'a phone is an MSISDN of 5-15 digits');
  for (const card of input.cards) {
    if (!/^[0-9]{12,19}$/.test(card.pan) || !/^[0-9]{2}(0[1-9]|1[0-2])$/.test(card.expiry)) throw gatewayError(GatewayErrorCode.invalid, 'a card is a PAN (12-19 digits) and an expiry YYMM');
  }
  const identityCode = input.identityCode ?? `T${[...context.random.bytes(9)].map((byte) => String(byte % 10)).join('')}`;
  if (!IDENTITY_CODE_PATTERN.test(identityCode)) throw gatewayError(GatewayErrorCode.invalid, 'an identity code is 4-32 letters, digits, _ . -');
  return { input, identityCode, passwordHash: await hashPassword(input.password, context.random) };
}

export function mapEnrolmentConflict(error: unknown): unknown {
  return isUniqueViolation(error) ? gatewayError(GatewayErrorCode.conflict, 'that identity code, phone or card is already enrolled') : error;
}

/** Writes a prepared enrolment and its SMS confirmation in the caller's transaction. */
export async function insertEnrolment(trx: Transaction<GatewayDatabase>, context: GatewayContext, prepared: PreparedEnrolment): Promise<{ customerId: string; identityCode: string }> {
  const { input, identityCode, passwordHash } = prepared;
  const customerId = newId(context.random);
  await trx.insertInto('gateway.customers').values({
    id: customerId, identity_code: identityCode, password_hash: passwordHash, status: 'active', currency: input.currency,
    per_payment_limit_minor: input.perPaymentLimitMinor, daily_limit_minor: input.dailyLimitMinor, failed_password_attempts: 0, locked_until: null,
  }).execute();
  for (const [index, msisdn] of input.phones.entries()) {
    await trx.insertInto('gateway.customer_phones').values({ msisdn, customer_id: customerId, is_primary: index === 0 }).execute();
  }
  for (const [index, card] of input.cards.entries()) {
    await trx.insertInto('gateway.customer_cards').values({
      id: newId(context.random), customer_id: customerId, pan: card.pan, pan_last4: card.pan.slice(-4), expiry: card.expiry, is_default: index === 0,
    }).execute();
  }
  await confirm(trx, context, customerId, `Tessera Pay: online payment is enabled for ${identityCode}. Limits ${formatMoney({ amountMinor: input.perPaymentLimitMinor, currency: input.currency })} per payment, ${formatMoney({ amountMinor: input.dailyLimitMinor, currency: input.currency })} per day.`);
  return { customerId, identityCode };
}

async function confirm(trx: Transaction<GatewayDatabase>, context: GatewayContext, customerId: string, text: string): Promise<void> {
  const phone = await trx.selectFrom('gateway.customer_phones').select('msisdn').where('customer_id', '=', customerId).where('is_primary', '=', true).executeTakeFirst();
  if (phone !== undefined) await enqueueSMS(trx, context, { to: phone.msisdn, text });
}

async function requireCustomer(trx: Transaction<GatewayDatabase>, identityCode: string): Promise<{ id: string }> {
  const row = await trx.selectFrom('gateway.customers').select('id').where('identity_code', '=', identityCode).forUpdate().executeTakeFirst();
  if (row === undefined) throw gatewayError(GatewayErrorCode.notFound, 'no such customer');
  return row;
}

export async function changePassword(context: GatewayContext, identityCode: string, newPassword: string): Promise<void> {
  requirePassword(newPassword);
  const hash = await hashPassword(newPassword, context.random);
  await inTransaction(context.db, async (trx) => {
    const customer = await requireCustomer(trx, identityCode);
    await trx.updateTable('gateway.customers').set({ password_hash: hash, failed_password_attempts: 0, locked_until: null }).where('id', '=', customer.id).execute();
    await confirm(trx, context, customer.id, 'Tessera Pay: your online payment password was changed. If this was not you, call your bank.');
  });
}

export async function setLimits(context: GatewayContext, identityCode: string, limits: { perPaymentLimitMinor: bigint; dailyLimitMinor: bigint }): Promise<void> {
  requireLimits(limits.perPaymentLimitMinor, limits.dailyLimitMinor);
  await inTransaction(context.db, async (trx) => {
    const customer = await requireCustomer(trx, identityCode);
    await trx.updateTable('gateway.customers').set({ per_payment_limit_minor: limits.perPaymentLimitMinor, daily_limit_minor: limits.dailyLimitMinor }).where('id', '=', customer.id).execute();
    await confirm(trx, context, customer.id, `Tessera Pay: your limits are now ${limits.perPaymentLimitMinor} per payment and ${limits.dailyLimitMinor} per day (minor units).`);
  });
}

export async function setCustomerStatus(context: GatewayContext, identityCode: string, status: 'active' | 'canceled'): Promise<void> {
  await inTransaction(context.db, async (trx) => {
    const customer = await requireCustomer(trx, identityCode);
    await trx.updateTable('gateway.customers').set({ status }).where('id', '=', customer.id).execute();
    await confirm(trx, context, customer.id, status === 'active' ? 'Tessera Pay: online payment is enabled.' : 'Tessera Pay: online payment is canceled.');
  });
}

export async function addPhone(context: GatewayContext, identityCode: string, msisdn: string): Promise<void> {
  if (!MSISDN_PATTERN.test(msisdn)) throw gatewayError(GatewayErrorCode.invalid, 'a phone is an MSISDN of 5-15 digits');
  try {
    await inTransaction(context.db, async (trx) => {
      const customer = await requireCustomer(trx, identityCode);
      const count = await trx.selectFrom('gateway.customer_phones').select((eb) => eb.fn.countAll<bigint>().as('n')).where('customer_id', '=', customer.id).executeTakeFirstOrThrow();
      if (count.n >= BigInt(PHONES_PER_CUSTOMER_MAX)) throw gatewayError(GatewayErrorCode.invalid, `at most ${PHONES_PER_CUSTOMER_MAX} phones`);
      await trx.insertInto('gateway.customer_phones').values({ msisdn, customer_id: customer.id, is_primary: false }).execute();
      await confirm(trx, context, customer.id, `Tessera Pay: phone ...${msisdn.slice(-4)} can now receive your authorization codes.`);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw gatewayError(GatewayErrorCode.conflict, 'that phone is already enrolled');
    throw error;
  }
}

export async function addCard(context: GatewayContext, identityCode: string, card: { pan: string; expiry: string; makeDefault?: boolean }): Promise<void> {
  if (!/^[0-9]{12,19}$/.test(card.pan) || !/^[0-9]{2}(0[1-9]|1[0-2])$/.test(card.expiry)) throw gatewayError(GatewayErrorCode.invalid, 'a card is a PAN (12-19 digits) and an expiry YYMM');
  try {
    await inTransaction(context.db, async (trx) => {
      const customer = await requireCustomer(trx, identityCode);
      const count = await trx.selectFrom('gateway.customer_cards').select((eb) => eb.fn.countAll<bigint>().as('n')).where('customer_id', '=', customer.id).executeTakeFirstOrThrow();
      if (count.n >= BigInt(CARDS_PER_PHONE_MAX)) throw gatewayError(GatewayErrorCode.invalid, `at most ${CARDS_PER_PHONE_MAX} cards`);
      if (card.makeDefault === true) await trx.updateTable('gateway.customer_cards').set({ is_default: false }).where('customer_id', '=', customer.id).execute();
      await trx.insertInto('gateway.customer_cards').values({
        id: newId(context.random), customer_id: customer.id, pan: card.pan, pan_last4: card.pan.slice(-4), expiry: card.expiry, is_default: card.makeDefault === true || count.n === 0n,
      }).execute();
      await confirm(trx, context, customer.id, `Tessera Pay: card ...${card.pan.slice(-4)} is linked to your online payments.`);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw gatewayError(GatewayErrorCode.conflict, 'that card is already enrolled');
    throw error;
  }
}
