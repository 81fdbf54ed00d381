import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { currencyByCode } from '../lib/currencies.js';
import { toHex } from '../lib/bytes.js';
import { AMOUNT_MINOR_MAX } from '../lib/money.js';
import {
  hashAuthorizationRequest, recordAuthorization, requireTransactionKey, runAuthorization,
  type AuthorizationFacts, type AuthorizationResult, type TransactionKey,
} from './authorizationRecord.js';
import { openIssuerMasterKey } from './cards.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { placeHold, postEntry, systemAccountId } from './ledger.js';
import { ATC_MAX, ATC_WINDOW_MAX } from './limits.js';
import { ResponseCode, type DeclineReason } from './responseCodes.js';
import type { BankDatabase, CardStatus } from './schema.js';
import { authorizeCardNotPresent, type CardholderAuthentication } from './authorizeCardNotPresent.js';
import { businessDateOf, EXPIRY_PATTERN, expiryEndMs, MERCHANT_ID_PATTERN, newId, PAN_PATTERN, panHash } from './support.js';

/** What the cryptogram check receives: enough to derive the card's keys and verify its ARQC. */
export interface CardForCryptogram {
  readonly cardId: string;
  readonly pan: string;
  readonly psn: number;
  readonly expiry: string;
  /** The ATC received in field 55 (tag 9F36), which the ARQC covers. */
  readonly atc: number;
  /** The BIN's issuer master key for application cryptograms, opened from its sealed form. */
  readonly issuerMasterKey: Uint8Array;
}

/**
 * Verifies the ARQC (EMV Book 2 §8.1.2) of this request. Supplied by the ISO 8583 server, which
 * has field 55; the bank knows the card and its keys, not the wire. Must be pure and synchronous:
 * it runs inside the database transaction, which may run more than once.
 */
export type CryptogramCheck = (card: CardForCryptogram) => 'ok' | 'mismatch';

export interface AuthorizeRequest extends TransactionKey {
  readonly kind: 'preauth' | 'purchase';
  /** Field 2 (or track 2, field 35): the token PAN. */
  readonly pan: string;
  /** Field 14, YYMM. */
  readonly expiry: string;
  /** Field 4, minor units of `currency` (field 49). */
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Tag 9F36. */
  readonly atc: number;
  /** Field 42. */
  readonly merchantId: string;
  readonly cryptogramCheck: CryptogramCheck;
  /**
   * Present for a card-not-present purchase (field 22 = 812, field 25 = 59, no field 55): the
   * cardholder was authenticated out of band by an online gateway (docs/bank.md "Card not
   * present"). `atc` and `cryptogramCheck` are then ignored; authorizeCardNotPresent decides.
   */
  readonly cardNotPresent?: CardholderAuthentication;
}

export interface CardRow {
  readonly id: string;
  readonly accountId: string;
  readonly pan: string;
  readonly expiry: string;
  readonly psn: number;
  readonly status: CardStatus;
  readonly transactionLimitMinor: bigint;
  readonly dailyLimitMinor: bigint;
  readonly dailyCountMax: number;
  readonly atcHighWater: number;
  readonly accountCurrency: string;
  readonly availableMinor: bigint;
  readonly issuerMasterKeyId: string;
  readonly issuerMasterKeySealed: Uint8Array;
}

export type Decision = { readonly code: ResponseCode; readonly reason: DeclineReason } | undefined;

function decline(code: ResponseCode, reason: DeclineReason): AuthorizationResult {
  return { approved: false, responseCode: code, declineReason: reason, replayed: false };
}

/** Refusals decided from the request alone; not recorded (they carry nothing to key a record on). */
export function checkRequestFormat(request: AuthorizeRequest): AuthorizationResult | undefined {
  requireTransactionKey(request);
  if (!MERCHANT_ID_PATTERN.test(request.merchantId)) throw bankError(BankErrorCode.invalid, 'a merchant id is 15 printable characters (field 42)');
  if (!Number.isInteger(request.atc) || request.atc < 0 || request.atc > ATC_MAX) throw bankError(BankErrorCode.invalid, 'an ATC is 0 to 65535');
  if (!PAN_PATTERN.test(request.pan)) return decline(ResponseCode.invalidCardNumber, 'card-unknown');
  if (request.amountMinor <= 0n || request.amountMinor > AMOUNT_MINOR_MAX) return decline(ResponseCode.invalidAmount, 'amount-invalid');
  if (currencyByCode(request.currency)?.exponent === undefined) return decline(ResponseCode.invalidAmount, 'amount-invalid');
  if (!EXPIRY_PATTERN.test(request.expiry)) return decline(ResponseCode.expiredCard, 'expiry-mismatch');
  return undefined;
}

/**
 * Authorizes a preauthorization (0100) or a purchase (0200) for the issuer. Checks run in the
 * order a decline code is most useful and leaks least: acceptance (terminal, merchant, currency),
 * card (known, status, expiry), cryptogram, ATC, limits, funds. A verified cryptogram with a fresh
 * ATC raises the card's ATC high-water mark even when a later check declines: that ATC is spent.
 * Approval places a hold (preauth) or posts the purchase; all of it in one serializable transaction.
 */
export async function authorize(context: BankContext, request: AuthorizeRequest): Promise<AuthorizationResult> {
  if (request.cardNotPresent !== undefined) return authorizeCardNotPresent(context, request, request.cardNotPresent);
  const refused = checkRequestFormat(request);
  if (refused !== undefined) return refused;
  const requestHash = hashAuthorizationRequest({
    kind: request.kind, pan: toHex(panHash(request.pan)), expiry: request.expiry, amountMinor: request.amountMinor.toString(),
    currency: request.currency, atc: request.atc, merchantId: request.merchantId,
  });
  return runAuthorization(context, request, requestHash, async (trx) => {
    const nowMs = context.now();
    const card = await findCard(trx, request.pan);
    const facts: AuthorizationFacts = {
      id: newId(context.random), kind: request.kind, key: request, requestHash, merchantId: request.merchantId, cardId: card?.id ?? null,
      panLast4: request.pan.slice(-4), amountMinor: request.amountMinor, currency: request.currency, atc: request.atc,
      businessDate: businessDateOf(nowMs), originalAuthorizationId: null,
    };
    const declined = async (decision: NonNullable<Decision>): Promise<AuthorizationResult> =>
      recordAuthorization(trx, context, facts, { responseCode: decision.code, declineReason: decision.reason });

    const acceptance = await checkAcceptance(trx, request);
    if (acceptance !== undefined) return declined(acceptance);
    if (await reversedBeforeArrival(trx, request)) return declined({ code: ResponseCode.doNotHonour, reason: 'reversed-before-arrival' });
    if (card === undefined) return declined({ code: ResponseCode.invalidCardNumber, reason: 'card-unknown' });
    const cardDecision = checkCard(card, request, nowMs);
    if (cardDecision !== undefined) return declined(cardDecision);

    const issuerMasterKey = openIssuerMasterKey(context, card.issuerMasterKeyId, card.issuerMasterKeySealed);
    const cryptogram = request.cryptogramCheck({ cardId: card.id, pan: card.pan, psn: card.psn, expiry: card.expiry, atc: request.atc, issuerMasterKey });
    issuerMasterKey.fill(0);
    if (cryptogram !== 'ok') return declined({ code: ResponseCode.doNotHonour, reason: 'cryptogram-mismatch' });
    const atcDecision = checkATC(card.atcHighWater, request.atc);
    if (atcDecision !== undefined) return declined(atcDecision);
    await trx.updateTable('bank.cards').set({ atc_high_water: request.atc }).where('id', '=', card.id).execute();

    const limitDecision = await checkLimits(trx, card, request.amountMinor, facts.businessDate);
    if (limitDecision !== undefined) return declined(limitDecision);
    if (card.availableMinor < request.amountMinor) return declined({ code: ResponseCode.insufficientFunds, reason: 'insufficient-funds' });
    return approve(trx, context, facts, card);
  });
}

export async function approve(trx: Transaction<BankDatabase>, context: BankContext, facts: AuthorizationFacts, card: CardRow): Promise<AuthorizationResult> {
  if (facts.kind === 'preauth') {
    const holdId = newId(context.random);
    await placeHold(trx, { id: holdId, authorizationId: facts.id, accountId: card.accountId, currency: facts.currency, amountMinor: facts.amountMinor });
    return recordAuthorization(trx, context, facts, { responseCode: ResponseCode.approved, holdId });
  }
  const clearing = await systemAccountId(trx, 'issuer_clearing', facts.currency);
  const entryId = await postEntry(trx, context.random, {
    kind: 'purchase', authorizationId: facts.id, merchantId: facts.merchantId, businessDate: facts.businessDate,
    description: `purchase at ${facts.merchantId.trim()}`,
    postings: [
      { accountId: card.accountId, currency: facts.currency, amountMinor: -facts.amountMinor },
      { accountId: clearing, currency: facts.currency, amountMinor: facts.amountMinor },
    ],
  });
  return recordAuthorization(trx, context, facts, { responseCode: ResponseCode.approved, entryId });
}

export async function findCard(trx: Transaction<BankDatabase>, pan: string): Promise<CardRow | undefined> {
  const row = await trx.selectFrom('bank.cards as c')
    .innerJoin('bank.accounts as a', 'a.id', 'c.account_id')
    .innerJoin('bank.bin_ranges as b', 'b.prefix', 'c.bin_prefix')
    .innerJoin('bank.issuer_master_keys as k', 'k.id', 'b.issuer_master_key_id')
    .select([
      'c.id', 'c.account_id', 'c.pan', 'c.expiry', 'c.psn', 'c.status', 'c.transaction_limit_minor', 'c.daily_limit_minor', 'c.daily_count_max',
      'c.atc_high_water', 'a.currency', 'a.available_balance_minor', 'k.id as key_id', 'k.key_sealed',
    ])
    .where('c.pan_hash', '=', panHash(pan))
    .executeTakeFirst();
  // The hash finds the row; the stored token PAN must then match exactly.
  if (row === undefined || row.pan !== pan) return undefined;
  return {
    id: row.id, accountId: row.account_id, pan: row.pan, expiry: row.expiry, psn: row.psn, status: row.status,
    transactionLimitMinor: row.transaction_limit_minor, dailyLimitMinor: row.daily_limit_minor, dailyCountMax: row.daily_count_max,
    atcHighWater: row.atc_high_water, accountCurrency: row.currency, availableMinor: row.available_balance_minor,
    issuerMasterKeyId: row.key_id, issuerMasterKeySealed: row.key_sealed,
  };
}

/** The acquirer's side: a known terminal of this merchant, and a settlement account in this currency. */
export async function checkAcceptance(trx: Transaction<BankDatabase>, request: AuthorizeRequest): Promise<Decision> {
  const terminal = await trx.selectFrom('bank.terminals').select('merchant_id').where('id', '=', request.terminalId).executeTakeFirst();
  if (terminal === undefined) return { code: ResponseCode.invalidMerchant, reason: 'merchant-unknown' };
  if (terminal.merchant_id !== request.merchantId) return { code: ResponseCode.invalidMerchant, reason: 'terminal-merchant-mismatch' };
  const account = await trx.selectFrom('bank.merchant_accounts').select('account_id')
    .where('merchant_id', '=', request.merchantId).where('currency', '=', request.currency).executeTakeFirst();
  if (account === undefined) return { code: ResponseCode.notPermittedToTerminal, reason: 'currency-not-accepted' };
  return undefined;
}

/** A reversal that arrived before its original (a timeout, then a late request): the original must not take money. */
export async function reversedBeforeArrival(trx: Transaction<BankDatabase>, key: TransactionKey): Promise<boolean> {
  const row = await trx.selectFrom('bank.reversals').select('stan')
    .where('terminal_id', '=', key.terminalId).where('stan', '=', key.stan).where('transmitted_at', '=', key.transmittedAt).executeTakeFirst();
  return row !== undefined;
}

const STATUS_DECISIONS: Readonly<Record<Exclude<CardStatus, 'active'>, NonNullable<Decision>>> = {
  blocked: { code: ResponseCode.restrictedCard, reason: 'card-blocked' },
  lost: { code: ResponseCode.lostCard, reason: 'card-lost' },
  stolen: { code: ResponseCode.stolenCard, reason: 'card-stolen' },
};

export function checkCard(card: CardRow, request: AuthorizeRequest, nowMs: number): Decision {
  if (card.status !== 'active') return STATUS_DECISIONS[card.status];
  if (request.expiry !== card.expiry) return { code: ResponseCode.expiredCard, reason: 'expiry-mismatch' };
  if (nowMs > expiryEndMs(card.expiry)) return { code: ResponseCode.expiredCard, reason: 'card-expired' };
  if (request.currency !== card.accountCurrency) return { code: ResponseCode.notPermittedToCardholder, reason: 'currency-mismatch' };
  return undefined;
}

/**
 * EMV leaves ATC policy to the issuer: an ATC at or below the highest one seen is a replay; one
 * too far above it means counters that cannot be this card's (or a cryptogram made for later).
 */
export function checkATC(highWater: number, received: number): Decision {
  if (received <= highWater) return { code: ResponseCode.doNotHonour, reason: 'atc-replayed' };
  if (received - highWater > ATC_WINDOW_MAX) return { code: ResponseCode.doNotHonour, reason: 'atc-outside-window' };
  return undefined;
}

export async function checkLimits(trx: Transaction<BankDatabase>, card: CardRow, amountMinor: bigint, businessDate: string): Promise<Decision> {
  if (amountMinor > card.transactionLimitMinor) return { code: ResponseCode.exceedsAmountLimit, reason: 'transaction-limit' };
  const today = await trx.selectFrom('bank.authorizations')
    .select([sql<bigint>`count(*)`.as('count'), sql<bigint>`coalesce(sum(amount_minor), 0)::bigint`.as('total')])
    .where('card_id', '=', card.id).where('business_date', '=', businessDate).where('response_code', '=', ResponseCode.approved)
    .where('kind', 'in', ['preauth', 'purchase']).where('reversed_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (today.total + amountMinor > card.dailyLimitMinor) return { code: ResponseCode.exceedsAmountLimit, reason: 'daily-limit' };
  if (today.count >= BigInt(card.dailyCountMax)) return { code: ResponseCode.exceedsFrequencyLimit, reason: 'daily-count' };
  return undefined;
}
