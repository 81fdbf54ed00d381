import assert from 'node:assert/strict';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction, isUniqueViolation } from '../infra/db/index.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { postEntry, systemAccountId, type PostingInput } from './ledger.js';
import { CLEARING_ENTRIES_MAX, CLEARING_MERCHANTS_PER_ENTRY_MAX } from './limits.js';
import type { BankDatabase } from './schema.js';
import { businessDateOf } from './support.js';

export interface MerchantSettlement {
  readonly merchantId: string;
  readonly currency: string;
  /** Positive: the merchant is credited; negative: refunds and reversals exceeded its sales. */
  readonly netMinor: bigint;
}

export interface ClearingResult {
  readonly businessDate: string;
  /** True when this business date had already been cleared: the stored outcome is reported, nothing moves. */
  readonly replayed: boolean;
  readonly entriesCleared: number;
  readonly clearingEntryIds: readonly string[];
  readonly settlements: readonly MerchantSettlement[];
}

interface Clearable {
  readonly entryId: string;
  readonly merchantId: string;
  readonly currency: string;
  /** What the entry put into issuer clearing (negative for refunds and reversals). */
  readonly issuerClearingMinor: bigint;
}

const BUSINESS_DATE_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/**
 * End-of-day clearing for `businessDate`: every purchase, capture, refund and reversal up to that
 * date not yet cleared moves, netted per merchant, from issuer clearing through acquirer clearing
 * to the merchant's settlement account — one balanced entry per currency. The entries are marked
 * cleared. Idempotent per business date: a second run reports the first one's result.
 */
export async function runClearing(context: BankContext, businessDate: string): Promise<ClearingResult> {
  if (!BUSINESS_DATE_PATTERN.test(businessDate) || Number.isNaN(Date.parse(`${businessDate}T00:00:00Z`))) {
    throw bankError(BankErrorCode.invalid, 'a business date is YYYY-MM-DD');
  }
  if (businessDate > businessDateOf(context.now())) throw bankError(BankErrorCode.invalid, 'a business date in the future cannot be cleared');
  const attempt = (): Promise<ClearingResult> => inTransaction(context.db, async (trx) => {
    const batch = await trx.selectFrom('bank.clearing_batches').selectAll().where('business_date', '=', businessDate).executeTakeFirst();
    if (batch !== undefined) return summary(trx, businessDate, batch.entries_cleared, true);
    const clearable = await findClearable(trx, businessDate);
    await trx.insertInto('bank.clearing_batches').values({ business_date: businessDate, entries_cleared: clearable.length }).execute();
    const byCurrency = new Map<string, Clearable[]>();
    for (const entry of clearable) byCurrency.set(entry.currency, [...(byCurrency.get(entry.currency) ?? []), entry]);
    for (const [currency, entries] of [...byCurrency].sort(([a], [b]) => a.localeCompare(b))) {
      const clearingEntryId = await postClearingEntry(trx, context, businessDate, currency, entries);
      const marks = entries.map((entry) => ({ entry_id: entry.entryId, business_date: businessDate, clearing_entry_id: clearingEntryId }));
      for (let start = 0; start < marks.length; start += 1000) {
        await trx.insertInto('bank.entry_clearings').values(marks.slice(start, start + 1000)).execute();
      }
    }
    return summary(trx, businessDate, clearable.length, false);
  });
  try {
    return await attempt();
  } catch (error) {
    // Two runs for one date: the loser meets the batch's primary key, runs again and reports the winner's result.
    if (!isUniqueViolation(error, 'clearing_batches_pkey')) throw error;
    return attempt();
  }
}

async function findClearable(trx: Transaction<BankDatabase>, businessDate: string): Promise<Clearable[]> {
  const rows = await trx.selectFrom('bank.journal_entries as e')
    .innerJoin('bank.postings as p', 'p.entry_id', 'e.id')
    .innerJoin('bank.accounts as a', 'a.id', 'p.account_id')
    .select(['e.id', 'e.merchant_id', 'p.currency', sql<bigint>`sum(p.amount_minor)::bigint`.as('amount')])
    .where('e.merchant_id', 'is not', null)
    .where('e.kind', 'in', ['purchase', 'capture', 'refund', 'reversal'])
    .where('e.business_date', '<=', businessDate)
    .where('a.kind', '=', 'issuer_clearing')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('bank.entry_clearings as c').select('c.entry_id').whereRef('c.entry_id', '=', 'e.id'))))
    .groupBy(['e.id', 'e.merchant_id', 'p.currency'])
    .orderBy('e.id')
    .limit(CLEARING_ENTRIES_MAX)
    .execute();
  return rows.map((row) => {
    assert.ok(row.merchant_id !== null);
    return { entryId: row.id, merchantId: row.merchant_id, currency: row.currency, issuerClearingMinor: row.amount };
  });
}

/** issuer clearing → acquirer clearing (the interbank leg), then acquirer clearing → each merchant. */
async function postClearingEntry(trx: Transaction<BankDatabase>, context: BankContext, businessDate: string, currency: string, entries: readonly Clearable[]): Promise<string | null> {
  const byMerchant = new Map<string, bigint>();
  for (const entry of entries) byMerchant.set(entry.merchantId, (byMerchant.get(entry.merchantId) ?? 0n) + entry.issuerClearingMinor);
  if (byMerchant.size > CLEARING_MERCHANTS_PER_ENTRY_MAX) throw bankError(BankErrorCode.invalid, 'too many merchants for one clearing entry');
  const total = [...byMerchant.values()].reduce((sum, net) => sum + net, 0n);
  const issuerClearing = await systemAccountId(trx, 'issuer_clearing', currency);
  const acquirerClearing = await systemAccountId(trx, 'acquirer_clearing', currency);
  const postings: PostingInput[] = [];
  if (total !== 0n) {
    postings.push({ accountId: issuerClearing, currency, amountMinor: -total }, { accountId: acquirerClearing, currency, amountMinor: total });
  }
  for (const [merchantId, net] of [...byMerchant].sort(([a], [b]) => a.localeCompare(b))) {
    if (net === 0n) continue;
    const account = await trx.selectFrom('bank.merchant_accounts').select('account_id')
      .where('merchant_id', '=', merchantId).where('currency', '=', currency).executeTakeFirst();
    if (account === undefined) throw bankError(BankErrorCode.state, `merchant ${merchantId.trim()} has no settlement account in ${currency}`);
    postings.push({ accountId: acquirerClearing, currency, amountMinor: -net }, { accountId: account.account_id, currency, amountMinor: net });
  }
  // Sales, refunds and reversals may cancel out: then nothing moves, and the entries are cleared without a clearing entry.
  if (postings.length === 0) return null;
  return postEntry(trx, context.random, { kind: 'clearing', businessDate, description: `clearing ${businessDate} ${currency}`, postings });
}

async function summary(trx: Transaction<BankDatabase>, businessDate: string, entriesCleared: number, replayed: boolean): Promise<ClearingResult> {
  const entries = await trx.selectFrom('bank.journal_entries').select('id')
    .where('kind', '=', 'clearing').where('business_date', '=', businessDate).orderBy('id').execute();
  const settlements = await trx.selectFrom('bank.postings as p')
    .innerJoin('bank.journal_entries as e', 'e.id', 'p.entry_id')
    .innerJoin('bank.merchant_accounts as m', 'm.account_id', 'p.account_id')
    .select(['m.merchant_id', 'p.currency', 'p.amount_minor'])
    .where('e.kind', '=', 'clearing').where('e.business_date', '=', businessDate)
    .orderBy('p.currency').orderBy('m.merchant_id')
    .execute();
  return {
    businessDate, replayed, entriesCleared,
    clearingEntryIds: entries.map((entry) => entry.id),
    settlements: settlements.map((row) => ({ merchantId: row.merchant_id, currency: row.currency, netMinor: row.amount_minor })),
  };
}
