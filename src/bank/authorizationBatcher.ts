import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { DatabaseErrorCode, inTransaction, isUniqueViolation, sqlState } from '../infra/db/index.js';
import { isTesseraError } from '../lib/errors.js';
import type { AuthorizationResult } from './authorizationRecord.js';
import { prepareAuthorization, type AuthorizeRequest, type PendingAuthorization } from './authorize.js';
import { executeAuthorizationBatch, type BatchOutcome } from './authorizeBatch.js';
import type { BankContext } from './context.js';
import {
  AUTHORIZATION_BATCH_ATTEMPTS_MAX, AUTHORIZATION_BATCH_SIZE_MAX, AUTHORIZATION_QUEUE_LENGTH_MAX, AUTHORIZATION_ROUNDS_MAX,
} from './limits.js';
import { ResponseCode } from './responseCodes.js';

/**
 * Group commit for the issuer (docs/bank.md "Group commit"), as TigerBeetle batches: concurrent
 * authorizations queue; one batch (up to AUTHORIZATION_BATCH_SIZE_MAX, or whatever arrived while the
 * previous batch was committing) runs in ONE SERIALIZABLE transaction with one COMMIT, and every
 * caller is answered only after the COMMIT that holds its authorization. One batch at a time per
 * process: batches of one process never conflict with each other, and what the database spends per
 * transaction (round trips, the WAL flush at COMMIT) is shared by the whole batch. Other
 * processes, reversals, captures and refunds run their own transactions; SERIALIZABLE and the
 * retries below keep them correct against a batch.
 */

const BUSY: AuthorizationResult = { approved: false, responseCode: ResponseCode.issuerUnavailable, declineReason: 'issuer-busy', replayed: false };

/** Errors that one item can cause or that a smaller batch may not meet: the batch is split to find out. */
function isSplittable(error: unknown): boolean {
  if (error instanceof AssertionError) return true;
  if (isTesseraError(error) && error.code === DatabaseErrorCode.transactionConflict) return true;
  const state = sqlState(error);
  // Class 22 (data exception) and 23 (integrity constraint violation): bad data of one item.
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

function isConflict(error: unknown): boolean {
  return (isTesseraError(error) && error.code === DatabaseErrorCode.transactionConflict) || isUniqueViolation(error, 'authorizations_request_key');
}

/**
 * Runs `items` as one batch and answers each. A serialization failure reruns the whole batch (up to
 * AUTHORIZATION_BATCH_ATTEMPTS_MAX); if it keeps failing, or a statement fails on one item's data,
 * the batch is split in halves, each run (and split) the same way, earlier half first so arrival
 * order still decides. A single authorization that keeps conflicting gets AUTHORIZATION_ROUNDS_MAX
 * full rounds of retries before it answers 91; one that fails on its own data gets its error.
 * Never throws: an error that concerns the whole batch (the database unreachable) is every item's.
 */
export async function runAuthorizationBatch(
  context: BankContext, items: readonly PendingAuthorization[], statistics?: BatcherStatistics,
): Promise<BatchOutcome[]> {
  assert.ok(items.length > 0);
  try {
    return await inTransaction(context.db, (trx) => executeAuthorizationBatch(trx, context, items), { attemptsMax: AUTHORIZATION_BATCH_ATTEMPTS_MAX });
  } catch (error) {
    const [only] = items;
    if (items.length === 1 && only !== undefined) return [await runAlone(context, only, error)];
    if (!isSplittable(error)) return items.map(() => ({ error }));
    if (statistics !== undefined) statistics.splits += 1;
    const middle = Math.ceil(items.length / 2);
    const first = await runAuthorizationBatch(context, items.slice(0, middle), statistics);
    const second = await runAuthorizationBatch(context, items.slice(middle), statistics);
    return [...first, ...second];
  }
}

async function runAlone(context: BankContext, item: PendingAuthorization, firstError: unknown): Promise<BatchOutcome> {
  if (!isConflict(firstError)) return { error: firstError };
  // Rounds of inTransaction, as a single authorization always had: a lost race on the request key
  // (a retransmission committed by another process) replays on the next round.
  for (let round = 1; round <= AUTHORIZATION_ROUNDS_MAX; round++) {
    try {
      const [outcome] = await inTransaction(context.db, (trx) => executeAuthorizationBatch(trx, context, [item]));
      assert.ok(outcome !== undefined);
      return outcome;
    } catch (error) {
      if (!isConflict(error)) return { error };
    }
  }
  return { result: BUSY };
}

export interface BatcherStatistics {
  /** Transactions started by the batcher for a fresh batch (not counting splits). */
  batches: number;
  authorizations: number;
  largestBatch: number;
  /** Batches split in halves after repeated conflicts or a failing item. */
  splits: number;
}

export interface AuthorizationBatcher {
  /** Same contract as `authorize(context, request)`, answered after the COMMIT of the batch it joined. */
  authorize(request: AuthorizeRequest): Promise<AuthorizationResult>;
  /** Counters since creation (for the benchmark and the operator). */
  readonly statistics: Readonly<BatcherStatistics>;
}

export interface AuthorizationBatcherOptions {
  /** At most AUTHORIZATION_BATCH_SIZE_MAX; 1 turns group commit off (one transaction per authorization, one at a time). */
  readonly batchSizeMax?: number;
}

interface Waiting {
  readonly pending: PendingAuthorization;
  readonly resolve: (result: AuthorizationResult) => void;
  readonly reject: (error: unknown) => void;
}

export function createAuthorizationBatcher(context: BankContext, options: AuthorizationBatcherOptions = {}): AuthorizationBatcher {
  const batchSizeMax = options.batchSizeMax ?? AUTHORIZATION_BATCH_SIZE_MAX;
  assert.ok(Number.isSafeInteger(batchSizeMax) && batchSizeMax >= 1 && batchSizeMax <= AUTHORIZATION_BATCH_SIZE_MAX,
    `batchSizeMax must be 1..${AUTHORIZATION_BATCH_SIZE_MAX}, got ${batchSizeMax}`);
  const statistics: BatcherStatistics = { batches: 0, authorizations: 0, largestBatch: 0, splits: 0 };
  const queue: Waiting[] = [];
  let running = false;

  // One batch at a time: what arrives while a batch commits waits for the next one.
  const run = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSizeMax);
      statistics.batches += 1;
      statistics.authorizations += batch.length;
      statistics.largestBatch = Math.max(statistics.largestBatch, batch.length);
      let outcomes: BatchOutcome[];
      try {
        outcomes = await runAuthorizationBatch(context, batch.map((waiting) => waiting.pending), statistics);
      } catch (error) {
        // runAuthorizationBatch answers every item; this is a bug, and no caller may hang on it.
        outcomes = batch.map(() => ({ error }));
      }
      // Durability rule: only now, after the COMMIT, does any caller of this batch hear back.
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (outcome === undefined) waiting.reject(new Error('the batch lost an answer'));
        else if ('error' in outcome) waiting.reject(outcome.error);
        else waiting.resolve(outcome.result);
      });
    }
    running = false;
  };

  return {
    statistics,
    async authorize(request) {
      const prepared = prepareAuthorization(request);
      if ('refused' in prepared) return prepared.refused;
      // A limit on the queue: past it the issuer is overloaded, and says so at once (91) rather than late.
      if (queue.length >= AUTHORIZATION_QUEUE_LENGTH_MAX) return BUSY;
      const answer = new Promise<AuthorizationResult>((resolve, reject) => {
        queue.push({ pending: prepared.pending, resolve, reject });
      });
      if (!running) {
        running = true;
        // Requests of the same turn of the event loop (one socket read, a Promise.all) join the first batch.
        setImmediate(() => void run());
      }
      return answer;
    },
  };
}
