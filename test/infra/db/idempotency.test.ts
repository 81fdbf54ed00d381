import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  canonicalJson, CANONICAL_JSON_DEPTH_MAX, createIdempotencyStore, hashRequest, IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_RETENTION_MS, IdempotencyErrorCode, idempotencyMigration, migrate, openDatabase,
} from '../../../src/infra/db/index.js';
import type { IdempotencyStore } from '../../../src/infra/db/index.js';
import { openTestDatabase } from '../../helpers/database.js';
import type { TestDatabase } from '../../helpers/database.js';

const SCHEMA = 'shop';

interface Database {
  'shop.payments': { reference: string; amount_minor: bigint };
}

function isCode(code: string): (error: unknown) => boolean {
  return (error) => error instanceof TesseraError && error.code === code;
}

/** The service's own writes: one payment row per executed request. */
async function createPayment(trx: Transaction<Database>, reference: string, amountMinor: bigint) {
  await trx.insertInto('shop.payments').values({ reference, amount_minor: amountMinor }).execute();
  return { status: 201, body: { reference, amountMinor: amountMinor.toString() } };
}

async function paymentCount(db: Kysely<Database>, reference: string): Promise<number> {
  const rows = await db.selectFrom('shop.payments').select('reference').where('reference', '=', reference).execute();
  return rows.length;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((settle) => { resolve = settle; });
  return { promise, resolve };
}

describe('idempotency store', () => {
  let handle: TestDatabase<Database>;
  let nowMs = Date.UTC(2025, 0, 1);
  let store: IdempotencyStore;
  const scope = 'merchant:42';
  const hashA = hashRequest({ method: 'POST', path: '/payments', body: { amount: '100', currency: 'EUR' } });
  const hashB = hashRequest({ method: 'POST', path: '/payments', body: { amount: '999', currency: 'EUR' } });

  before(async () => {
    handle = await openTestDatabase<Database>();
    await migrate(handle.db, SCHEMA, [
      {
        name: '0001_payments',
        async up(db) {
          await db.schema.createTable('shop.payments')
            .addColumn('reference', 'text', (column) => column.notNull())
            .addColumn('amount_minor', 'bigint', (column) => column.notNull())
            .execute();
        },
      },
      idempotencyMigration(SCHEMA),
    ]);
    store = createIdempotencyStore({ schema: SCHEMA, now: () => nowMs });
  });
  after(() => handle.close());

  it('runs the first request and replays the stored response for the same key and request', async () => {
    const first = await store.run(handle.db, { scope, key: 'key-1', requestHash: hashA }, (trx) => createPayment(trx, 'p1', 100n));
    assert.deepEqual(first, { replayed: false, status: 201, body: { reference: 'p1', amountMinor: '100' } });
    let ranAgain = false;
    const replay = await store.run(handle.db, { scope, key: 'key-1', requestHash: hashA }, (trx) => {
      ranAgain = true;
      return createPayment(trx, 'p1', 100n);
    });
    assert.equal(ranAgain, false);
    assert.deepEqual(replay, { ...first, replayed: true });
    assert.equal(await paymentCount(handle.db, 'p1'), 1);
  });

  it('answers a reused key with a different request with ERR_IDEMPOTENCY_CONFLICT (409)', async () => {
    await store.run(handle.db, { scope, key: 'key-2', requestHash: hashA }, (trx) => createPayment(trx, 'p2', 100n));
    const error = await store.run(handle.db, { scope, key: 'key-2', requestHash: hashB }, (trx) => createPayment(trx, 'p2b', 999n))
      .catch((caught: unknown) => caught);
    assert.ok(isCode(IdempotencyErrorCode.conflict)(error));
    assert.equal((error as TesseraError).httpStatus, 409);
    assert.equal(await paymentCount(handle.db, 'p2b'), 0);
  });

  it('keeps scopes apart: the same key in another scope is another request', async () => {
    await store.run(handle.db, { scope: 'merchant:1', key: 'shared', requestHash: hashA }, (trx) => createPayment(trx, 'm1', 1n));
    const other = await store.run(handle.db, { scope: 'merchant:2', key: 'shared', requestHash: hashB }, (trx) => createPayment(trx, 'm2', 2n));
    assert.equal(other.replayed, false);
  });

  it('stores nothing and frees the key when the work throws', async () => {
    await assert.rejects(store.run(handle.db, { scope, key: 'key-3', requestHash: hashA }, async (trx) => {
      await createPayment(trx, 'p3', 100n);
      throw new TesseraError('ERR_TEST_DOWNSTREAM', 'failed after writing');
    }), isCode('ERR_TEST_DOWNSTREAM'));
    assert.equal(await paymentCount(handle.db, 'p3'), 0, 'the business write rolled back');
    const retry = await store.run(handle.db, { scope, key: 'key-3', requestHash: hashA }, (trx) => createPayment(trx, 'p3', 100n));
    assert.equal(retry.replayed, false);
    assert.equal(await paymentCount(handle.db, 'p3'), 1);
  });

  it('writes the response in the business transaction: an unstorable response undoes the writes', async () => {
    await assert.rejects(store.run(handle.db, { scope, key: 'key-4', requestHash: hashA }, async (trx) => {
      await createPayment(trx, 'p4', 100n);
      return { status: 42, body: {} };
    }), assert.AssertionError);
    assert.equal(await paymentCount(handle.db, 'p4'), 0);
  });

  it('answers a duplicate while the first holds a live claim with ERR_IDEMPOTENCY_IN_PROGRESS, and takes over an expired claim', async () => {
    // What an instance of the two-transaction design (during an upgrade) leaves behind when it
    // crashed between its claim and its commit.
    await sql`insert into shop.idempotency_keys (scope, key, request_hash, state, claim_token, lease_expires_at, created_at)
      values (${scope}, 'key-5', ${hashA}, 'in_progress', 'crashed-owner', ${new Date(nowMs + IDEMPOTENCY_LEASE_MS)}, ${new Date(nowMs)})`.execute(handle.db);
    await assert.rejects(
      store.run(handle.db, { scope, key: 'key-5', requestHash: hashA }, (trx) => createPayment(trx, 'p5', 100n)),
      isCode(IdempotencyErrorCode.inProgress),
    );
    await assert.rejects(
      store.run(handle.db, { scope, key: 'key-5', requestHash: hashB }, (trx) => createPayment(trx, 'p5', 100n)),
      isCode(IdempotencyErrorCode.conflict),
      'a different request is a conflict even while the first is in progress',
    );
    nowMs += IDEMPOTENCY_LEASE_MS;
    const outcome = await store.run(handle.db, { scope, key: 'key-5', requestHash: hashA }, (trx) => createPayment(trx, 'p5', 100n));
    assert.equal(outcome.replayed, false);
    assert.equal(await paymentCount(handle.db, 'p5'), 1);
  });

  it('executes concurrent duplicates once: the others see in-progress or the replay', async () => {
    const release = deferred();
    const started = deferred();
    const first = store.run(handle.db, { scope, key: 'key-6', requestHash: hashA }, async (trx) => {
      started.resolve();
      await release.promise;
      return createPayment(trx, 'p6', 100n);
    });
    await started.promise;
    if (handle.dialect === 'postgres') {
      // A second session sees the committed claim at once.
      await assert.rejects(
        store.run(handle.db, { scope, key: 'key-6', requestHash: hashA }, (trx) => createPayment(trx, 'p6', 100n)),
        isCode(IdempotencyErrorCode.inProgress),
      );
      release.resolve();
    } else {
      // PGlite's one session is held by the first request's transaction: the duplicate queues
      // behind it and then gets the stored response.
      const duplicate = store.run(handle.db, { scope, key: 'key-6', requestHash: hashA }, (trx) => createPayment(trx, 'p6', 100n));
      release.resolve();
      assert.equal((await duplicate).replayed, true);
    }
    assert.equal((await first).replayed, false);
    assert.equal(await paymentCount(handle.db, 'p6'), 1);
  });

  it('executes exactly once under a burst of identical requests', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () =>
      store.run(handle.db, { scope, key: 'key-7', requestHash: hashA }, (trx) => createPayment(trx, 'p7', 100n))));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') assert.ok(isCode(IdempotencyErrorCode.inProgress)(outcome.reason), String(outcome.reason));
    }
    const executed = outcomes.filter((outcome) => outcome.status === 'fulfilled' && !outcome.value.replayed);
    assert.equal(executed.length, 1);
    assert.equal(await paymentCount(handle.db, 'p7'), 1);
  });

  it('runs a request in one transaction: the key\'s row appears only with the work\'s writes', async () => {
    const rowsSeenByWork: number[] = [];
    await store.run(handle.db, { scope, key: 'key-8', requestHash: hashA }, async (trx) => {
      const rows = await sql<{ key: string }>`select key from shop.idempotency_keys where scope = ${scope} and key = 'key-8'`.execute(trx);
      rowsSeenByWork.push(rows.rows.length);
      return createPayment(trx, 'p8', 100n);
    });
    assert.deepEqual(rowsSeenByWork, [0], 'no claim row is written before the work');
    const stored = await sql<{ state: string; claim_token: string | null }>`select state, claim_token from shop.idempotency_keys where scope = ${scope} and key = 'key-8'`.execute(handle.db);
    assert.deepEqual(stored.rows, [{ state: 'completed', claim_token: null }]);
  });

  it('replays to duplicates that meet while the response is stored, whoever holds the key\'s lock', async () => {
    await store.run(handle.db, { scope, key: 'key-9', requestHash: hashA }, (trx) => createPayment(trx, 'p9', 100n));
    const replays = await Promise.all(Array.from({ length: 4 }, () =>
      store.run(handle.db, { scope, key: 'key-9', requestHash: hashA }, (trx) => createPayment(trx, 'p9', 100n))));
    assert.ok(replays.every((outcome) => outcome.replayed));
    assert.equal(await paymentCount(handle.db, 'p9'), 1);
  });

  for (const isolation of ['serializable', 'read committed'] as const) {
    it(`rolls the work back and replays when a duplicate committed after the key was read (${isolation}, PostgreSQL)`, async (context) => {
      if (handle.databaseUrl === undefined) {
        context.skip('PGlite has one session: no other transaction can commit in between');
        return;
      }
      const key = `key-10-${isolation.replace(' ', '-')}`;
      const other = await openDatabase<Database>({ databaseUrl: handle.databaseUrl });
      try {
        let attempts = 0;
        const outcome = await store.run(handle.db, { scope, key, requestHash: hashA }, async (trx) => {
          attempts++;
          if (attempts === 1) {
            // What a duplicate does that committed just before this request was granted the key's
            // lock: its stored response is not in this request's snapshot of the row.
            await sql`insert into shop.idempotency_keys (scope, key, request_hash, state, response_status, response_body, created_at, completed_at)
              values (${scope}, ${key}, ${hashA}, 'completed', 201, ${JSON.stringify({ reference: 'first' })}, ${new Date(nowMs)}, ${new Date(nowMs)})`.execute(other.db);
          }
          return createPayment(trx, key, 100n);
        }, { isolation, sleep: () => Promise.resolve() });
        assert.equal(attempts, 1, 'the work does not run again: the second attempt replays');
        assert.deepEqual(outcome, { replayed: true, status: 201, body: { reference: 'first' } });
        assert.equal(await paymentCount(handle.db, key), 0, 'the losing attempt\'s writes rolled back');
      } finally {
        await other.close();
      }
    });
  }

  it('refuses malformed keys with ERR_IDEMPOTENCY_KEY_INVALID (400)', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), 'naïve']) {
      await assert.rejects(
        store.run(handle.db, { scope, key, requestHash: hashA }, (trx) => createPayment(trx, 'never', 1n)),
        (error: unknown) => isCode(IdempotencyErrorCode.keyInvalid)(error) && (error as TesseraError).httpStatus === 400,
        JSON.stringify(key),
      );
    }
  });

  it('forgets keys after IDEMPOTENCY_RETENTION_MS: purge deletes them, and an expired key runs anew', async () => {
    const purgeStore = createIdempotencyStore({ schema: SCHEMA, now: () => nowMs });
    await purgeStore.run(handle.db, { scope: 'purge', key: 'old', requestHash: hashA }, (trx) => createPayment(trx, 'old', 1n));
    await purgeStore.run(handle.db, { scope: 'purge', key: 'reused', requestHash: hashA }, (trx) => createPayment(trx, 'reused', 1n));
    nowMs += IDEMPOTENCY_RETENTION_MS / 2;
    await purgeStore.run(handle.db, { scope: 'purge', key: 'young', requestHash: hashA }, (trx) => createPayment(trx, 'young', 1n));
    nowMs += IDEMPOTENCY_RETENTION_MS / 2;

    // Past retention but not yet purged: the key is new again (with any request).
    const reused = await purgeStore.run(handle.db, { scope: 'purge', key: 'reused', requestHash: hashB }, (trx) => createPayment(trx, 'reused', 2n));
    assert.equal(reused.replayed, false);

    const keysBefore = await sql<{ key: string }>`select key from shop.idempotency_keys where scope = 'purge' order by key`.execute(handle.db);
    assert.deepEqual(keysBefore.rows.map((row) => row.key), ['old', 'reused', 'young']);
    const purged = await purgeStore.purgeExpired(handle.db);
    assert.ok(purged >= 1);
    const keysAfter = await sql<{ key: string }>`select key from shop.idempotency_keys where scope = 'purge' order by key`.execute(handle.db);
    assert.deepEqual(keysAfter.rows.map((row) => row.key), ['reused', 'young']);
    assert.equal(await purgeStore.purgeExpired(handle.db), 0);
  });
});

describe('hashRequest', () => {
  it('is independent of key order and spacing but not of content, method or path', () => {
    const base = hashRequest({ method: 'post', path: '/payments', body: { b: 1, a: [1, { y: true, x: null }] } });
    assert.equal(base.length, 32);
    assert.equal(toHex(hashRequest({ method: 'POST', path: '/payments', body: JSON.parse('{ "a": [1, {"x": null, "y": true}], "b": 1 }') })), toHex(base));
    for (const other of [
      { method: 'PUT', path: '/payments', body: { b: 1, a: [1, { y: true, x: null }] } },
      { method: 'POST', path: '/payments/1', body: { b: 1, a: [1, { y: true, x: null }] } },
      { method: 'POST', path: '/payments', body: { b: 2, a: [1, { y: true, x: null }] } },
      { method: 'POST', path: '/payments', body: { b: 1, a: [{ y: true, x: null }, 1] } },
      { method: 'POST', path: '/payments', body: { b: '1', a: [1, { y: true, x: null }] } },
    ]) {
      assert.notEqual(toHex(hashRequest(other)), toHex(base), JSON.stringify(other));
    }
  });

  it('writes RFC 8785 canonical JSON', () => {
    // RFC 8785 §3.2.3: keys sorted by UTF-16 code units.
    assert.equal(canonicalJson({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ud83d\ude00': 'Emoji', '1': 'One', 'a': 'A' }),
      '{"\\r":"Carriage Return","1":"One","a":"A","€":"Euro Sign","😀":"Emoji"}');
    assert.equal(canonicalJson([1e21, 0.1, -0, 'x', null, true]), '[1e+21,0.1,0,"x",null,true]');
    assert.equal(canonicalJson({ kept: 1, dropped: undefined }), '{"kept":1}');
  });

  it('refuses values that are not JSON data, and nesting beyond the limit', () => {
    const refused = (error: unknown) => error instanceof TesseraError && error.code === IdempotencyErrorCode.bodyInvalid;
    assert.throws(() => canonicalJson(Number.NaN), refused);
    assert.throws(() => canonicalJson({ at: new Date(0) }), refused);
    assert.throws(() => canonicalJson(10n), refused);
    let deep: unknown = 'leaf';
    for (let level = 0; level <= CANONICAL_JSON_DEPTH_MAX; level++) deep = [deep];
    assert.throws(() => canonicalJson(deep), refused);
  });
});
