import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditLedger, getAccount, listAccounts, type Account } from '../../src/bank/client.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { MERCHANT_ID, openBankHarness, START_MS, TERMINAL_ID, type BankHarness, type Cardholder } from './harness.js';

interface PostingView {
  readonly kind: string;
  readonly amountMinor: bigint;
}

/** The postings of one entry as (account kind, amount), sorted: what docs/bank.md shows. */
async function postingsOf(harness: BankHarness, entryId: string): Promise<PostingView[]> {
  const rows = await harness.context.db.selectFrom('bank.postings as p').innerJoin('bank.accounts as a', 'a.id', 'p.account_id')
    .select(['a.kind', 'p.amount_minor']).where('p.entry_id', '=', entryId).orderBy('p.id').execute();
  return rows.map((row) => ({ kind: row.kind, amountMinor: row.amount_minor }));
}

async function systemAccount(harness: BankHarness, kind: Account['kind']): Promise<Account> {
  const [account] = await listAccounts(harness.context, { kind, currency: 'CNY' });
  assert.ok(account !== undefined);
  return account;
}

async function assertBalanced(harness: BankHarness): Promise<void> {
  const report = await auditLedger(harness.context.db);
  assert.equal(report.balanced, true, report.checks.flatMap((check) => check.findings).join('\n'));
}

describe('bank: hold, capture, clearing', () => {
  let harness: BankHarness;
  let holder: Cardholder;
  before(async () => {
    harness = await openBankHarness('flow');
    holder = await harness.cardholder({ balanceMinor: 100_00n });
  });
  after(() => harness.close());

  it('hold → partial capture → end-of-day clearing moves the money to the merchant, as postings', async () => {
    const merchantBefore = (await listAccounts(harness.context, { kind: 'merchant_settlement', currency: 'CNY' }))[0];
    const auth = await harness.service.authorize(harness.request(holder, { kind: 'preauth', amountMinor: 50_00n }));
    assert.ok(auth.approved && auth.holdId !== undefined);
    assert.equal((await getAccount(harness.context, holder.accountId)).availableBalanceMinor, 50_00n);

    const captured = await harness.service.capture(auth.holdId, 42_50n);
    assert.deepEqual({ ...captured, entryId: '' }, { holdId: auth.holdId, entryId: '', capturedMinor: 42_50n, releasedMinor: 7_50n, replayed: false });
    assert.deepEqual(await postingsOf(harness, captured.entryId), [
      { kind: 'customer', amountMinor: -42_50n },
      { kind: 'issuer_clearing', amountMinor: 42_50n },
    ]);
    const account = await getAccount(harness.context, holder.accountId);
    assert.equal(account.ledgerBalanceMinor, 57_50n);
    assert.equal(account.availableBalanceMinor, 57_50n);
    // A retried capture answers the first one; another amount is a conflict.
    assert.deepEqual(await harness.service.capture(auth.holdId), { ...captured, replayed: true, capturedMinor: 42_50n });
    await assert.rejects(harness.service.capture(auth.holdId, 1n), (error: unknown) => isTesseraError(error) && error.code === 'ERR_BANK_CONFLICT');
    await assertBalanced(harness);

    const clearing = await harness.service.runClearing('2026-11-21');
    assert.equal(clearing.replayed, false);
    assert.equal(clearing.entriesCleared, 1);
    assert.equal(clearing.clearingEntryIds.length, 1);
    assert.deepEqual(clearing.settlements, [{ merchantId: MERCHANT_ID, currency: 'CNY', netMinor: 42_50n }]);
    assert.deepEqual(await postingsOf(harness, clearing.clearingEntryIds[0] ?? ''), [
      { kind: 'issuer_clearing', amountMinor: -42_50n },
      { kind: 'acquirer_clearing', amountMinor: 42_50n },
      { kind: 'acquirer_clearing', amountMinor: -42_50n },
      { kind: 'merchant_settlement', amountMinor: 42_50n },
    ]);
    assert.equal((await systemAccount(harness, 'issuer_clearing')).ledgerBalanceMinor, 0n);
    assert.equal((await systemAccount(harness, 'acquirer_clearing')).ledgerBalanceMinor, 0n);
    const merchantAfter = await getAccount(harness.context, merchantBefore?.id ?? '');
    assert.equal(merchantAfter.ledgerBalanceMinor, 42_50n);
    await assertBalanced(harness);

    // Idempotent per business date: the second run moves nothing and reports the first.
    const again = await harness.service.runClearing('2026-11-21');
    assert.deepEqual(again, { ...clearing, replayed: true });
    assert.equal((await getAccount(harness.context, merchantAfter.id)).ledgerBalanceMinor, 42_50n);
  });

  it('a reversal releases the hold, is idempotent, and the hold can no longer be captured', async () => {
    const request = harness.request(holder, { kind: 'preauth', amountMinor: 20_00n });
    const auth = await harness.service.authorize(request);
    assert.ok(auth.holdId !== undefined);
    const before = await getAccount(harness.context, holder.accountId);
    const reversal = await harness.service.reverse(request);
    assert.equal(reversal.effect, 'hold-released');
    assert.equal(reversal.holdId, auth.holdId);
    const after = await getAccount(harness.context, holder.accountId);
    assert.equal(after.availableBalanceMinor, before.availableBalanceMinor + 20_00n);
    assert.equal(after.ledgerBalanceMinor, before.ledgerBalanceMinor);
    assert.equal((await harness.service.reverse(request)).effect, 'already-reversed');
    await assert.rejects(harness.service.capture(auth.holdId), (error: unknown) => isTesseraError(error) && error.code === 'ERR_BANK_STATE');
    // The reversed authorization no longer counts against the daily limits, and a retransmission still replays it.
    assert.deepEqual({ ...(await harness.service.authorize(request)), replayed: false }, auth);
    await assertBalanced(harness);
  });

  it('a reversal of an unknown request is acknowledged, and the late original is then declined', async () => {
    const request = harness.request(holder, { amountMinor: 5_00n });
    const reversal = await harness.service.reverse(request);
    assert.deepEqual(reversal, { acknowledged: true, effect: 'original-unknown' });
    const late = await harness.service.authorize(request);
    assert.equal(late.responseCode, '05');
    assert.equal(late.declineReason, 'reversed-before-arrival');
    assert.equal((await harness.service.reverse(request)).effect, 'original-declined');
  });

  it('a reversed purchase is posted back; a refund returns money at most once over', async () => {
    const start = (await getAccount(harness.context, holder.accountId)).ledgerBalanceMinor;
    const purchase = harness.request(holder, { amountMinor: 10_00n });
    assert.equal((await harness.service.authorize(purchase)).approved, true);
    const reversal = await harness.service.reverse(purchase);
    assert.equal(reversal.effect, 'entry-reversed');
    assert.deepEqual(await postingsOf(harness, reversal.entryId ?? ''), [
      { kind: 'customer', amountMinor: 10_00n },
      { kind: 'issuer_clearing', amountMinor: -10_00n },
    ]);
    assert.equal((await getAccount(harness.context, holder.accountId)).ledgerBalanceMinor, start);

    const sale = harness.request(holder, { amountMinor: 8_00n });
    assert.equal((await harness.service.authorize(sale)).approved, true);
    const refundKey = { terminalId: TERMINAL_ID, stan: '900001', transmittedAt: new Date(START_MS + 1000) };
    const refunded = await harness.service.refund({ ...refundKey, original: sale, merchantId: MERCHANT_ID, amountMinor: 3_00n });
    assert.equal(refunded.approved, true);
    assert.deepEqual(await postingsOf(harness, refunded.entryId ?? ''), [
      { kind: 'issuer_clearing', amountMinor: -3_00n },
      { kind: 'customer', amountMinor: 3_00n },
    ]);
    assert.deepEqual({ ...(await harness.service.refund({ ...refundKey, original: sale, merchantId: MERCHANT_ID, amountMinor: 3_00n })), replayed: false }, refunded);
    const tooMuch = await harness.service.refund({ terminalId: TERMINAL_ID, stan: '900002', transmittedAt: new Date(START_MS + 2000), original: sale, merchantId: MERCHANT_ID, amountMinor: 5_01n });
    assert.equal(tooMuch.responseCode, '13');
    assert.equal(tooMuch.declineReason, 'refund-exceeds-captured');
    const unknown = await harness.service.refund({ terminalId: TERMINAL_ID, stan: '900003', transmittedAt: new Date(START_MS + 3000), original: { ...sale, stan: '999999' }, merchantId: MERCHANT_ID, amountMinor: 1n });
    assert.equal(unknown.responseCode, '25');
    // Reversing the sale now gives back only what the refund did not.
    const reversed = await harness.service.reverse(sale);
    assert.deepEqual(await postingsOf(harness, reversed.entryId ?? ''), [
      { kind: 'customer', amountMinor: 5_00n },
      { kind: 'issuer_clearing', amountMinor: -5_00n },
    ]);
    assert.equal((await getAccount(harness.context, holder.accountId)).ledgerBalanceMinor, start);
    await assertBalanced(harness);
  });

  it('the next day\'s clearing nets sales, refunds and reversals per merchant, and leaves clearing accounts empty', async () => {
    harness.clock.nowMs = START_MS + 24 * 3600_000;
    const clearing = await harness.service.runClearing('2026-11-22');
    assert.equal(clearing.replayed, false);
    // Everything after the first clearing netted to zero for the merchant: 10 − 10, 8 − 3 − 5.
    assert.deepEqual(clearing.settlements, []);
    assert.equal((await systemAccount(harness, 'issuer_clearing')).ledgerBalanceMinor, 0n);
    await assertBalanced(harness);
    // Two clearing runs for one date at once: one clears, the other reports its result.
    const sale = await harness.service.authorize(harness.request(holder, { amountMinor: 1_00n }));
    assert.equal(sale.approved, true);
    const runs = await Promise.all([harness.service.runClearing('2026-11-22'), harness.service.runClearing('2026-11-22')]);
    assert.deepEqual(runs.map((run) => run.replayed), [true, true]);
    harness.clock.nowMs = START_MS + 2 * 24 * 3600_000;
    const racing = await Promise.all([harness.service.runClearing('2026-11-23'), harness.service.runClearing('2026-11-23')]);
    assert.deepEqual(racing.map((run) => run.replayed).sort(), [false, true]);
    assert.deepEqual(racing[0]?.settlements, [{ merchantId: MERCHANT_ID, currency: 'CNY', netMinor: 1_00n }]);
    assert.deepEqual({ ...racing[1], replayed: false }, { ...racing[0], replayed: false });
    await assertBalanced(harness);
    harness.clock.nowMs = START_MS + 24 * 3600_000;
    await assert.rejects(harness.service.runClearing('2026-11-23'), (error: unknown) => isTesseraError(error) && error.code === 'ERR_BANK_INVALID');
    harness.clock.nowMs = START_MS;
  });
});
