import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ColumnType, Kysely, Transaction } from 'kysely';
import { bytesEqual } from '../../lib/bytes.js';
import { TesseraError } from '../../lib/errors.js';
import { IdempotencyErrorCode, isUniqueViolation } from './errors.js';
import { REQUEST_HASH_BYTES } from './hashRequest.js';
import { inTransaction } from './inTransaction.js';
import { queryTemplate, type QueryTemplate } from './queryTemplate.js';
import type { TransactionOptions } from './inTransaction.js';
import { assertSchemaName } from './migrate.js';
import type { Migration } from './migrate.js';

/**
 * Idempotency keys (DESIGN.md §4), with Stripe's semantics: the first request with a key runs
 * and its response is stored; a retry with the same key and the same request gets the stored
 * response; the same key with another request is a conflict; a retry while the first is still
 * running is told so.
 *
 * A request is one transaction. It first takes a transaction-scoped advisory lock named after the
 * key, without waiting, and reads the key's row in the same statement: a concurrent duplicate
 * finds the lock taken and is told "in progress" at once, as it would find a committed claim. The
 * caller's writes and the stored response then commit together, so a crash leaves either both or
 * neither, and a crashed owner's lock goes with its session: there is nothing to take over.
 *
 * The row read may predate a duplicate that committed just before the lock was granted; the final
 * write is conditional on the row it read, so that request's work is rolled back and it runs again,
 * to replay (READ COMMITTED: a unique violation or no row updated; SERIALIZABLE: a serialization
 * failure, which inTransaction retries).
 * Rows in the `in_progress` state are claims written by the earlier two-transaction design (an
 * instance of it may run beside this one during an upgrade); they are honoured, leases included.
 */

export const IDEMPOTENCY_TABLE = 'idempotency_keys';
/** How long a key is remembered; after that it may be reused as a new request (Stripe: 24 h). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim of the two-transaction design stayed exclusive without its work committing. This
 * store writes no claims (a crashed owner's advisory lock ends with its session); the option is
 * still validated so that existing configurations keep working.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
export const IDEMPOTENCY_SCOPE_LENGTH_MAX = 255;
/** Stored response bodies at most; mutating APIs answer with one resource, not a listing. */
export const IDEMPOTENCY_RESPONSE_BYTES_MAX = 1_048_576;
/** Rows one purgeExpired call deletes at most, so that one statement never holds locks for long. */
export const IDEMPOTENCY_PURGE_BATCH_ROWS_MAX = 1_000;
/** Runs of one request when its key's row changes between reading and writing (a racing duplicate). */
const CLAIM_ROUNDS_MAX = 3;

/** Idempotency keys: visible ASCII, as Stripe accepts (`Idempotency-Key` header, RFC 9110 token-ish). */
const KEY_PATTERN = /^[\x21-\x7E]+$/;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface IdempotencyRequest {
  /** Who owns the key and for which operation, e.g. `merchant:42` or `sp:7:POST /ses`; server-chosen. */
  readonly scope: string;
  /** The client's key, from the `Idempotency-Key` header. */
  readonly key: string;
  /** `hashRequest({ method, path, body })`. */
  readonly requestHash: Uint8Array;
}

/** What the work returns: the HTTP answer to store and replay. `body` must be JSON data. */
export interface IdempotentResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface IdempotencyOutcome {
  /** True when the response is the stored one from an earlier request. */
  readonly replayed: boolean;
  readonly status: number;
  /** Always the body as stored (JSON round trip), so a first answer and a replay look alike. */
  readonly body: JsonValue;
}

export interface IdempotencyStoreOptions {
  /** The service's schema, which holds its own idempotency table (see idempotencyMigration). */
  readonly schema: string;
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now?: () => number;
  readonly retentionMs?: number;
  readonly leaseMs?: number;
}

export interface IdempotencyStore {
  /**
   * Runs `work` once per (scope, key). `work` receives the transaction in which its response
   * is stored and must do all its writes through it; it can run more than once on a
   * serialization retry, so it makes no network calls (CONVENTIONS: record the intent, commit,
   * then call out). If it throws, nothing is stored and the key is free for a retry; to
   * remember a refusal (a decline), return it as a response instead.
   */
  run<DB>(
    db: Kysely<DB>,
    request: IdempotencyRequest,
    work: (trx: Transaction<DB>) => Promise<IdempotentResponse>,
    options?: TransactionOptions,
  ): Promise<IdempotencyOutcome>;
  /** Deletes up to IDEMPOTENCY_PURGE_BATCH_ROWS_MAX expired keys; returns how many. Call until below the batch. */
  purgeExpired<DB>(db: Kysely<DB>): Promise<number>;
}

interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: Uint8Array;
  state: 'in_progress' | 'completed';
  claim_token: string | null;
  lease_expires_at: Date | null;
  response_status: number | null;
  // Written as JSON text (see storableResponse), read back parsed.
  response_body: ColumnType<JsonValue | null, string | null, string | null>;
  created_at: Date;
  completed_at: Date | null;
}

interface IdempotencyDatabase {
  idempotency_keys: IdempotencyKeyTable;
}

/**
 * The migration that creates `<schema>.idempotency_keys`. A service lists it in its own
 * migrations, at the position it first needs it; its name is fixed, so it is recorded once.
 */
export function idempotencyMigration(schema: string): Migration {
  assertSchemaName(schema);
  return {
    name: 'infra.idempotency_keys.1',
    async up(db) {
      const table = sql.table(`${schema}.${IDEMPOTENCY_TABLE}`);
      await sql`create table ${table} (
        scope text not null check (length(scope) between 1 and ${sql.lit(IDEMPOTENCY_SCOPE_LENGTH_MAX)}),
        key text not null check (length(key) between 1 and ${sql.lit(IDEMPOTENCY_KEY_LENGTH_MAX)}),
        request_hash bytea not null check (length(request_hash) = ${sql.lit(REQUEST_HASH_BYTES)}),
        state text not null check (state in ('in_progress', 'completed')),
        claim_token text,
        lease_expires_at timestamptz,
        response_status integer check (response_status between 100 and 599),
        response_body jsonb,
        created_at timestamptz not null,
        completed_at timestamptz,
        primary key (scope, key),
        check ((state = 'completed') = (response_status is not null and response_body is not null and completed_at is not null)),
        check ((state = 'in_progress') = (claim_token is not null and lease_expires_at is not null))
      )`.execute(db);
      await sql`create index ${sql.id(`${IDEMPOTENCY_TABLE}_created_at`)} on ${table} (created_at)`.execute(db);
    },
  };
}

function assertRequest(request: IdempotencyRequest): void {
  assert.ok(request.scope.length >= 1 && request.scope.length <= IDEMPOTENCY_SCOPE_LENGTH_MAX, 'idempotency scope length');
  assert.equal(request.requestHash.length, REQUEST_HASH_BYTES, 'requestHash must be a SHA-256 digest');
  if (request.key.length < 1 || request.key.length > IDEMPOTENCY_KEY_LENGTH_MAX || !KEY_PATTERN.test(request.key)) {
    throw new TesseraError(
      IdempotencyErrorCode.keyInvalid,
      `an idempotency key is 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} visible ASCII characters`,
      { httpStatus: 400 },
    );
  }
}

interface StoredResponse {
  readonly status: number;
  readonly bodyJson: string;
}

/** Programmer errors, not request errors: the service builds the response. */
function storableResponse(response: IdempotentResponse): StoredResponse {
  assert.ok(Number.isInteger(response.status) && response.status >= 100 && response.status <= 599, `HTTP status ${response.status}`);
  const bodyJson = JSON.stringify(response.body) as string | undefined;
  assert.ok(bodyJson !== undefined, 'the response body must be JSON data');
  assert.ok(Buffer.byteLength(bodyJson, 'utf8') <= IDEMPOTENCY_RESPONSE_BYTES_MAX,
    `response body over ${IDEMPOTENCY_RESPONSE_BYTES_MAX} bytes`);
  return { status: response.status, bodyJson };
}

function inProgress(): TesseraError {
  return new TesseraError(
    IdempotencyErrorCode.inProgress,
    'a request with this idempotency key is still being processed; retry later',
    { httpStatus: 409 },
  );
}

function conflict(): TesseraError {
  return new TesseraError(
    IdempotencyErrorCode.conflict,
    'this idempotency key was already used with a different request',
    { httpStatus: 409 },
  );
}

/** Thrown inside the transaction when the key's row changed after it was read: roll back, run again. */
class KeyChangedMeanwhile extends Error {}

interface ClaimContext {
  readonly request: IdempotencyRequest;
  readonly nowMs: number;
  readonly retentionMs: number;
}

/** A key's row as read back (response_body parsed). */
interface KeyRow {
  readonly request_hash: Uint8Array;
  readonly state: 'in_progress' | 'completed';
  readonly claim_token: string | null;
  readonly lease_expires_at: Date | null;
  readonly response_status: number | null;
  readonly response_body: JsonValue | null;
  readonly created_at: Date;
}

function asStore<DB>(db: Kysely<DB>, schema: string): Kysely<IdempotencyDatabase> {
  // The table lives in the service's schema but not in its Database interface.
  return asIdempotencyDatabase(db).withSchema(schema);
}

function asIdempotencyDatabase<DB>(db: Kysely<DB>): Kysely<IdempotencyDatabase> {
  return db as unknown as Kysely<IdempotencyDatabase>;
}

/**
 * The advisory lock of a key: the first 8 bytes of SHA-256 over (schema, scope, key), as a signed
 * bigint. Single-key advisory locks never meet the two-key ones (migrate.ts); a collision between
 * two live keys (2^-64) would only answer one of them "in progress", which a client retries.
 */
function advisoryLockKey(schema: string, request: IdempotencyRequest): string {
  const digest = createHash('sha256').update(JSON.stringify([schema, request.scope, request.key])).digest();
  return digest.readBigInt64BE(0).toString();
}

/** A row past retention is forgotten, unless a live claim is working on it right now. */
function isExpired(row: Pick<KeyRow, 'created_at' | 'state' | 'lease_expires_at'>, context: ClaimContext): boolean {
  const live = row.state === 'in_progress' && row.lease_expires_at !== null && row.lease_expires_at.getTime() > context.nowMs;
  return !live && row.created_at.getTime() <= context.nowMs - context.retentionMs;
}

type LockAndReadRow = { locked: boolean } & { [K in keyof KeyRow]: KeyRow[K] | null };

/** The statements every request makes, as query templates over the service's schema (built once per store). */
interface KeyStatements {
  readonly lockAndRead: QueryTemplate<{ lockKey: string; scope: string; key: string }, LockAndReadRow, IdempotencyDatabase>;
  readonly insertCompleted: QueryTemplate<{ scope: string; key: string; requestHash: Uint8Array; status: number; bodyJson: string; at: Date }, unknown, IdempotencyDatabase>;
}

function keyStatements(schema: string): KeyStatements {
  const table = sql.table(`${schema}.${IDEMPOTENCY_TABLE}`);
  return {
    // One statement: the key's advisory lock (without waiting) and its row, if any.
    lockAndRead: queryTemplate((db, v) => ({
      compile: () => sql<LockAndReadRow>`
        select held.locked, k.request_hash, k.state, k.claim_token, k.lease_expires_at, k.response_status, k.response_body, k.created_at
        from (select pg_try_advisory_xact_lock(${v.lockKey}::bigint) as locked) as held
        left join ${table} as k on k.scope = ${v.scope} and k.key = ${v.key}`.compile(db),
    })),
    // Every request of the service ends here. A plain INSERT (no ON CONFLICT) is the cheapest on
    // PGlite; a key stored meanwhile fails it (unique violation, or a serialization failure that
    // inTransaction retries), and the transaction is rolled back either way.
    insertCompleted: queryTemplate((db, v) => ({
      compile: () => sql`
        insert into ${table}
          (scope, key, request_hash, state, claim_token, lease_expires_at, response_status, response_body, created_at, completed_at)
        values (${v.scope}, ${v.key}, ${v.requestHash}, 'completed', null, null, ${v.status}, ${v.bodyJson}::jsonb, ${v.at}, ${v.at})`.compile(db),
    })),
  };
}

/**
 * The key's advisory lock, taken without waiting, and its row, if any. `locked` false means
 * another transaction is running this key right now.
 */
async function lockAndReadKey<DB>(trx: Transaction<DB>, statements: KeyStatements, schema: string, request: IdempotencyRequest): Promise<{ locked: boolean; row: KeyRow | undefined }> {
  const result = await statements.lockAndRead.execute(asIdempotencyDatabase(trx), { lockKey: advisoryLockKey(schema, request), scope: request.scope, key: request.key });
  const found = result.rows[0];
  assert.ok(found !== undefined, 'the lock statement returns one row');
  if (found.request_hash === null || found.state === null || found.created_at === null) return { locked: found.locked, row: undefined };
  return {
    locked: found.locked,
    row: {
      request_hash: found.request_hash, state: found.state, claim_token: found.claim_token, lease_expires_at: found.lease_expires_at,
      response_status: found.response_status, response_body: found.response_body, created_at: found.created_at,
    },
  };
}

/**
 * What an existing row means for this request: a replay, a refusal (thrown), or undefined when
 * the request runs (the row expired, or its claim's owner died). Same rules as Stripe's.
 */
function decideOnRow(row: KeyRow, context: ClaimContext): IdempotencyOutcome | undefined {
  if (isExpired(row, context)) return undefined;
  if (!bytesEqual(row.request_hash, context.request.requestHash)) throw conflict();
  if (row.state === 'completed') {
    assert.ok(row.response_status !== null && row.response_body !== null, 'completed idempotency row without a response');
    return { replayed: true, status: row.response_status, body: row.response_body };
  }
  assert.ok(row.lease_expires_at !== null && row.claim_token !== null, 'in-progress idempotency row without a claim');
  if (row.lease_expires_at.getTime() > context.nowMs) throw inProgress();
  return undefined; // a claim whose owner died: this request takes it over
}

/**
 * Stores the response, conditional on the row being what was read (absent, expired, or a dead
 * claim); false when it changed meanwhile.
 */
async function storeResponse<DB>(
  trx: Transaction<DB>,
  statements: KeyStatements,
  schema: string,
  context: ClaimContext,
  previous: KeyRow | undefined,
  response: StoredResponse,
): Promise<boolean> {
  const { request, nowMs } = context;
  const completed = {
    state: 'completed' as const,
    claim_token: null,
    lease_expires_at: null,
    response_status: response.status,
    response_body: response.bodyJson,
    completed_at: new Date(nowMs),
  };
  if (previous === undefined) {
    try {
      await statements.insertCompleted.execute(asIdempotencyDatabase(trx), {
        scope: request.scope, key: request.key, requestHash: request.requestHash, status: response.status, bodyJson: response.bodyJson, at: completed.completed_at,
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    return true;
  }
  const store = asStore(trx, schema);
  const thisRow = store.updateTable('idempotency_keys').where('scope', '=', request.scope).where('key', '=', request.key);
  if (isExpired(previous, context)) {
    // The conditions are repeated in SQL: the row may have changed since it was read.
    const replaced = await thisRow.set({ request_hash: request.requestHash, created_at: new Date(nowMs), ...completed })
      .where('created_at', '<=', new Date(nowMs - context.retentionMs))
      .where((eb) => eb.or([eb('state', '=', 'completed'), eb('lease_expires_at', '<=', new Date(nowMs))]))
      .returning('key').executeTakeFirst();
    return replaced !== undefined;
  }
  assert.ok(previous.claim_token !== null, 'only a dead claim is taken over');
  const taken = await thisRow.set(completed)
    .where('state', '=', 'in_progress').where('claim_token', '=', previous.claim_token)
    .returning('key').executeTakeFirst();
  return taken !== undefined;
}

export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { schema } = options;
  assertSchemaName(schema);
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
  const leaseMs = options.leaseMs ?? IDEMPOTENCY_LEASE_MS;
  assert.ok(Number.isSafeInteger(retentionMs) && retentionMs > 0, 'retentionMs');
  assert.ok(Number.isSafeInteger(leaseMs) && leaseMs > 0 && leaseMs < retentionMs, 'leaseMs must be positive and below retentionMs');
  const statements = keyStatements(schema);

  /** One attempt, in one transaction: lock and read the key, then replay, refuse, or run and store. */
  async function runOnce<DB>(trx: Transaction<DB>, request: IdempotencyRequest, work: (trx: Transaction<DB>) => Promise<IdempotentResponse>): Promise<IdempotencyOutcome> {
    const context: ClaimContext = { request, nowMs: now(), retentionMs };
    const { locked, row } = await lockAndReadKey(trx, statements, schema, request);
    // A stored response is replayed and a different request refused whoever holds the lock (two
    // replays may meet); otherwise a taken lock means the key's first request is running now.
    const decided = row === undefined ? undefined : decideOnRow(row, context);
    if (decided !== undefined) return decided;
    if (!locked) throw inProgress();
    const response = storableResponse(await work(trx));
    if (!await storeResponse(trx, statements, schema, context, row, response)) throw new KeyChangedMeanwhile();
    return { replayed: false, status: response.status, body: JSON.parse(response.bodyJson) as JsonValue };
  }

  return {
    async run(db, request, work, transactionOptions) {
      assertRequest(request);
      for (let round = 0; round < CLAIM_ROUNDS_MAX; round++) {
        try {
          return await inTransaction(db, (trx) => runOnce(trx, request, work), transactionOptions);
        } catch (error) {
          if (!(error instanceof KeyChangedMeanwhile)) throw error;
        }
      }
      // The row keeps changing under us: someone else is busy with this key.
      throw inProgress();
    },

    async purgeExpired(db) {
      const nowMs = now();
      const table = sql.table(`${schema}.${IDEMPOTENCY_TABLE}`);
      const result = await sql`
        delete from ${table} where (scope, key) in (
          select scope, key from ${table}
          where created_at <= ${new Date(nowMs - retentionMs)}
            and not (state = 'in_progress' and lease_expires_at > ${new Date(nowMs)})
          limit ${sql.lit(IDEMPOTENCY_PURGE_BATCH_ROWS_MAX)}
        )`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}
