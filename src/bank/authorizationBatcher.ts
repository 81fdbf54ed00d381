import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { DatabaseErrorCode, inTransaction, isUniqueViolation, sqlState } from '../infra/db/index.js';
import { isTesseraError } from '../lib/errors.js';
import type { AuthorizationResult } from './authorizationRecord.js';
import { prepareAuthorization, type AuthorizeRequest, type PendingAuthorization } from './authorize.js';
import { batchTransaction, executeAuthorizationBatch, type BatchOutcome } from './authorizeBatch.js';
import type { BankContext } from './context.js';
import {
  AUTHORIZATION_BATCH_ATTEMPTS_MAX, AUTHORIZATION_BATCH_SIZE, AUTHORIZATION_BATCH_SIZE_MAX, AUTHORIZATION_LANES, AUTHORIZATION_LANES_MAX, AUTHORIZATION_QUEUE_LENGTH_MAX,
  AUTHORIZATION_ROUNDS_MAX,
} from './limits.js';
import { ResponseCode } from './responseCodes.js';

/**
 * Group commit for the issuer (docs/bank.md "Group commit"), as TigerBeetle batches: concurrent
 * authorizations queue; one batch (up to AUTHORIZATION_BATCH_SIZE_MAX, or whatever arrived while
 * the lanes were busy) runs in ONE transaction with one COMMIT, and every caller is answered only
 * after the COMMIT that holds its authorization. Up to `lanes` batches run at once, each on its own
 * connection: while one waits for its COMMIT (the WAL flush) or for the server, the next is read
 * and decided. Batches are READ COMMITTED transactions that lock their request keys and accounts
 * before they read (locks.ts), so two batches on one account take turns, and so do batches of
 * other processes, reversals, captures and refunds.
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
 * Runs `items` as one batch and answers each. A conflict (a deadlock the server broke: 40P01; the
 * locks are taken in one order, so this is a backstop) reruns the whole batch (up to
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
    return await inTransaction(context.db, (trx) => executeAuthorizationBatch(trx, context, items), { ...batchTransaction(items), attemptsMax: AUTHORIZATION_BATCH_ATTEMPTS_MAX });
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
      const [outcome] = await inTransaction(context.db, (trx) => executeAuthorizationBatch(trx, context, [item]), batchTransaction([item]));
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
  /** Most batches that ran at once (at most the lanes). */
  busyLanesMax: number;
}

export interface AuthorizationBatcher {
  /** Same contract as `authorize(context, request)`, answered after the COMMIT of the batch it joined. */
  authorize(request: AuthorizeRequest): Promise<AuthorizationResult>;
  /** Counters since creation (for the benchmark and the operator). */
  readonly statistics: Readonly<BatcherStatistics>;
  /** Batches that may run at once. */
  readonly lanes: number;
}

export interface AuthorizationBatcherOptions {
  /** AUTHORIZATION_BATCH_SIZE by default, at most AUTHORIZATION_BATCH_SIZE_MAX; 1 turns group commit off (one transaction per authorization). */
  readonly batchSizeMax?: number;
  /** Batches running at once, 1..AUTHORIZATION_LANES_MAX (AUTHORIZATION_LANES by default); each holds a pool connection while it runs. */
  readonly lanes?: number;
}

interface Waiting {
  readonly pending: PendingAuthorization;
  readonly resolve: (result: AuthorizationResult) => void;
  readonly reject: (error: unknown) => void;
}

export function createAuthorizationBatcher(context: BankContext, options: AuthorizationBatcherOptions = {}): AuthorizationBatcher {
  const batchSizeMax = options.batchSizeMax ?? AUTHORIZATION_BATCH_SIZE;
  assert.ok(Number.isSafeInteger(batchSizeMax) && batchSizeMax >= 1 && batchSizeMax <= AUTHORIZATION_BATCH_SIZE_MAX,
    `batchSizeMax must be 1..${AUTHORIZATION_BATCH_SIZE_MAX}, got ${batchSizeMax}`);
  const lanes = options.lanes ?? AUTHORIZATION_LANES;
  assert.ok(Number.isSafeInteger(lanes) && lanes >= 1 && lanes <= AUTHORIZATION_LANES_MAX, `lanes must be 1..${AUTHORIZATION_LANES_MAX}, got ${lanes}`);
  const statistics: BatcherStatistics = { batches: 0, authorizations: 0, largestBatch: 0, splits: 0, busyLanesMax: 0 };
  const queue: Waiting[] = [];
  let running = 0;
  let scheduled = false;

  const runBatch = async (batch: Waiting[]): Promise<void> => {
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
  };

  // PANs of the batches running now: a card's later request waits until its earlier one is
  // decided, so a card's requests are decided in arrival order (its ATCs rise in order) even when
  // they would fall into two lanes.
  const panCounts = new Map<string, number>();
  const countPans = (batch: readonly Waiting[], step: 1 | -1): void => {
    for (const { pending } of batch) {
      const count = (panCounts.get(pending.request.pan) ?? 0) + step;
      if (count === 0) panCounts.delete(pending.request.pan);
      else panCounts.set(pending.request.pan, count);
    }
  };

  /** Up to batchSizeMax waiting requests, oldest first, leaving those of a card that is in a running batch (and the card's later ones). */
  const cutBatch = (): Waiting[] => {
    if (panCounts.size === 0) return queue.splice(0, batchSizeMax);
    const batch: Waiting[] = [];
    const held = new Set<string>();
    let kept = 0;
    for (const waiting of queue) {
      const pan = waiting.pending.request.pan;
      if (batch.length < batchSizeMax && !panCounts.has(pan) && !held.has(pan)) batch.push(waiting);
      else {
        held.add(pan);
        queue[kept++] = waiting;
      }
    }
    queue.length = kept;
    return batch;
  };

  // Starts batches while a lane is free and requests wait. Called on the turn after a request
  // arrives or a batch ends, so that requests of the same turn (one socket read, a Promise.all,
  // the callers a finished batch just answered) join one batch. Each batch takes up to
  // batchSizeMax: more waiting than that is what fills a second lane, whose reads and decisions
  // then overlap the first one's COMMIT.
  const pump = (): void => {
    scheduled = false;
    while (running < lanes && queue.length > 0) {
      const batch = cutBatch();
      if (batch.length === 0) return; // all waiting cards are in running batches: their end schedules the next
      running += 1;
      statistics.busyLanesMax = Math.max(statistics.busyLanesMax, running);
      countPans(batch, 1);
      void runBatch(batch).finally(() => {
        running -= 1;
        countPans(batch, -1);
        schedule();
      });
    }
  };
  const schedule = (): void => {
    if (scheduled || queue.length === 0) return;
    scheduled = true;
    setImmediate(pump);
  };

  return {
    statistics,
    lanes,
    async authorize(request) {
      const prepared = prepareAuthorization(request);
      if ('refused' in prepared) return prepared.refused;
      // A limit on the queue: past it the issuer is overloaded, and says so at once (91) rather than late.
      if (queue.length >= AUTHORIZATION_QUEUE_LENGTH_MAX) return BUSY;
      const answer = new Promise<AuthorizationResult>((resolve, reject) => {
        queue.push({ pending: prepared.pending, resolve, reject });
      });
      schedule();
      return answer;
    },
  };
}
