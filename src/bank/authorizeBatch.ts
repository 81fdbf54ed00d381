import assert from 'node:assert/strict';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import { bytesEqual, toHex } from '../lib/bytes.js';
import type { AuthorizationResult, AuthorizationRow } from './authorizationRecord.js';
import { resultOf } from './authorizationRecord.js';
import { checkATC, checkCard, type AuthorizeRequest, type CardRow, type Decision, type PendingAuthorization } from './authorize.js';
import { openIssuerMasterKey } from './cards.js';
import type { BankContext } from './context.js';
import { batchLocksPrelude, requestKeyOf } from './locks.js';
import { balancesUpdateStatement, entriesInsertStatements, holdsInsertStatement, type BalanceDelta, type IdentifiedEntry } from './ledger.js';
import { ResponseCode, type DeclineReason } from './responseCodes.js';
import type { BankDatabase, CardStatus } from './schema.js';
import { businessDateOf, newAuthorizationCode, newId } from './support.js';

/**
 * One group-commit batch of authorizations, inside the caller's READ COMMITTED transaction
 * (docs/bank.md "Group commit", "Locks"), which began by locking the batch's request keys and its
 * cards' accounts (`batchTransaction`). Everything the decisions need is read with one query
 * (which sees everything committed before the locks were granted), the decisions run in arrival order against an
 * in-memory copy that each approval updates (so two authorizations on one account never spend the
 * same money), and the writes go out as one statement. The checks, their order and their answers
 * are those of a single authorization (docs/bank.md "Authorization").
 */

/** An authorization row as the batch writes it (the database stamps `created_at`). */
type AuthorizationWrite = Omit<AuthorizationRow, 'created_at'>;

/** The answer for one item of a batch: a result, or the error it alone threw (nothing of it is written). */
export type BatchOutcome = { readonly result: AuthorizationResult } | { readonly error: unknown };

/** The answer recorded under a request key, and the hash of the request that got it. */
interface RecordedAnswer {
  readonly requestHash: Uint8Array;
  readonly result: AuthorizationResult;
}

interface TerminalRow {
  readonly merchantId: string;
  readonly cardNotPresent: boolean;
}

/** What the batch's decisions read, in one query, at the transaction's snapshot. */
interface BatchSnapshot {
  readonly existing: ReadonlyMap<string, RecordedAnswer>;
  readonly cardsByPan: ReadonlyMap<string, CardRow>;
  readonly terminals: ReadonlyMap<string, TerminalRow>;
  /** `merchantId currency` of every merchant settlement account the batch names. */
  readonly merchantCurrencies: ReadonlySet<string>;
  readonly reversedKeys: ReadonlySet<string>;
  /** Approved, unreversed preauths and purchases of the business date, per card. */
  readonly dayTotals: ReadonlyMap<string, DayTotal>;
  /** issuer_clearing account per currency. */
  readonly clearingAccounts: ReadonlyMap<string, string>;
}

interface DayTotal {
  readonly count: bigint;
  readonly totalMinor: bigint;
}

/** What earlier items of this batch changed: later items decide against it. */
interface BatchState {
  readonly atcHighWater: Map<string, number>;
  readonly availableMinor: Map<string, bigint>;
  readonly dayTotals: Map<string, DayTotal>;
  /** First item of each request key in this batch: a retransmission in the same batch replays it. */
  readonly decided: Map<string, RecordedAnswer>;
  /** Issuer master keys opened for this batch, once per key; wiped when the batch's decisions end. */
  readonly issuerKeys: Map<string, Uint8Array>;
}

/** Everything the batch writes, in one statement at the end. */
interface BatchWrites {
  readonly atcByCard: Map<string, number>;
  readonly holds: { id: string; authorizationId: string; accountId: string; currency: string; amountMinor: bigint }[];
  readonly entries: IdentifiedEntry[];
  readonly authorizations: AuthorizationWrite[];
}

/** The transaction options a batch runs under: READ COMMITTED, begun together with its locks (locks.ts). */
export function batchTransaction(items: readonly PendingAuthorization[]): { readonly isolation: 'read committed'; readonly prelude: string } {
  return { isolation: 'read committed', prelude: batchLocksPrelude(items.map((item) => item.request), items.map((item) => toHex(item.panHash))) };
}

/** Decides and writes `items` inside a transaction begun with `batchTransaction(items)`. */
export async function executeAuthorizationBatch(
  trx: Transaction<BankDatabase>, context: BankContext, items: readonly PendingAuthorization[],
): Promise<BatchOutcome[]> {
  assert.ok(items.length > 0, 'a batch has at least one authorization');
  const nowMs = context.now();
  const businessDate = businessDateOf(nowMs);
  // The caller's transaction began with the batch's locks (batchLocksPrelude), so this read's
  // snapshot, taken after they were granted, sees what any earlier holder (another batch, a
  // reversal) committed.
  const snapshot = await readSnapshot(trx, items, businessDate);
  const state: BatchState = {
    atcHighWater: new Map(), availableMinor: new Map(), dayTotals: new Map(snapshot.dayTotals), decided: new Map(), issuerKeys: new Map(),
  };
  const writes: BatchWrites = { atcByCard: new Map(), holds: [], entries: [], authorizations: [] };
  let outcomes: BatchOutcome[];
  try {
    outcomes = items.map((item): BatchOutcome => {
      try {
        return { result: decideItem(context, item, snapshot, state, writes, nowMs, businessDate) };
      } catch (error) {
        // Thrown before anything of this item joined `writes` (a KEK that does not open the issuer
        // key, a throwing cryptogram check): the item gets its error, the others go on.
        return { error };
      }
    });
  } finally {
    for (const key of state.issuerKeys.values()) key.fill(0);
  }
  await writeBatch(trx, writes, dayTotalsAdded(snapshot.dayTotals, state.dayTotals), businessDate);
  return outcomes;
}

function decideItem(
  context: BankContext, item: PendingAuthorization, snapshot: BatchSnapshot, state: BatchState, writes: BatchWrites, nowMs: number, businessDate: string,
): AuthorizationResult {
  const { request } = item;
  const key = requestKeyOf(request);
  const earlier = state.decided.get(key) ?? snapshot.existing.get(key);
  if (earlier !== undefined) {
    if (bytesEqual(earlier.requestHash, item.requestHash)) return { ...earlier.result, replayed: true };
    return { approved: false, responseCode: ResponseCode.duplicateTransmission, declineReason: 'duplicate-mismatch', replayed: false };
  }
  const card = snapshot.cardsByPan.get(request.pan);
  const authorization = rowFor(context, item, card, businessDate);
  const record = (outcome: { responseCode: ResponseCode; declineReason?: DeclineReason; holdId?: string; entryId?: string }): AuthorizationResult => {
    const approved = outcome.responseCode === ResponseCode.approved;
    const row: AuthorizationWrite = {
      ...authorization, response_code: outcome.responseCode, decline_reason: approved ? null : outcome.declineReason ?? null,
      authorization_code: approved ? newAuthorizationCode(context.random) : null, hold_id: outcome.holdId ?? null, entry_id: outcome.entryId ?? null,
    };
    writes.authorizations.push(row);
    const result = resultOf(row, false);
    state.decided.set(key, { requestHash: item.requestHash, result });
    return result;
  };
  const declined = (decision: NonNullable<Decision>): AuthorizationResult => record({ responseCode: decision.code, declineReason: decision.reason });

  const acceptance = checkAcceptance(snapshot, item);
  if (acceptance !== undefined) return declined(acceptance);
  if (snapshot.reversedKeys.has(key)) return declined({ code: ResponseCode.doNotHonour, reason: 'reversed-before-arrival' });
  if (card === undefined) return declined({ code: ResponseCode.invalidCardNumber, reason: 'card-unknown' });
  const cardDecision = checkCard(card, request, nowMs);
  if (cardDecision !== undefined) return declined(cardDecision);
  if (item.cardholderAuthentication === null) {
    const chipDecision = checkChip(context, item, card, state, writes);
    if (chipDecision !== undefined) return declined(chipDecision);
  }
  const limitDecision = checkLimits(card, request.amountMinor, state.dayTotals.get(card.id) ?? { count: 0n, totalMinor: 0n });
  if (limitDecision !== undefined) return declined(limitDecision);
  const availableMinor = state.availableMinor.get(card.accountId) ?? card.availableMinor;
  if (availableMinor < request.amountMinor) return declined({ code: ResponseCode.insufficientFunds, reason: 'insufficient-funds' });

  // Where a purchase posts; looked up before the batch's state changes, so its failure costs this item only.
  const clearing = request.kind === 'purchase' ? issuerClearingOf(snapshot, request.currency) : undefined;

  // Approved: later items of this batch see the money gone and the day's total raised.
  state.availableMinor.set(card.accountId, availableMinor - request.amountMinor);
  const day = state.dayTotals.get(card.id) ?? { count: 0n, totalMinor: 0n };
  state.dayTotals.set(card.id, { count: day.count + 1n, totalMinor: day.totalMinor + request.amountMinor });
  if (clearing === undefined) {
    // A preauthorization: a hold, which lowers the available balance only.
    const holdId = newId(context.random);
    writes.holds.push({ id: holdId, authorizationId: authorization.id, accountId: card.accountId, currency: request.currency, amountMinor: request.amountMinor });
    return record({ responseCode: ResponseCode.approved, holdId });
  }
  const entryId = newId(context.random);
  writes.entries.push({
    id: entryId, kind: 'purchase', authorizationId: authorization.id, merchantId: request.merchantId, businessDate,
    description: `purchase at ${request.merchantId.trim()}`,
    postings: [
      { accountId: card.accountId, currency: request.currency, amountMinor: -request.amountMinor },
      { accountId: clearing, currency: request.currency, amountMinor: request.amountMinor },
    ],
  });
  return record({ responseCode: ResponseCode.approved, entryId });
}

function issuerClearingOf(snapshot: BatchSnapshot, currency: string): string {
  const clearing = snapshot.clearingAccounts.get(currency);
  assert.ok(clearing !== undefined, `the issuer_clearing account in ${currency} must exist (ensureSystemAccounts)`);
  return clearing;
}

/** The authorization row of an item, without its outcome yet. */
function rowFor(
  context: BankContext, item: PendingAuthorization, card: CardRow | undefined, businessDate: string,
): Omit<AuthorizationWrite, 'response_code' | 'decline_reason' | 'authorization_code' | 'hold_id' | 'entry_id'> {
  const { request } = item;
  const chip = item.cardholderAuthentication === null;
  return {
    id: newId(context.random), kind: request.kind, terminal_id: request.terminalId, stan: request.stan, transmitted_at: request.transmittedAt,
    request_hash: item.requestHash, merchant_id: request.merchantId, card_id: card?.id ?? null, pan_last4: request.pan.slice(-4),
    amount_minor: request.amountMinor, currency: request.currency, atc: chip ? request.atc : null, original_authorization_id: null,
    business_date: businessDate, reversed_at: null, reversal_entry_id: null,
    channel: chip ? 'chip' : 'ecommerce', cardholder_authentication: item.cardholderAuthentication,
  };
}

/** The acquirer's side: a known terminal of this merchant (flagged for card-not-present when it is one), a settlement account in this currency. */
function checkAcceptance(snapshot: BatchSnapshot, item: PendingAuthorization): Decision {
  const { request } = item;
  const terminal = snapshot.terminals.get(request.terminalId);
  if (terminal === undefined) return { code: ResponseCode.invalidMerchant, reason: 'merchant-unknown' };
  if (terminal.merchantId !== request.merchantId) return { code: ResponseCode.invalidMerchant, reason: 'terminal-merchant-mismatch' };
  if (!snapshot.merchantCurrencies.has(`${request.merchantId} ${request.currency}`)) return { code: ResponseCode.notPermittedToTerminal, reason: 'currency-not-accepted' };
  if (item.cardholderAuthentication !== null && !terminal.cardNotPresent) return { code: ResponseCode.notPermittedToTerminal, reason: 'channel-not-permitted' };
  return undefined;
}

/**
 * The ARQC (EMV Book 2 §8.1.2) through the caller's check, then the ATC against the high-water
 * mark as this batch has raised it. A verified cryptogram with a fresh ATC raises the mark even
 * when a later check declines; a failed one leaves it alone.
 */
function checkChip(context: BankContext, item: PendingAuthorization, card: CardRow, state: BatchState, writes: BatchWrites): Decision {
  const { request } = item;
  let opened = state.issuerKeys.get(card.issuerMasterKeyId);
  if (opened === undefined) {
    opened = openIssuerMasterKey(context, card.issuerMasterKeyId, card.issuerMasterKeySealed);
    state.issuerKeys.set(card.issuerMasterKeyId, opened);
  }
  // Each check gets its own copy, wiped after the call, as a single authorization's was.
  const issuerMasterKey = Uint8Array.from(opened);
  let cryptogram: 'ok' | 'mismatch';
  try {
    cryptogram = request.cryptogramCheck({ cardId: card.id, pan: card.pan, psn: card.psn, expiry: card.expiry, atc: request.atc, issuerMasterKey });
  } finally {
    issuerMasterKey.fill(0);
  }
  if (cryptogram !== 'ok') return { code: ResponseCode.doNotHonour, reason: 'cryptogram-mismatch' };
  const atcDecision = checkATC(state.atcHighWater.get(card.id) ?? card.atcHighWater, request.atc);
  if (atcDecision !== undefined) return atcDecision;
  state.atcHighWater.set(card.id, request.atc);
  writes.atcByCard.set(card.id, request.atc);
  return undefined;
}

function checkLimits(card: CardRow, amountMinor: bigint, today: DayTotal): Decision {
  if (amountMinor > card.transactionLimitMinor) return { code: ResponseCode.exceedsAmountLimit, reason: 'transaction-limit' };
  if (today.totalMinor + amountMinor > card.dailyLimitMinor) return { code: ResponseCode.exceedsAmountLimit, reason: 'daily-limit' };
  if (today.count >= BigInt(card.dailyCountMax)) return { code: ResponseCode.exceedsFrequencyLimit, reason: 'daily-count' };
  return undefined;
}

/** One row of the snapshot query: a distinct (request key, PAN) of the batch with what it finds. */
interface SnapshotRow {
  /** 1-based position of the (request key, PAN) in the query's arrays. */
  readonly ordinal: bigint | number | string;
  readonly reversed: boolean;
  readonly authorization_id: string | null;
  readonly authorization_request_hash: Uint8Array | null;
  readonly authorization_response_code: string | null;
  readonly authorization_code: string | null;
  readonly authorization_hold_id: string | null;
  readonly authorization_entry_id: string | null;
  readonly authorization_decline_reason: string | null;
  readonly terminal_merchant_id: string | null;
  readonly terminal_card_not_present: boolean | null;
  readonly merchant_currencies: string[] | null;
  readonly card_id: string | null;
  readonly card_pan: string | null;
  readonly account_id: string;
  readonly expiry: string;
  readonly psn: number;
  readonly status: CardStatus;
  readonly transaction_limit_minor: bigint;
  readonly daily_limit_minor: bigint;
  readonly daily_count_max: number;
  readonly atc_high_water: number;
  readonly account_currency: string;
  readonly available_balance_minor: bigint;
  readonly key_id: string;
  readonly key_sealed: Uint8Array;
  readonly day_count: bigint | string;
  readonly day_total: bigint | string;
  readonly clearing_account_id: string | null;
}

/**
 * ONE query for the whole batch, however large (one round trip): for each distinct request key
 * and PAN, the authorization already recorded under the key and whether a reversal (0400) for it
 * came first; the terminal with its merchant's settlement currencies; the card with its account,
 * issuer key, the day's counters of approved, unreversed preauths and purchases (the limits) and the issuer
 * clearing account of its currency (where a purchase posts). The decisions then need no more reads.
 */
async function readSnapshot(trx: Transaction<BankDatabase>, items: readonly PendingAuthorization[], businessDate: string): Promise<BatchSnapshot> {
  const distinct = [...new Map(items.map((item) => [`${requestKeyOf(item.request)}\u0000${item.request.pan}`, item])).values()];
  // Arrays, one parameter per column (unnest), not one per value: the statement's size and the
  // driver's and server's work per parameter stay flat however large the batch.
  const result = await sql<SnapshotRow>`
    with k as (
           select k.ordinal, k.terminal_id, k.stan, k.transmitted_at, decode(k.pan_hash, 'hex') as pan_hash
             from unnest(cast(${distinct.map(({ request }) => request.terminalId)} as text[]), cast(${distinct.map(({ request }) => request.stan)} as text[]),
                         cast(${distinct.map(({ request }) => request.transmittedAt.toISOString())} as timestamptz[]),
                         cast(${distinct.map((item) => toHex(item.panHash))} as text[]))
                  with ordinality as k (terminal_id, stan, transmitted_at, pan_hash, ordinal)),
         -- Once per distinct terminal and per currency, not per request.
         t as (select t.id, t.merchant_id, t.card_not_present,
                      array(select m.currency from bank.merchant_accounts as m where m.merchant_id = t.merchant_id) as merchant_currencies
                 from bank.terminals as t where t.id in (select terminal_id from k)),
         clearing as (select s.id, s.currency from bank.accounts as s where s.kind = 'issuer_clearing')
    select k.ordinal,
           exists (select 1 from bank.reversals as r
                    where r.terminal_id = k.terminal_id and r.stan = k.stan and r.transmitted_at = k.transmitted_at) as reversed,
           a.id as authorization_id, a.request_hash as authorization_request_hash, a.response_code as authorization_response_code,
           a.authorization_code, a.hold_id as authorization_hold_id, a.entry_id as authorization_entry_id,
           a.decline_reason as authorization_decline_reason,
           t.merchant_id as terminal_merchant_id, t.card_not_present as terminal_card_not_present, t.merchant_currencies,
           c.id as card_id, c.pan as card_pan, c.account_id, c.expiry, c.psn, c.status, c.transaction_limit_minor, c.daily_limit_minor,
           c.daily_count_max, c.atc_high_water, ac.currency as account_currency, ac.available_balance_minor, ik.id as key_id, ik.key_sealed,
           case when c.day_business_date = ${businessDate} then c.day_count else 0 end as day_count,
           case when c.day_business_date = ${businessDate} then c.day_total_minor else 0 end as day_total,
           clearing.id as clearing_account_id
      from k
      left join bank.authorizations as a on a.terminal_id = k.terminal_id and a.stan = k.stan and a.transmitted_at = k.transmitted_at
      left join t on t.id = k.terminal_id
      left join bank.cards as c on c.pan_hash = k.pan_hash
      left join bank.accounts as ac on ac.id = c.account_id
      left join bank.bin_ranges as b on b.prefix = c.bin_prefix
      left join bank.issuer_master_keys as ik on ik.id = b.issuer_master_key_id
      left join clearing on clearing.currency = ac.currency`.execute(trx);
  const snapshot = {
    existing: new Map<string, RecordedAnswer>(), cardsByPan: new Map<string, CardRow>(), terminals: new Map<string, TerminalRow>(),
    merchantCurrencies: new Set<string>(), reversedKeys: new Set<string>(), dayTotals: new Map<string, DayTotal>(), clearingAccounts: new Map<string, string>(),
  };
  for (const row of result.rows) {
    const item = distinct[Number(row.ordinal) - 1];
    assert.ok(item !== undefined, 'the snapshot answers for the batch\'s own requests');
    addSnapshotRow(snapshot, item.request, row);
  }
  return snapshot;
}

function addSnapshotRow(snapshot: {
  existing: Map<string, RecordedAnswer>; cardsByPan: Map<string, CardRow>; terminals: Map<string, TerminalRow>; merchantCurrencies: Set<string>;
  reversedKeys: Set<string>; dayTotals: Map<string, DayTotal>; clearingAccounts: Map<string, string>;
}, request: AuthorizeRequest, row: SnapshotRow): void {
  const key = requestKeyOf(request);
  if (row.reversed) snapshot.reversedKeys.add(key);
  if (row.authorization_id !== null && row.authorization_request_hash !== null && row.authorization_response_code !== null) {
    snapshot.existing.set(key, {
      requestHash: row.authorization_request_hash,
      result: resultOf({
        id: row.authorization_id, response_code: row.authorization_response_code, authorization_code: row.authorization_code,
        hold_id: row.authorization_hold_id, entry_id: row.authorization_entry_id, decline_reason: row.authorization_decline_reason,
      }, false),
    });
  }
  if (row.terminal_merchant_id !== null) {
    snapshot.terminals.set(request.terminalId, { merchantId: row.terminal_merchant_id, cardNotPresent: row.terminal_card_not_present === true });
    for (const currency of row.merchant_currencies ?? []) snapshot.merchantCurrencies.add(`${row.terminal_merchant_id} ${currency}`);
  }
  // The hash finds the row; the stored token PAN must then match exactly (checked where the card is used: cardsByPan is keyed by it).
  if (row.card_id === null || row.card_pan === null) return;
  snapshot.cardsByPan.set(row.card_pan, {
    id: row.card_id, accountId: row.account_id, pan: row.card_pan, expiry: row.expiry, psn: row.psn, status: row.status,
    transactionLimitMinor: BigInt(row.transaction_limit_minor), dailyLimitMinor: BigInt(row.daily_limit_minor), dailyCountMax: row.daily_count_max,
    atcHighWater: row.atc_high_water, accountCurrency: row.account_currency, availableMinor: BigInt(row.available_balance_minor),
    issuerMasterKeyId: row.key_id, issuerMasterKeySealed: row.key_sealed,
  });
  snapshot.dayTotals.set(row.card_id, { count: BigInt(row.day_count), totalMinor: BigInt(row.day_total) });
  if (row.clearing_account_id !== null) snapshot.clearingAccounts.set(row.account_currency, row.clearing_account_id);
}

/**
 * The batch's writes in ONE statement: data-modifying CTEs insert the holds, the journal entries
 * and their postings and the authorizations, raise the cards' ATC high-water marks, and move every
 * touched account's balances once (UPDATE … FROM unnest(…)). Foreign keys checked at once
 * (authorizations → holds and entries, postings → entries) are checked at the end of the
 * statement, when all rows are there; the ones pointing back at the authorization and the
 * balanced-entry triggers wait for COMMIT. The CHECK constraints apply to every row as always.
 */
/** What the batch's approvals added to each card's day totals: its running totals less what it read. */
function dayTotalsAdded(read: ReadonlyMap<string, DayTotal>, running: ReadonlyMap<string, DayTotal>): Map<string, DayTotal> {
  const added = new Map<string, DayTotal>();
  for (const [cardId, day] of running) {
    const before = read.get(cardId) ?? { count: 0n, totalMinor: 0n };
    if (day.count !== before.count) added.set(cardId, { count: day.count - before.count, totalMinor: day.totalMinor - before.totalMinor });
  }
  return added;
}

async function writeBatch(trx: Transaction<BankDatabase>, writes: BatchWrites, dayAdded: ReadonlyMap<string, DayTotal>, businessDate: string): Promise<void> {
  const deltas = new Map<string, BalanceDelta>();
  const parts: RawBuilder<unknown>[] = [];
  if (writes.holds.length > 0) parts.push(sql`holds as (${holdsInsertStatement(writes.holds, deltas)})`);
  if (writes.entries.length > 0) {
    const entries = entriesInsertStatements(writes.entries, deltas);
    parts.push(sql`entries as (${entries.entries})`, sql`postings as (${entries.postings})`);
  }
  if (writes.authorizations.length > 0) parts.push(sql`authorizations as (${authorizationsInsert(writes.authorizations)})`);
  const cardIds = [...new Set([...writes.atcByCard.keys(), ...dayAdded.keys()])];
  if (cardIds.length > 0) {
    // ATC marks as the batch raised them; day counters by what the batch added (relative, so a
    // reversal's decrement is never overwritten). A card's counters of an earlier date restart at
    // the batch's date; those of a later date (another instance's clock ahead) are left alone.
    const atcs = cardIds.map((cardId) => writes.atcByCard.get(cardId) ?? null);
    const days = cardIds.map((cardId) => dayAdded.get(cardId) ?? { count: 0n, totalMinor: 0n });
    parts.push(sql`cards as (
      update bank.cards as c
         set atc_high_water = coalesce(v.atc, c.atc_high_water),
             day_count = case when c.day_business_date = d.business_date then c.day_count + v.count_added
                              when c.day_business_date > d.business_date then c.day_count else v.count_added end,
             day_total_minor = case when c.day_business_date = d.business_date then c.day_total_minor + v.total_added
                                    when c.day_business_date > d.business_date then c.day_total_minor else v.total_added end,
             day_business_date = greatest(c.day_business_date, d.business_date)
        from unnest(cast(${cardIds} as uuid[]), cast(${atcs} as integer[]), cast(${days.map((day) => Number(day.count))} as integer[]),
                    cast(${days.map((day) => day.totalMinor.toString())} as bigint[])) as v (id, atc, count_added, total_added)
        cross join (select cast(${businessDate} as text) as business_date) as d
       where c.id = v.id)`);
  }
  const balances = balancesUpdateStatement(deltas.values());
  if (balances !== undefined) parts.push(sql`accounts as (${balances.statement})`);
  if (parts.length === 0) return;
  const main = balances === undefined ? sql`select 0 as accounts_moved` : sql`select count(*) as accounts_moved from accounts`;
  const result = await sql`with ${sql.join(parts)} ${main}`.execute(trx);
  // Every account of the batch must exist in its currency (as moveBalances asserts one by one).
  const moved = (result.rows[0] as { accounts_moved: bigint | number | string } | undefined)?.accounts_moved;
  assert.equal(BigInt(moved ?? 0), BigInt(balances?.count ?? 0), 'every account of the batch must exist in its currency');
}

/** The INSERT of the batch's authorization records (the idempotency records: one per request key), one array per column. */
function authorizationsInsert(rows: readonly AuthorizationWrite[]): RawBuilder<unknown> {
  const column = <T>(value: (row: AuthorizationWrite) => T): T[] => rows.map(value);
  return sql`insert into bank.authorizations (
    id, kind, terminal_id, stan, transmitted_at, request_hash, merchant_id, card_id, pan_last4, amount_minor, currency,
    atc, response_code, decline_reason, authorization_code, hold_id, entry_id, original_authorization_id, business_date, channel,
    cardholder_authentication)
    select id, kind, terminal_id, stan, transmitted_at, decode(request_hash, 'hex'), merchant_id, card_id, pan_last4, amount_minor, currency,
           atc, response_code, decline_reason, authorization_code, hold_id, entry_id, original_authorization_id, business_date, channel,
           cardholder_authentication
      from unnest(
        cast(${column((row) => row.id)} as uuid[]), cast(${column((row) => row.kind)} as text[]), cast(${column((row) => row.terminal_id)} as text[]),
        cast(${column((row) => row.stan)} as text[]), cast(${column((row) => row.transmitted_at.toISOString())} as timestamptz[]),
        cast(${column((row) => toHex(row.request_hash))} as text[]), cast(${column((row) => row.merchant_id)} as text[]),
        cast(${column((row) => row.card_id)} as uuid[]), cast(${column((row) => row.pan_last4)} as text[]),
        cast(${column((row) => row.amount_minor.toString())} as bigint[]), cast(${column((row) => row.currency)} as text[]),
        cast(${column((row) => row.atc)} as integer[]), cast(${column((row) => row.response_code)} as text[]),
        cast(${column((row) => row.decline_reason)} as text[]), cast(${column((row) => row.authorization_code)} as text[]),
        cast(${column((row) => row.hold_id)} as uuid[]), cast(${column((row) => row.entry_id)} as uuid[]),
        cast(${column((row) => row.original_authorization_id)} as uuid[]), cast(${column((row) => row.business_date)} as text[]),
        cast(${column((row) => row.channel)} as text[]), cast(${column((row) => row.cardholder_authentication)} as text[])
      ) as v (id, kind, terminal_id, stan, transmitted_at, request_hash, merchant_id, card_id, pan_last4, amount_minor, currency,
              atc, response_code, decline_reason, authorization_code, hold_id, entry_id, original_authorization_id, business_date, channel,
              cardholder_authentication)`;
}
