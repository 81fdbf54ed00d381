import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  auditLedger, createBankService, deposit, getAccount, issueCard, type AuthorizationResult, type BankService,
} from '../../src/bank/client.js';
import { openDatabase, sqlState } from '../../src/infra/db/index.js';
import { createDeterministicRandomSource } from '../../src/lib/crypto/index.js';
import { utf8 } from '../../src/lib/bytes.js';
import type { BankDatabase } from '../../src/bank/schema.js';
import { EXPIRY, openBankHarness, panOf, type BankHarness, type Cardholder } from './harness.js';

/**
 * Group commit (docs/bank.md "Group commit"): concurrent authorizations share one transaction.
 * Every test runs on PGlite and, with DATABASE_URL, on PostgreSQL.
 */

let serial = 5_000;

/** `count` cards on one customer account holding `balanceMinor`. */
async function sharedAccount(harness: BankHarness, count: number, balanceMinor: bigint): Promise<Cardholder[]> {
  const first = await harness.cardholder({ balanceMinor, dailyCountMax: 1_000, dailyLimitMinor: 1_000_000_00n });
  const holders = [first];
  for (let index = 1; index < count; index++) {
    serial += 1;
    const pan = panOf(serial);
    const cardId = await issueCard(harness.context, { accountId: first.accountId, pan, expiry: EXPIRY, psn: 1, dailyCountMax: 1_000, dailyLimitMinor: 1_000_000_00n });
    holders.push({ ...first, cardId, pan, atc: 1 });
  }
  return holders;
}

async function assertBalanced(harness: BankHarness): Promise<void> {
  const report = await auditLedger(harness.context.db);
  assert.equal(report.balanced, true, report.checks.flatMap((check) => check.findings).join('\n'));
}

function codesOf(results: readonly AuthorizationResult[]): Map<string, number> {
  const codes = new Map<string, number>();
  for (const result of results) codes.set(result.responseCode, (codes.get(result.responseCode) ?? 0) + 1);
  return codes;
}

/** Installs a trigger that fails inserts into bank.authorizations: `times` times (40001), or for one STAN (23514). */
async function installFailure(harness: BankHarness, failure: { serializationFailures: number } | { stan: string }): Promise<() => Promise<void>> {
  const db = harness.context.db;
  if ('serializationFailures' in failure) {
    // A sequence is not transactional: the count survives the rollbacks it causes.
    await sql`create sequence bank.test_failures`.execute(db);
    await sql.raw(`
      create function bank.test_fail() returns trigger language plpgsql as $$
      begin
        if nextval('bank.test_failures') <= ${failure.serializationFailures} then
          raise exception 'forced serialization failure' using errcode = '40001';
        end if;
        return new;
      end;
      $$`).execute(db);
  } else {
    assert.match(failure.stan, /^[0-9]{6}$/);
    await sql.raw(`
      create function bank.test_fail() returns trigger language plpgsql as $$
      begin
        if new.stan = '${failure.stan}' then
          raise exception 'forced constraint failure' using errcode = '23514', constraint = 'test_constraint';
        end if;
        return new;
      end;
      $$`).execute(db);
  }
  await sql`create trigger test_fail before insert on bank.authorizations for each row execute function bank.test_fail()`.execute(db);
  return async () => {
    await sql`drop trigger test_fail on bank.authorizations`.execute(db);
    await sql`drop function bank.test_fail()`.execute(db);
    await sql`drop sequence if exists bank.test_failures`.execute(db);
  };
}

describe('bank: group commit of authorizations', () => {
  let harness: BankHarness;
  before(async () => {
    harness = await openBankHarness('batch');
  });
  after(() => harness.close());

  for (const batchSizeMax of [256, 4]) {
    it(`many concurrent authorizations on one account end exactly at zero, never below (batches of up to ${batchSizeMax})`, async () => {
      const service = createBankService(harness.context, { batchSizeMax });
      const holders = await sharedAccount(harness, 10, 50_00n);
      const accountId = holders[0]?.accountId ?? '';
      // 3 requests per card, 2.50 each: funds for 20 of the 30, whatever order they are decided in.
      const requests = holders.flatMap((holder) => [0, 1, 2].map((index) => harness.request(holder, { kind: index === 1 ? 'preauth' : 'purchase', amountMinor: 2_50n })));
      const results = await Promise.all(requests.map((request) => service.authorize(request)));
      const codes = codesOf(results);
      assert.deepEqual([...codes.keys()].sort(), ['00', '51'], JSON.stringify([...codes]));
      assert.equal(codes.get('00'), 20);
      const account = await getAccount(harness.context, accountId);
      assert.equal(account.availableBalanceMinor, 0n);
      assert.ok(service.authorizationStatistics.batches >= (batchSizeMax === 4 ? 8 : 1));
      assert.equal(service.authorizationStatistics.splits, 0);
      await assertBalanced(harness);
    });
  }

  it('a retransmission inside the same batch replays the first answer; another request under the same key answers 94', async () => {
    const service = createBankService(harness.context);
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const request = harness.request(holder, { kind: 'preauth', amountMinor: 30_00n });
    const other = harness.request(holder, { kind: 'preauth', amountMinor: 10_00n });
    const results = await Promise.all([
      service.authorize(request), service.authorize({ ...request }), service.authorize(other), service.authorize({ ...request, amountMinor: 31_00n }),
    ]);
    assert.equal(service.authorizationStatistics.batches, 1, 'the four arrived together and shared one batch');
    const [first, again, second, mismatch] = results;
    assert.ok(first !== undefined);
    assert.equal(first.approved, true);
    assert.equal(first.replayed, false);
    assert.deepEqual({ ...again, replayed: false }, first);
    assert.equal(again?.replayed, true);
    assert.equal(second?.approved, true);
    assert.equal(mismatch?.responseCode, '94');
    assert.equal((await getAccount(harness.context, holder.accountId)).availableBalanceMinor, 60_00n, 'held once for the request, once for the other');
    // And in a later batch, the same answer again.
    const later = await service.authorize(request);
    assert.deepEqual({ ...later, replayed: false }, first);
    await assertBalanced(harness);
  });

  it('an item whose cryptogram check throws gets its error; the rest of its batch commits', async () => {
    const service = createBankService(harness.context);
    const holders = await sharedAccount(harness, 3, 100_00n);
    const failing = new Error('cryptogram check failed');
    const requests = holders.map((holder, index) => harness.request(holder, {
      amountMinor: 10_00n, ...(index === 1 ? { cryptogramCheck: () => { throw failing; } } : {}),
    }));
    const settled = await Promise.allSettled(requests.map((request) => service.authorize(request)));
    assert.equal(service.authorizationStatistics.batches, 1);
    assert.deepEqual(settled.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((settled[1] as PromiseRejectedResult).reason, failing);
    for (const index of [0, 2]) assert.equal((settled[index] as PromiseFulfilledResult<AuthorizationResult>).value.approved, true);
    assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 80_00n);
    // Nothing of the failed one was written: sent again (a good cryptogram now), it is decided afresh.
    const retried = await service.authorize({ ...(requests[1] ?? assert.fail()), cryptogramCheck: harness.request(holders[1] ?? assert.fail()).cryptogramCheck });
    assert.equal(retried.replayed, false);
    assert.equal(retried.approved, true);
    await assertBalanced(harness);
  });

  it('an item the database refuses (a constraint at write time) gets its error; the others commit (the batch is split)', async () => {
    const service = createBankService(harness.context);
    const holders = await sharedAccount(harness, 5, 100_00n);
    const requests = holders.map((holder) => harness.request(holder, { amountMinor: 5_00n }));
    const badStan = requests[3]?.stan ?? assert.fail();
    const remove = await installFailure(harness, { stan: badStan });
    try {
      const settled = await Promise.allSettled(requests.map((request) => service.authorize(request)));
      assert.deepEqual(settled.map((outcome) => outcome.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.equal(sqlState((settled[3] as PromiseRejectedResult).reason), '23514');
      for (const outcome of settled) if (outcome.status === 'fulfilled') assert.equal(outcome.value.approved, true);
      assert.ok(service.authorizationStatistics.splits >= 1);
    } finally {
      await remove();
    }
    assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 80_00n);
    await assertBalanced(harness);
  });

  it('an item with data the database cannot take (a time outside its range) fails alone', async () => {
    const service = createBankService(harness.context);
    const holders = await sharedAccount(harness, 3, 100_00n);
    // A valid JavaScript instant (year -271821) that PostgreSQL's timestamptz cannot hold: the batch's read fails.
    const requests = holders.map((holder, index) => harness.request(holder, { amountMinor: 5_00n, ...(index === 0 ? { transmittedAt: new Date(-8.64e15) } : {}) }));
    const settled = await Promise.allSettled(requests.map((request) => service.authorize(request)));
    assert.deepEqual(settled.map((outcome) => outcome.status), ['rejected', 'fulfilled', 'fulfilled']);
    assert.match(sqlState((settled[0] as PromiseRejectedResult).reason) ?? '', /^22/);
    assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 90_00n);
  });

  for (const failures of [2, 3]) {
    it(`a batch that meets ${failures} serialization failures is retried${failures >= 3 ? ', then split,' : ''} and answers every item (no 91)`, async () => {
      const service = createBankService(harness.context);
      const holders = await sharedAccount(harness, 4, 40_00n);
      const requests = holders.map((holder) => harness.request(holder, { kind: 'preauth', amountMinor: 10_00n }));
      const remove = await installFailure(harness, { serializationFailures: failures });
      let results: AuthorizationResult[];
      try {
        results = await Promise.all(requests.map((request) => service.authorize(request)));
      } finally {
        await remove();
      }
      assert.deepEqual(results.map((result) => result.responseCode), ['00', '00', '00', '00']);
      assert.equal(service.authorizationStatistics.batches, 1);
      assert.equal(service.authorizationStatistics.splits, failures >= 3 ? 1 : 0);
      assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 0n);
      await assertBalanced(harness);
    });
  }

  it('a timed-out preauthorization approved in a batch is reversed: the hold is released', async () => {
    const service = createBankService(harness.context);
    const holders = await sharedAccount(harness, 2, 50_00n);
    const requests = holders.map((holder) => harness.request(holder, { kind: 'preauth', amountMinor: 20_00n }));
    const results = await Promise.all(requests.map((request) => service.authorize(request)));
    assert.ok(results.every((result) => result.approved));
    const reversal = await service.reverse(requests[0] ?? assert.fail());
    assert.equal(reversal.effect, 'hold-released');
    assert.equal(reversal.holdId, results[0]?.holdId);
    assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 30_00n);
    await assertBalanced(harness);
  });

  it('a mixed concurrent run (purchases, preauths, reversals, retransmissions) leaves the audit balanced', async () => {
    const service = createBankService(harness.context, { batchSizeMax: 8 });
    const groups = [await sharedAccount(harness, 4, 30_00n), await sharedAccount(harness, 4, 75_00n)];
    const jobs: Promise<unknown>[] = [];
    for (let round = 0; round < 6; round++) {
      for (const holder of groups.flat()) {
        const request = harness.request(holder, { kind: round % 2 === 0 ? 'purchase' : 'preauth', amountMinor: BigInt(1_00 + 50 * round) });
        jobs.push(service.authorize(request));
        if (round % 3 === 0) jobs.push(service.authorize(request));
        if (round === 4) jobs.push(service.reverse(request));
      }
    }
    const settled = await Promise.allSettled(jobs);
    assert.ok(settled.every((outcome) => outcome.status === 'fulfilled'));
    const codes = settled.flatMap((outcome) => (outcome.status === 'fulfilled' && typeof outcome.value === 'object' && outcome.value !== null && 'responseCode' in outcome.value
      ? [(outcome.value as AuthorizationResult).responseCode] : []));
    assert.ok(!codes.includes('91'), codes.join(','));
    for (const group of groups) assert.ok((await getAccount(harness.context, group[0]?.accountId ?? '')).availableBalanceMinor >= 0n);
    await assertBalanced(harness);
  });

  it('two bank instances (two pools, as two processes) on one account: exactly the funds, no 91 (PostgreSQL)', async (t) => {
    const databaseUrl = harness.database.databaseUrl;
    if (databaseUrl === undefined) {
      t.skip('PGlite has one session: there is no second process to race');
      return;
    }
    const other = await openDatabase<BankDatabase>({ databaseUrl });
    try {
      const services: BankService[] = [
        createBankService(harness.context),
        createBankService({ ...harness.context, db: other.db, random: createDeterministicRandomSource(utf8('batch, other instance')) }),
      ];
      const holders = await sharedAccount(harness, 8, 60_00n);
      // 6 requests of 1.50 per card, 48 in all: funds for 40.
      const requests = holders.flatMap((holder) => [0, 1, 2, 3, 4, 5].map(() => harness.request(holder, { amountMinor: 1_50n })));
      // Each card's requests go to one instance, so its ATCs arrive in order; the account is shared.
      const results = await Promise.all(requests.map((request, index) => (services[Math.floor(index / 6) % 2] as BankService).authorize(request)));
      const codes = codesOf(results);
      t.diagnostic(`answers: ${JSON.stringify([...codes])}; splits ${services.map((service) => service.authorizationStatistics.splits).join('/')}`);
      assert.equal(codes.get('91'), undefined);
      assert.equal(codes.get('00'), 40);
      assert.equal(codes.get('51'), 8);
      assert.equal((await getAccount(harness.context, holders[0]?.accountId ?? '')).availableBalanceMinor, 0n);
      await deposit(harness.context, { accountId: holders[0]?.accountId ?? '', amountMinor: 1_00n });
      await assertBalanced(harness);
    } finally {
      await other.close();
    }
  });
});
