import assert from 'node:assert/strict';
import type { Transaction } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { AMOUNT_MINOR_MAX } from '../lib/money.js';
import { bankError, BankErrorCode } from './errors.js';
import type { AccountKind, BankDatabase, EntryKind } from './schema.js';
import { newId } from './support.js';

/**
 * The double-entry core. Every movement is a journal entry whose postings sum to zero per
 * currency; the accounts' stored balances change in the same transaction. The same rules are
 * enforced again in SQL (deferred constraint trigger, CHECK constraints), so a bug here, or a
 * write that bypasses this module, cannot commit unbalanced books.
 */

export interface PostingInput {
  readonly accountId: string;
  readonly currency: string;
  /** Signed: positive raises the account's balance, negative lowers it. Never zero. */
  readonly amountMinor: bigint;
}

export interface EntryInput {
  readonly kind: EntryKind;
  readonly authorizationId?: string;
  /** Set on entries that move a merchant's money through issuer clearing: end-of-day clearing picks them up. */
  readonly merchantId?: string;
  readonly businessDate: string;
  readonly description: string;
  readonly postings: readonly PostingInput[];
}

/** Sums per currency; the entry is balanced when every sum is zero. */
export function sumsByCurrency(postings: readonly PostingInput[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const posting of postings) sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
  return sums;
}

function checkEntry(entry: EntryInput): void {
  if (entry.postings.length < 2) throw bankError(BankErrorCode.ledgerRefused, 'a journal entry needs at least two postings');
  for (const posting of entry.postings) {
    if (posting.amountMinor === 0n) throw bankError(BankErrorCode.ledgerRefused, 'a posting must move money');
    if (posting.amountMinor > AMOUNT_MINOR_MAX * 1000n || posting.amountMinor < -AMOUNT_MINOR_MAX * 1000n) {
      throw bankError(BankErrorCode.ledgerRefused, 'a posting exceeds the largest amount the ledger carries');
    }
  }
  for (const [currency, sum] of sumsByCurrency(entry.postings)) {
    if (sum !== 0n) throw bankError(BankErrorCode.ledgerRefused, `journal entry does not sum to zero in ${currency}`);
  }
}

/** Writes one balanced entry and moves the balances of its accounts; returns the entry id. */
export async function postEntry(trx: Transaction<BankDatabase>, random: RandomSource, entry: EntryInput): Promise<string> {
  checkEntry(entry);
  const id = newId(random);
  await trx.insertInto('bank.journal_entries').values({
    id,
    kind: entry.kind,
    authorization_id: entry.authorizationId ?? null,
    merchant_id: entry.merchantId ?? null,
    business_date: entry.businessDate,
    description: entry.description,
  }).execute();
  await trx.insertInto('bank.postings').values(entry.postings.map((posting) => ({
    entry_id: id, account_id: posting.accountId, currency: posting.currency, amount_minor: posting.amountMinor,
  }))).execute();
  const byAccount = new Map<string, PostingInput>();
  for (const posting of entry.postings) {
    const previous = byAccount.get(posting.accountId);
    byAccount.set(posting.accountId, { ...posting, amountMinor: (previous?.amountMinor ?? 0n) + posting.amountMinor });
  }
  for (const posting of byAccount.values()) {
    if (posting.amountMinor === 0n) continue;
    await moveBalances(trx, posting.accountId, posting.currency, posting.amountMinor, posting.amountMinor);
  }
  return id;
}

/**
 * Adds to an account's ledger and available balances. The CHECK constraints refuse a customer's
 * available balance below zero; callers check funds first, so reaching the constraint is a bug
 * or a write from elsewhere, and it aborts the transaction.
 */
export async function moveBalances(trx: Transaction<BankDatabase>, accountId: string, currency: string, ledgerMinor: bigint, availableMinor: bigint): Promise<void> {
  const updated = await trx.updateTable('bank.accounts')
    .set((eb) => ({
      ledger_balance_minor: eb('ledger_balance_minor', '+', ledgerMinor),
      available_balance_minor: eb('available_balance_minor', '+', availableMinor),
    }))
    .where('id', '=', accountId)
    .where('currency', '=', currency)
    .executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n, `account ${accountId} in ${currency} must exist`);
}

/** Reserves funds for an authorization: available balance down, ledger balance untouched. */
export async function placeHold(trx: Transaction<BankDatabase>, hold: { id: string; authorizationId: string; accountId: string; currency: string; amountMinor: bigint }): Promise<void> {
  assert.ok(hold.amountMinor > 0n);
  await trx.insertInto('bank.holds').values({
    id: hold.id, authorization_id: hold.authorizationId, account_id: hold.accountId, currency: hold.currency, amount_minor: hold.amountMinor, status: 'open', closed_at: null, capture_entry_id: null,
  }).execute();
  await moveBalances(trx, hold.accountId, hold.currency, 0n, -hold.amountMinor);
}

export interface HoldRow {
  readonly id: string;
  readonly authorizationId: string;
  readonly accountId: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly status: 'open' | 'captured' | 'released';
  readonly capturedMinor: bigint;
  readonly captureEntryId: string | null;
}

export async function findHold(trx: Transaction<BankDatabase>, holdId: string): Promise<HoldRow | undefined> {
  const row = await trx.selectFrom('bank.holds').selectAll().where('id', '=', holdId).executeTakeFirst();
  return row === undefined ? undefined : {
    id: row.id, authorizationId: row.authorization_id, accountId: row.account_id, currency: row.currency, amountMinor: row.amount_minor,
    status: row.status, capturedMinor: row.captured_minor, captureEntryId: row.capture_entry_id,
  };
}

/** Releases an open hold: its amount is available again. */
export async function releaseHold(trx: Transaction<BankDatabase>, hold: HoldRow, at: Date): Promise<void> {
  assert.equal(hold.status, 'open');
  const updated = await trx.updateTable('bank.holds').set({ status: 'released', closed_at: at })
    .where('id', '=', hold.id).where('status', '=', 'open').executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n);
  await moveBalances(trx, hold.accountId, hold.currency, 0n, hold.amountMinor);
}

/** The bank's own account of `kind` in `currency`, created with the first account in that currency. */
export async function systemAccountId(trx: Transaction<BankDatabase>, kind: Exclude<AccountKind, 'customer' | 'merchant_settlement'>, currency: string): Promise<string> {
  const row = await trx.selectFrom('bank.accounts').select('id').where('kind', '=', kind).where('currency', '=', currency).executeTakeFirst();
  assert.ok(row !== undefined, `the ${kind} account in ${currency} must exist (ensureSystemAccounts)`);
  return row.id;
}

const SYSTEM_KINDS = ['issuer_clearing', 'acquirer_clearing', 'issuer_funding', 'fees'] as const;

/** Creates the bank's own accounts in `currency` if they are missing (idempotent under concurrency). */
export async function ensureSystemAccounts(trx: Transaction<BankDatabase>, random: RandomSource, currency: string): Promise<void> {
  for (const kind of SYSTEM_KINDS) {
    await trx.insertInto('bank.accounts').values({ id: newId(random), kind, customer_id: null, currency })
      .onConflict((conflict) => conflict.doNothing()).execute();
  }
}
