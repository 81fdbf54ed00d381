import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import { TesseraError } from '../../lib/errors.js';
import { DatabaseErrorCode, isTransactionConflict } from './errors.js';

/** Attempts of one transaction, the first included, before a conflict is reported to the caller. */
export const TRANSACTION_ATTEMPTS_MAX = 5;
/** Backoff ceiling before the first retry; it doubles per attempt up to the maximum below. */
export const TRANSACTION_RETRY_DELAY_MS_BASE = 10;
export const TRANSACTION_RETRY_DELAY_MS_MAX = 250;

/**
 * SERIALIZABLE is the default: every transaction then behaves as if it ran alone, so invariants
 * checked by reading (a balance, a counter) hold without hand-placed locks. READ COMMITTED is for
 * code that relies on row locks or constraints alone and must not be retried as a whole.
 */
export type TransactionIsolation = 'serializable' | 'read committed';

export interface TransactionOptions {
  readonly isolation?: TransactionIsolation;
  /** At most TRANSACTION_ATTEMPTS_MAX; lower it where a caller retries at a higher level. */
  readonly attemptsMax?: number;
  /** Injected so tests need not wait; defaults to a timer. */
  readonly sleep?: (delayMs: number) => Promise<void>;
  /** Injected so tests can pin the jitter; returns a number in [0, 1). */
  readonly random?: () => number;
  /**
   * Statements sent in the same round trip as START TRANSACTION, for a transaction whose first
   * work is taking locks (the bank's authorization batches). They go by the simple query protocol,
   * without parameters: every value in them must be a literal the caller built from values it
   * checked (numbers, hex), never text from a request.
   */
  readonly prelude?: string;
}

/**
 * "Full jitter" backoff: a uniform delay below an exponentially growing ceiling, so competing
 * retries spread out instead of colliding again in step.
 */
export function retryDelayMs(failedAttempts: number, random: () => number): number {
  assert.ok(Number.isSafeInteger(failedAttempts) && failedAttempts >= 1);
  const exponent = Math.min(failedAttempts - 1, 16);
  const ceilingMs = Math.min(TRANSACTION_RETRY_DELAY_MS_MAX, TRANSACTION_RETRY_DELAY_MS_BASE * 2 ** exponent);
  const fraction = random();
  assert.ok(fraction >= 0 && fraction < 1, 'random() must return a number in [0, 1)');
  return Math.floor(fraction * ceilingMs);
}

/**
 * Runs `fn` in a transaction and commits, or rolls back if it throws. A serialization failure
 * (40001) or deadlock (40P01) reruns `fn` in a fresh transaction, at most `attemptsMax` times in
 * all, and then fails with ERR_DB_TRANSACTION_CONFLICT (503) whose cause is the last conflict.
 * Any other error propagates unchanged.
 *
 * Because `fn` may run more than once it must do nothing but database work through `trx`: no
 * network call, no message sent, no state kept outside between attempts.
 */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  // Retrying needs a transaction of our own; inside another one, a conflict must abort the outer.
  assert.equal(db.isTransaction, false, 'inTransaction needs the database, not a transaction: transactions do not nest');
  const attemptsMax = options.attemptsMax ?? TRANSACTION_ATTEMPTS_MAX;
  assert.ok(Number.isSafeInteger(attemptsMax) && attemptsMax >= 1 && attemptsMax <= TRANSACTION_ATTEMPTS_MAX,
    `attemptsMax must be 1..${TRANSACTION_ATTEMPTS_MAX}, got ${attemptsMax}`);
  const isolation = options.isolation ?? 'serializable';
  const sleep = options.sleep ?? ((delayMs: number) => delay(delayMs));
  const random = options.random ?? Math.random;

  let conflict: unknown;
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    if (attempt > 1) await sleep(retryDelayMs(attempt - 1, random));
    try {
      if (options.prelude === undefined) return await db.transaction().setIsolationLevel(isolation).execute(fn);
      return await runWithPrelude(db, isolation, options.prelude, fn);
    } catch (error) {
      if (!isTransactionConflict(error)) throw error;
      conflict = error;
    }
  }
  throw new TesseraError(
    DatabaseErrorCode.transactionConflict,
    'the transaction kept conflicting with concurrent ones; try again',
    { httpStatus: 503, cause: conflict, details: { attempts: attemptsMax } },
  );
}

/**
 * One transaction on one pooled connection, begun together with `prelude` in one round trip (the
 * simple query protocol runs several statements; the transaction stays open after them), then
 * `fn`, then COMMIT; ROLLBACK if anything before COMMIT throws. A COMMIT that fails has ended the
 * transaction on the server already.
 */
async function runWithPrelude<DB, T>(db: Kysely<DB>, isolation: TransactionIsolation, prelude: string, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  assert.ok(!/^\s*$/.test(prelude), 'a prelude has statements');
  return db.connection().execute(async (connection) => {
    let result: T;
    try {
      await sql.raw(`start transaction isolation level ${isolation}; ${prelude}`).execute(connection);
      // The connection is inside the transaction begun above; fn sees it as its transaction.
      result = await fn(connection as unknown as Transaction<DB>);
    } catch (error) {
      // The connection may be broken; the pool then discards it, and the server ends the transaction.
      await sql.raw('rollback').execute(connection).catch(() => undefined);
      throw error;
    }
    await sql.raw('commit').execute(connection);
    return result;
  });
}
