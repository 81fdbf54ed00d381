import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Generated } from 'kysely';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  DatabaseErrorCode, isUniqueViolation, mapDatabaseError, openDatabase, sqlState,
} from '../../../src/infra/db/index.js';
import { openTestDatabase } from '../../helpers/database.js';
import type { TestDatabase } from '../../helpers/database.js';

interface Database {
  'types.samples': {
    id: Generated<number>;
    amount_minor: bigint;
    amounts_minor: bigint[] | null;
    payload: Uint8Array | null;
    at: Date | null;
    document: unknown;
  };
  'types.accounts': {
    id: string;
    balance_minor: bigint;
  };
  'types.holds': {
    account_id: string;
  };
}

describe('openDatabase', () => {
  let handle: TestDatabase<Database>;

  before(async () => {
    handle = await openTestDatabase<Database>();
    await sql`create schema types`.execute(handle.db);
    await sql`create table types.samples (
      id serial primary key, amount_minor bigint not null, amounts_minor bigint[], payload bytea, at timestamptz, document jsonb
    )`.execute(handle.db);
    await sql`create table types.accounts (id text primary key, balance_minor bigint not null check (balance_minor >= 0))`.execute(handle.db);
    await sql`create table types.holds (account_id text not null references types.accounts (id))`.execute(handle.db);
  });
  after(() => handle.close());

  it('chooses the backend from the environment', () => {
    assert.equal(handle.dialect, process.env['DATABASE_URL'] ? 'postgres' : 'pglite');
  });

  it('round-trips int8 as bigint beyond 2^53, in arrays too', async () => {
    const big = 2n ** 53n + 1n;
    const extremes = [-(2n ** 63n), 2n ** 63n - 1n, big];
    const { id } = await handle.db.insertInto('types.samples')
      .values({ amount_minor: big, amounts_minor: extremes, document: null })
      .returning('id').executeTakeFirstOrThrow();
    const row = await handle.db.selectFrom('types.samples').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.amount_minor, big);
    assert.deepEqual(row.amounts_minor, extremes);
    const sum = await sql<{ total: bigint; rows: bigint }>`select ${big}::int8 + 1 as total, count(*) as rows from types.samples`.execute(handle.db);
    assert.equal(sum.rows[0]?.total, big + 1n);
    assert.equal(typeof sum.rows[0]?.rows, 'bigint', 'count(*) is int8, so a bigint');
  });

  it('round-trips bytea as a plain Uint8Array, timestamptz as Date, jsonb as data', async () => {
    const payload = new Uint8Array([0x00, 0xA4, 0x04, 0x00, 0xFF]);
    const at = new Date('2024-02-29T23:59:59.123Z');
    const document = { list: [1, 'two', null], nested: { ok: true } };
    const { id } = await handle.db.insertInto('types.samples')
      .values({ amount_minor: 1n, payload, at, document: JSON.stringify(document) })
      .returning('id').executeTakeFirstOrThrow();
    const row = await handle.db.selectFrom('types.samples').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(row.payload instanceof Uint8Array);
    assert.equal(Object.getPrototypeOf(row.payload), Uint8Array.prototype, 'not a Buffer');
    assert.deepEqual(row.payload, payload);
    assert.ok(row.at instanceof Date);
    assert.equal(row.at.toISOString(), at.toISOString());
    assert.deepEqual(row.document, document);
  });

  it('reports affected rows of writes', async () => {
    await handle.db.insertInto('types.accounts').values([{ id: 'a', balance_minor: 10n }, { id: 'b', balance_minor: 0n }]).execute();
    const result = await handle.db.updateTable('types.accounts').set({ balance_minor: 5n }).where('id', 'in', ['a', 'b']).executeTakeFirst();
    assert.equal(result.numUpdatedRows, 2n);
  });

  it('runs several statements in one string when there are no parameters', async () => {
    const result = await sql<{ n: number }>`create temporary table scratch (n int); insert into scratch values (1), (2); select count(*)::int as n from scratch`.execute(handle.db);
    assert.deepEqual(result.rows, [{ n: 2 }]);
  });

  it('exposes SQLSTATE and maps constraint violations to typed errors', async () => {
    const cases: Array<[() => Promise<unknown>, string, string, number]> = [
      [() => handle.db.insertInto('types.accounts').values({ id: 'a', balance_minor: 1n }).execute(), '23505', DatabaseErrorCode.uniqueViolation, 409],
      [() => handle.db.updateTable('types.accounts').set({ balance_minor: -1n }).where('id', '=', 'a').execute(), '23514', DatabaseErrorCode.checkViolation, 422],
      [() => handle.db.insertInto('types.holds').values({ account_id: 'nobody' }).execute(), '23503', DatabaseErrorCode.foreignKeyViolation, 409],
    ];
    for (const [attempt, expectedState, expectedCode, expectedStatus] of cases) {
      const error = await attempt().then(() => undefined, (caught: unknown) => caught);
      assert.equal(sqlState(error), expectedState);
      const mapped = mapDatabaseError(error);
      assert.ok(mapped instanceof TesseraError);
      assert.equal(mapped.code, expectedCode);
      assert.equal(mapped.httpStatus, expectedStatus);
      assert.equal(typeof mapped.details?.['constraint'], 'string');
      // Wrapped once more, the state is still found through `cause`.
      assert.equal(sqlState(new TesseraError('ERR_X', 'wrapped', { cause: error })), expectedState);
    }
    const duplicate = await handle.db.insertInto('types.accounts').values({ id: 'a', balance_minor: 1n }).execute().catch((caught: unknown) => caught);
    assert.equal(isUniqueViolation(duplicate, 'accounts_pkey'), true);
    assert.equal(isUniqueViolation(duplicate, 'other_constraint'), false);
    assert.equal(mapDatabaseError(new Error('plain')), undefined);
    assert.equal(sqlState(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), undefined, 'a Node system error is not a SQLSTATE');
  });

  it('keeps parameter values out of database errors', async () => {
    const error = await handle.db.insertInto('types.accounts').values({ id: 'a', balance_minor: 424242n }).execute()
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof Error);
    assert.equal(JSON.stringify(Object.entries(error)).includes('424242'), false);
  });

  it('refuses to commit a transaction that already failed', async () => {
    const error = await handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('types.accounts').values({ id: 'swallowed', balance_minor: 1n }).execute();
      // A careless caller swallows the failure and carries on; PostgreSQL would answer COMMIT with ROLLBACK.
      await trx.insertInto('types.accounts').values({ id: 'a', balance_minor: 1n }).execute().catch(() => undefined);
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof TesseraError);
    assert.equal(error.code, DatabaseErrorCode.transactionAborted);
    const row = await handle.db.selectFrom('types.accounts').select('id').where('id', '=', 'swallowed').executeTakeFirst();
    assert.equal(row, undefined);
  });

  it('supports savepoints in a controlled transaction', async () => {
    const trx = await handle.db.startTransaction().setIsolationLevel('serializable').execute();
    await trx.insertInto('types.accounts').values({ id: 'kept', balance_minor: 1n }).execute();
    const inner = await trx.savepoint('inner "quoted"').execute();
    await inner.insertInto('types.accounts').values({ id: 'undone', balance_minor: 1n }).execute();
    await inner.rollbackToSavepoint('inner "quoted"').execute();
    await trx.commit().execute();
    const ids = await handle.db.selectFrom('types.accounts').select('id').where('id', 'in', ['kept', 'undone']).execute();
    assert.deepEqual(ids, [{ id: 'kept' }]);
  });

  it('refuses streaming rather than buffering a whole result', async () => {
    const stream = handle.db.selectFrom('types.accounts').selectAll().stream();
    await assert.rejects(async () => {
      for await (const _row of stream) { /* never reached */ }
    }, /streaming/);
  });
});

describe('openDatabase on PGlite', () => {
  it('queues callers for its single session and times out a caller that waits on itself', async () => {
    const handle = await openDatabase<Database>({ connectionWaitMsMax: 200 });
    try {
      assert.equal(handle.dialect, 'pglite');
      // Concurrent queries and transactions interleave safely through the queue.
      await Promise.all(Array.from({ length: 20 }, (_, index) => index % 2 === 0
        ? sql`select ${index}::int as n`.execute(handle.db)
        : handle.db.transaction().execute((trx) => sql`select ${index}::int as n`.execute(trx))));
      // Querying `db` inside a transaction on it would wait for ever; it fails with a clear error.
      const error = await handle.db.transaction().execute((_trx) => sql`select 1`.execute(handle.db))
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof TesseraError);
      assert.equal(error.code, DatabaseErrorCode.unavailable);
      assert.match(error.message, /through the transaction/);
    } finally {
      await handle.close();
      await handle.close();
    }
  });

  it('counts the calls into the embedded database and the time spent in them; PostgreSQL has no such figure', async () => {
    const handle = await openDatabase<Database>({});
    try {
      const before = handle.usage();
      assert.ok(before !== undefined);
      await handle.db.transaction().execute(async (trx) => {
        await sql`select ${1}::int as n`.execute(trx);
        await sql`select ${2}::int as n`.execute(trx);
      });
      await sql`select 1 as n`.execute(handle.db);
      const after = handle.usage();
      assert.ok(after !== undefined);
      // Two prepared statements (each prepared first), BEGIN with the first, COMMIT, one simple query.
      assert.equal(after.calls - before.calls, 6);
      assert.ok(after.busyMs > before.busyMs);
    } finally {
      await handle.close();
    }
    const server = await openDatabase<Database>({ databaseUrl: 'postgres://127.0.0.1:1/none', connectionWaitMsMax: 100 });
    try {
      assert.equal(server.usage(), undefined);
    } finally {
      await server.close();
    }
  });

  it('keeps its data in the configured directory across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tessera-pglite-'));
    try {
      const first = await openDatabase<Database>({ dataDir });
      await sql`create schema types; create table types.accounts (id text primary key, balance_minor bigint not null)`.execute(first.db);
      await first.db.insertInto('types.accounts').values({ id: 'persisted', balance_minor: 2n ** 60n }).execute();
      await first.close();
      const second = await openDatabase<Database>({ dataDir });
      try {
        const rows = await second.db.selectFrom('types.accounts').selectAll().execute();
        assert.deepEqual(rows, [{ id: 'persisted', balance_minor: 2n ** 60n }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
