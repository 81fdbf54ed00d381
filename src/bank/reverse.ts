import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import { findAuthorizationByKey, requireTransactionKey, type AuthorizationRow, type TransactionKey } from './authorizationRecord.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { findHold, postEntry, releaseHold, systemAccountId } from './ledger.js';
import { lockRequestKeys } from './locks.js';
import { ResponseCode } from './responseCodes.js';
import type { BankDatabase } from './schema.js';
import { businessDateOf } from './support.js';

export type ReversalEffect =
  /** No request under this key: recorded, so a late original is declined (05, reversed-before-arrival). */
  | 'original-unknown'
  /** The original was declined: nothing to undo. */
  | 'original-declined'
  | 'already-reversed'
  | 'hold-released'
  | 'entry-reversed'
  /** The original had been fully refunded already: nothing left to give back. */
  | 'nothing-outstanding';

export interface ReversalResult {
  /** Always true: a reversal (0400) is acknowledged (0410), whatever it finds (ISO 8583-1987 §4.3.3). */
  readonly acknowledged: true;
  readonly effect: ReversalEffect;
  readonly authorizationId?: string;
  readonly holdId?: string;
  readonly entryId?: string;
}

/**
 * Reverses the request named by `original` (the key of its 0100/0200). An open hold is released;
 * a posted purchase or capture is undone by an opposite entry (less what was refunded); a
 * reversed refund takes the refund back, if the customer's funds allow. Idempotent.
 */
export async function reverse(context: BankContext, original: TransactionKey): Promise<ReversalResult> {
  requireTransactionKey(original);
  // READ COMMITTED with locks (locks.ts): the original's request key first, so an authorization
  // batch holding it commits before this reads (and one that comes later sees the reversal), then
  // the original's row and its hold, so a capture or refund of it takes turns with this one.
  return inTransaction(context.db, async (trx) => {
    await lockRequestKeys(trx, [original]);
    const authorization = await findAuthorizationByKey(trx, original, { lock: true });
    await trx.insertInto('bank.reversals').values({
      terminal_id: original.terminalId, stan: original.stan, transmitted_at: original.transmittedAt, authorization_id: authorization?.id ?? null,
    }).onConflict((conflict) => conflict.doNothing()).execute();
    if (authorization === undefined) return { acknowledged: true, effect: 'original-unknown' };
    const base = { acknowledged: true as const, authorizationId: authorization.id };
    if (authorization.response_code !== ResponseCode.approved) return { ...base, effect: 'original-declined' };
    if (authorization.reversed_at !== null) {
      return { ...base, effect: 'already-reversed', ...(authorization.reversal_entry_id === null ? {} : { entryId: authorization.reversal_entry_id }) };
    }
    const at = new Date(context.now());
    const undone = await undo(trx, context, authorization, at);
    // A reversed preauth or purchase no longer counts toward its day's limits (after the account's
    // balances moved above: the account before its card, as the batches take them).
    if (authorization.card_id !== null && (authorization.kind === 'preauth' || authorization.kind === 'purchase')) {
      await trx.updateTable('bank.cards')
        .set((eb) => ({ day_count: eb('day_count', '-', 1), day_total_minor: eb('day_total_minor', '-', authorization.amount_minor) }))
        .where('id', '=', authorization.card_id).where('day_business_date', '=', authorization.business_date)
        .execute();
    }
    await trx.updateTable('bank.authorizations').set({ reversed_at: at, reversal_entry_id: undone.entryId ?? null })
      .where('id', '=', authorization.id).execute();
    return { ...base, ...undone };
  }, { isolation: 'read committed' });
}

async function undo(
  trx: Transaction<BankDatabase>, context: BankContext, authorization: AuthorizationRow, at: Date,
): Promise<{ effect: ReversalEffect; holdId?: string; entryId?: string }> {
  if (authorization.hold_id !== null) {
    const hold = await findHold(trx, authorization.hold_id, { lock: true });
    if (hold === undefined) throw bankError(BankErrorCode.state, 'an approved preauthorization lost its hold');
    if (hold.status === 'open') {
      await releaseHold(trx, hold, at);
      return { effect: 'hold-released', holdId: hold.id };
    }
    if (hold.status === 'released') return { effect: 'nothing-outstanding', holdId: hold.id };
  }
  const cardAccount = await accountOfAuthorization(trx, authorization);
  const posted = authorization.kind === 'refund' ? -authorization.amount_minor : await netDebited(trx, authorization);
  if (posted === 0n) return { effect: 'nothing-outstanding' };
  if (posted < 0n) {
    // Taking back a refund needs the customer's money to be there; the CHECK constraint would refuse otherwise.
    const account = await trx.selectFrom('bank.accounts').select('available_balance_minor').where('id', '=', cardAccount).forNoKeyUpdate().executeTakeFirstOrThrow();
    if (account.available_balance_minor < -posted) throw bankError(BankErrorCode.ledgerRefused, 'the customer\'s available balance cannot cover taking back this refund');
  }
  const clearing = await systemAccountId(trx, 'issuer_clearing', authorization.currency);
  const entryId = await postEntry(trx, context.random, {
    kind: 'reversal', authorizationId: authorization.id, merchantId: authorization.merchant_id, businessDate: businessDateOf(at.getTime()),
    description: `reversal of ${authorization.kind} ${authorization.stan}`,
    postings: [
      { accountId: cardAccount, currency: authorization.currency, amountMinor: posted },
      { accountId: clearing, currency: authorization.currency, amountMinor: -posted },
    ],
  });
  return { effect: 'entry-reversed', entryId };
}

async function accountOfAuthorization(trx: Transaction<BankDatabase>, authorization: AuthorizationRow): Promise<string> {
  if (authorization.card_id === null) throw bankError(BankErrorCode.state, 'an approved authorization has no card');
  const card = await trx.selectFrom('bank.cards').select('account_id').where('id', '=', authorization.card_id).executeTakeFirstOrThrow();
  return card.account_id;
}

/** What the customer is still out of pocket for a purchase or a captured preauthorization: posted less refunded. */
export async function netDebited(trx: Transaction<BankDatabase>, authorization: AuthorizationRow): Promise<bigint> {
  let posted = 0n;
  if (authorization.kind === 'purchase') posted = authorization.amount_minor;
  if (authorization.kind === 'preauth' && authorization.hold_id !== null) {
    const hold = await findHold(trx, authorization.hold_id);
    posted = hold?.status === 'captured' ? hold.capturedMinor : 0n;
  }
  const refunded = await trx.selectFrom('bank.authorizations')
    .select(sql<bigint>`coalesce(sum(amount_minor), 0)::bigint`.as('total'))
    .where('original_authorization_id', '=', authorization.id).where('response_code', '=', ResponseCode.approved).where('reversed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return posted - refunded.total;
}
