import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { auditLedger, createBankService, getAccount, issueCard, type AuthorizationResult } from '../../src/bank/client.js';
import { lockRequestKeys, requestKeyLockId } from '../../src/bank/locks.js';
import { inTransaction } from '../../src/infra/db/index.js';
import { EXPIRY, openBankHarness, panOf, TERMINAL_ID, type BankHarness, type Cardholder } from './harness.js';

/**
 * Lanes (docs/bank.md "Group commit", "Locks"): several batches of one service at once, READ
 * COMMITTED, kept apart by the request-key and account locks they take before reading. On PGlite
 * the lanes take turns on its one session; on PostgreSQL (DATABASE_URL) they really overlap.
 */

async function assertBalanced(harness: BankHarness): Promise<void> {
  const report = await auditLedger(harness.context.db);
  assert.equal(report.balanced, true, report.checks.flatMap((check) => check.findings).join('\n'));
}

function codes(results: readonly AuthorizationResult[]): string[] {
  return results.map((result) => result.responseCode);
}

describe('bank: authorization lanes', () => {
  let harness: BankHarness;
  let serial = 7_000;
  before(async () => {
    harness = await openBankHarness('lanes');
  });
  after(() => harness.close());

  it('more waiting than one batch takes fills a second lane; every item is answered once, and the books balance', async () => {
    const service = createBankService(harness.context, { batchSizeMax: 4, lanes: 2 });
    const holders: Cardholder[] = [];
    for (let index = 0; index < 16; index++) holders.push(await harness.cardholder({ balanceMinor: 10_00n }));
    const results = await Promise.all(holders.map((holder) => service.authorize(harness.request(holder, { kind: 'preauth', amountMinor: 6_00n }))));
    assert.deepEqual(codes(results), holders.map(() => '00'));
    assert.equal(new Set(results.map((result) => result.authorizationId)).size, 16);
    assert.equal(service.authorizationStatistics.busyLanesMax, 2);
    assert.equal(service.authorizationStatistics.batches, 4);
    for (const holder of holders) assert.equal((await getAccount(harness.context, holder.accountId)).availableBalanceMinor, 4_00n);
    await assertBalanced(harness);
  });

  it('one card\'s requests never run in two lanes at once: its rising ATCs are decided in arrival order (none answered 05 as replayed)', async () => {
    const service = createBankService(harness.context, { batchSizeMax: 1, lanes: 3 });
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const requests = Array.from({ length: 12 }, () => harness.request(holder, { kind: 'purchase', amountMinor: 1_00n }));
    const results = await Promise.all(requests.map((request) => service.authorize(request)));
    assert.deepEqual(codes(results), requests.map(() => '00'), JSON.stringify(results.map((result) => result.declineReason)));
    assert.equal(service.authorizationStatistics.busyLanesMax, 1, 'the card was in a running batch each time a lane was free');
    assert.equal((await getAccount(harness.context, holder.accountId)).availableBalanceMinor, 88_00n);
  });

  it('cards of one account in several lanes: exactly the funds are approved, never more', async () => {
    const service = createBankService(harness.context, { batchSizeMax: 2, lanes: 4 });
    const first = await harness.cardholder({ balanceMinor: 30_00n, dailyCountMax: 100 });
    const holders = [first];
    for (let index = 1; index < 8; index++) {
      serial += 1;
      const pan = panOf(serial);
      const cardId = await issueCard(harness.context, { accountId: first.accountId, pan, expiry: EXPIRY, psn: 1, dailyCountMax: 100 });
      holders.push({ ...first, cardId, pan, atc: 1 });
    }
    // 3 requests of 2.50 per card: 24 requests, funds for 12.
    const requests = holders.flatMap((holder) => [0, 1, 2].map((index) => harness.request(holder, { kind: index === 1 ? 'preauth' : 'purchase', amountMinor: 2_50n })));
    const results = await Promise.all(requests.map((request) => service.authorize(request)));
    assert.equal(results.filter((result) => result.responseCode === '00').length, 12, codes(results).join(','));
    assert.equal(results.filter((result) => result.responseCode === '51').length, 12);
    assert.equal((await getAccount(harness.context, first.accountId)).availableBalanceMinor, 0n);
    await assertBalanced(harness);
  });

  it('lanes must be 1..8', () => {
    assert.throws(() => createBankService(harness.context, { lanes: 0 }), /lanes must be 1\.\.8/);
    assert.throws(() => createBankService(harness.context, { lanes: 9 }), /lanes must be 1\.\.8/);
  });
});

describe('bank: request-key locks', () => {
  it('a key\'s lock id is a stable signed 32-bit integer of its terminal, STAN and time', () => {
    fc.assert(fc.property(
      fc.string({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 4_102_444_800_000 }),
      (terminalId, stan, ms) => {
        const key = { terminalId, stan: String(stan).padStart(6, '0'), transmittedAt: new Date(ms) };
        const id = requestKeyLockId(key);
        assert.ok(Number.isInteger(id) && id >= -(2 ** 31) && id < 2 ** 31);
        assert.equal(requestKeyLockId({ ...key, transmittedAt: new Date(ms) }), id);
      },
    ));
    const key = { terminalId: TERMINAL_ID, stan: '000001', transmittedAt: new Date(0) };
    assert.notEqual(requestKeyLockId(key), requestKeyLockId({ ...key, stan: '000002' }));
    assert.notEqual(requestKeyLockId(key), requestKeyLockId({ ...key, transmittedAt: new Date(1000) }));
  });

  it('locking the same key twice in one transaction, and no key at all, both work', async () => {
    const harness = await openBankHarness('locks');
    try {
      const key = { terminalId: TERMINAL_ID, stan: '000001', transmittedAt: new Date(0) };
      await inTransaction(harness.context.db, async (trx) => {
        await lockRequestKeys(trx, [key, { ...key }]);
        await lockRequestKeys(trx, [key]);
        await lockRequestKeys(trx, []);
      }, { isolation: 'read committed' });
    } finally {
      await harness.close();
    }
  });
});
