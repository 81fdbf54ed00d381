import { inTransaction } from '../infra/db/index.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { findHold, moveBalances, postEntry, systemAccountId } from './ledger.js';
import { businessDateOf } from './support.js';

export interface CaptureResult {
  readonly holdId: string;
  readonly entryId: string;
  readonly capturedMinor: bigint;
  /** The part of the hold given back (a partial capture releases the rest). */
  readonly releasedMinor: bigint;
  /** True when the hold had already been captured with this amount (a retried capture). */
  readonly replayed: boolean;
}

/**
 * Completes a preauthorization: the hold is released in full and the captured amount (at most
 * the hold's, all of it by default) is posted from the customer to issuer clearing. Idempotent:
 * capturing a captured hold again with the same amount (or none) answers the first capture;
 * another amount is a conflict.
 */
export async function capture(context: BankContext, holdId: string, amountMinor?: bigint): Promise<CaptureResult> {
  // READ COMMITTED with the hold locked (locks.ts): a reversal of the same preauthorization takes turns with this.
  return inTransaction(context.db, async (trx) => {
    const hold = await findHold(trx, holdId, { lock: true });
    if (hold === undefined) throw bankError(BankErrorCode.notFound, 'no such hold');
    const amount = amountMinor ?? hold.amountMinor;
    if (hold.status === 'captured' && hold.captureEntryId !== null) {
      if (amountMinor !== undefined && amountMinor !== hold.capturedMinor) throw bankError(BankErrorCode.conflict, 'the hold was already captured with another amount');
      return { holdId, entryId: hold.captureEntryId, capturedMinor: hold.capturedMinor, releasedMinor: hold.amountMinor - hold.capturedMinor, replayed: true };
    }
    if (hold.status !== 'open') throw bankError(BankErrorCode.state, 'the hold was released (reversed); it cannot be captured');
    if (amount <= 0n || amount > hold.amountMinor) throw bankError(BankErrorCode.invalid, 'a capture is more than zero and at most the held amount');
    const authorization = await trx.selectFrom('bank.authorizations').select('merchant_id')
      .where('id', '=', hold.authorizationId).executeTakeFirstOrThrow();
    const at = new Date(context.now());
    await trx.updateTable('bank.holds').set({ status: 'released', closed_at: at }).where('id', '=', holdId).execute();
    // The hold gives back all it reserved; the posting below then takes the captured amount for good.
    await moveBalances(trx, hold.accountId, hold.currency, 0n, hold.amountMinor);
    const clearing = await systemAccountId(trx, 'issuer_clearing', hold.currency);
    const entryId = await postEntry(trx, context.random, {
      kind: 'capture', authorizationId: hold.authorizationId, merchantId: authorization.merchant_id, businessDate: businessDateOf(at.getTime()),
      description: `capture at ${authorization.merchant_id.trim()}`,
      postings: [
        { accountId: hold.accountId, currency: hold.currency, amountMinor: -amount },
        { accountId: clearing, currency: hold.currency, amountMinor: amount },
      ],
    });
    await trx.updateTable('bank.holds').set({ status: 'captured', captured_minor: amount, capture_entry_id: entryId }).where('id', '=', holdId).execute();
    return { holdId, entryId, capturedMinor: amount, releasedMinor: hold.amountMinor - amount, replayed: false };
  }, { isolation: 'read committed' });
}
