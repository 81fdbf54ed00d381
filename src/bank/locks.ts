import assert from 'node:assert/strict';
import { sql, type Transaction } from 'kysely';
import type { TransactionKey } from './authorizationRecord.js';
import type { BankDatabase } from './schema.js';

/**
 * The bank's transactions that decide on what they read run at READ COMMITTED and lock first
 * (docs/bank.md "Locks"): the request keys they are about, as transaction-scoped advisory locks,
 * then the rows whose values decide (customer accounts, the original authorization, the hold).
 * Every statement after the locks sees everything committed before them, and whoever holds a lock
 * is the only one deciding on what it guards until COMMIT. Locks are taken in one order: request
 * keys (ascending), then customer accounts (ascending id), then the bank's own accounts, so two
 * transactions never wait for each other in a circle; PostgreSQL's deadlock detector (40P01, retried
 * by inTransaction) is the backstop, not the plan.
 */

/** First key of the two-key advisory locks the bank takes on request keys ("BANK" in ASCII, minus the sign bit). */
export const REQUEST_KEY_LOCK_CLASS = 0x42414e4b & 0x7fffffff;

/** The same string for the same (terminal, STAN, transmission time): field 41, 11 and 7. */
export function requestKeyOf(key: TransactionKey): string {
  return `${key.terminalId}\u0000${key.stan}\u0000${key.transmittedAt.getTime()}`;
}

/**
 * A request key's advisory lock id: 32-bit FNV-1a of `requestKeyOf`, as a signed int4. Two keys
 * with the same id only wait for each other; they never share a decision.
 */
export function requestKeyLockId(key: TransactionKey): number {
  const text = requestKeyOf(key);
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/**
 * The advisory transaction locks of `keys` (each once, ascending) as one literal statement:
 * only the checked integer ids go into the text. Undefined when there is no key.
 */
function requestKeyLocksStatement(keys: Iterable<TransactionKey>): string | undefined {
  const ids = [...new Set([...keys].map(requestKeyLockId))].sort((a, b) => a - b);
  if (ids.length === 0) return undefined;
  for (const id of ids) assert.ok(Number.isSafeInteger(id), 'a lock id is an integer');
  // unnest keeps the array's order, so the locks are taken ascending; count(*) sends one row back.
  return `select count(*) from (select pg_advisory_xact_lock(${REQUEST_KEY_LOCK_CLASS}, k) from unnest('{${ids.join(',')}}'::int4[]) as k) as locked`;
}

/**
 * Takes the advisory transaction locks of `keys`, released at COMMIT or ROLLBACK. An
 * authorization of a key and a reversal naming it therefore never decide at the same time: the
 * second sees what the first committed.
 */
export async function lockRequestKeys(trx: Transaction<BankDatabase>, keys: Iterable<TransactionKey>): Promise<void> {
  const statement = requestKeyLocksStatement(keys);
  if (statement !== undefined) await sql.raw(statement).execute(trx);
}

/**
 * The batch's locks as literal SQL, for `inTransaction`'s prelude (one round trip with START
 * TRANSACTION): the request keys' advisory locks, ascending, then the cards' customer accounts,
 * ascending. Only integers and upper-case hex go into the text, and both are checked.
 */
export function batchLocksPrelude(keys: Iterable<TransactionKey>, panHashesHex: Iterable<string>): string {
  const hashes = [...new Set(panHashesHex)];
  for (const hash of hashes) assert.match(hash, /^[0-9A-F]{64}$/, 'a PAN hash is 32 bytes in upper-case hex');
  const statements: string[] = [];
  const keyLocks = requestKeyLocksStatement(keys);
  if (keyLocks !== undefined) statements.push(keyLocks);
  if (hashes.length > 0) {
    statements.push(`select count(*) from (
      select a.id from bank.accounts as a
       where a.id in (select c.account_id from bank.cards as c
                       where c.pan_hash in (select decode(h, 'hex') from unnest('{${hashes.join(',')}}'::text[]) as h))
       order by a.id
         for no key update of a) as locked`);
  }
  assert.ok(statements.length > 0, 'a batch has something to lock');
  return statements.join(';\n');
}
