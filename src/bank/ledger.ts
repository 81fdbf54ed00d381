import assert from 'node:assert/strict';
import { sql, type RawBuilder, type Transaction } from 'kysely';
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

export function checkEntry(entry: EntryInput): void {
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

/** An entry with its id chosen by the caller, for `insertEntries`. */
export interface IdentifiedEntry extends EntryInput {
  readonly id: string;
}

/** What a batch of movements does to one account; summed per account before one UPDATE. */
export interface BalanceDelta {
  readonly accountId: string;
  readonly currency: string;
  readonly ledgerMinor: bigint;
  readonly availableMinor: bigint;
}

/** Adds a movement to the per-account sums of a batch (keyed by account id). */
export function addBalanceDelta(deltas: Map<string, BalanceDelta>, delta: BalanceDelta): void {
  const previous = deltas.get(delta.accountId);
  if (previous !== undefined) assert.equal(previous.currency, delta.currency, 'an account has one currency');
  deltas.set(delta.accountId, {
    ...delta,
    ledgerMinor: (previous?.ledgerMinor ?? 0n) + delta.ledgerMinor,
    availableMinor: (previous?.availableMinor ?? 0n) + delta.availableMinor,
  });
}

/**
 * Set-based `postEntry` for a batch (group commit): the INSERT for the entries and the one for all
 * their postings, as statements for the caller's single data-modifying WITH (authorizeBatch.ts).
 * Each entry is checked as `postEntry` checks it, and the deferred triggers check them again at
 * COMMIT. The balances move separately, once per account (`balancesUpdateStatement`): each
 * posting is added to `deltas`.
 */
export function entriesInsertStatements(
  entries: readonly IdentifiedEntry[], deltas: Map<string, BalanceDelta>,
): { readonly entries: RawBuilder<unknown>; readonly postings: RawBuilder<unknown> } {
  assert.ok(entries.length > 0);
  for (const entry of entries) checkEntry(entry);
  const postings = entries.flatMap((entry) => entry.postings.map((posting) => ({ entryId: entry.id, ...posting })));
  for (const entry of entries) {
    for (const posting of entry.postings) {
      addBalanceDelta(deltas, { accountId: posting.accountId, currency: posting.currency, ledgerMinor: posting.amountMinor, availableMinor: posting.amountMinor });
    }
  }
  // One array per column (unnest): the statement stays the same size however many entries.
  return {
    entries: sql`insert into bank.journal_entries (id, kind, authorization_id, merchant_id, business_date, description)
      select * from unnest(cast(${entries.map((entry) => entry.id)} as uuid[]), cast(${entries.map((entry) => entry.kind)} as text[]),
        cast(${entries.map((entry) => entry.authorizationId ?? null)} as uuid[]), cast(${entries.map((entry) => entry.merchantId ?? null)} as text[]),
        cast(${entries.map((entry) => entry.businessDate)} as text[]), cast(${entries.map((entry) => entry.description)} as text[]))`,
    postings: sql`insert into bank.postings (entry_id, account_id, currency, amount_minor)
      select * from unnest(cast(${postings.map((posting) => posting.entryId)} as uuid[]), cast(${postings.map((posting) => posting.accountId)} as uuid[]),
        cast(${postings.map((posting) => posting.currency)} as text[]), cast(${postings.map((posting) => posting.amountMinor.toString())} as bigint[]))`,
  };
}

/** Set-based `placeHold`: the INSERT of open holds; each lowers its account's available balance in `deltas`. */
export function holdsInsertStatement(
  holds: readonly { id: string; authorizationId: string; accountId: string; currency: string; amountMinor: bigint }[], deltas: Map<string, BalanceDelta>,
): RawBuilder<unknown> {
  assert.ok(holds.length > 0);
  for (const hold of holds) assert.ok(hold.amountMinor > 0n);
  for (const hold of holds) addBalanceDelta(deltas, { accountId: hold.accountId, currency: hold.currency, ledgerMinor: 0n, availableMinor: -hold.amountMinor });
  return sql`insert into bank.holds (id, authorization_id, account_id, currency, amount_minor, status)
    select v.*, 'open' from unnest(cast(${holds.map((hold) => hold.id)} as uuid[]), cast(${holds.map((hold) => hold.authorizationId)} as uuid[]),
      cast(${holds.map((hold) => hold.accountId)} as uuid[]), cast(${holds.map((hold) => hold.currency)} as text[]),
      cast(${holds.map((hold) => hold.amountMinor.toString())} as bigint[])) as v (id, authorization_id, account_id, currency, amount_minor)`;
}

/**
 * Set-based `moveBalances`: one UPDATE … FROM unnest(…) for every account a batch touched, each
 * once with its summed movement, returning one row per account moved (the caller compares the
 * count). The CHECK constraints still refuse a customer's available balance below zero.
 */
export function balancesUpdateStatement(deltas: Iterable<BalanceDelta>): { readonly statement: RawBuilder<unknown>; readonly count: number } | undefined {
  const rows = [...deltas].filter((delta) => delta.ledgerMinor !== 0n || delta.availableMinor !== 0n);
  if (rows.length === 0) return undefined;
  const statement = sql`
    update bank.accounts as a
       set ledger_balance_minor = a.ledger_balance_minor + v.ledger_minor,
           available_balance_minor = a.available_balance_minor + v.available_minor
      from unnest(cast(${rows.map((delta) => delta.accountId)} as uuid[]), cast(${rows.map((delta) => delta.currency)} as text[]),
                  cast(${rows.map((delta) => delta.ledgerMinor.toString())} as bigint[]),
                  cast(${rows.map((delta) => delta.availableMinor.toString())} as bigint[])) as v (id, currency, ledger_minor, available_minor)
     where a.id = v.id and a.currency = v.currency
    returning 1`;
  return { statement, count: rows.length };
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

/** `lock`: FOR UPDATE, for a READ COMMITTED caller that decides on the hold's status (locks.ts). */
export async function findHold(trx: Transaction<BankDatabase>, holdId: string, options: { readonly lock?: boolean } = {}): Promise<HoldRow | undefined> {
  let query = trx.selectFrom('bank.holds').selectAll().where('id', '=', holdId);
  if (options.lock === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
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
