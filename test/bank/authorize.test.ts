import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditLedger, createBankService, getAccount, ResponseCode, setCardStatus, type AuthorizationResult } from '../../src/bank/client.js';
import { sql } from 'kysely';
import { inTransaction } from '../../src/infra/db/index.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { BankLimits } from '../../src/bank/client.js';
import {
  cryptogramMismatch, IMK, OTHER_MERCHANT_ID, OTHER_TERMINAL_ID, openBankHarness, panOf, START_MS, TERMINAL_ID, type BankHarness, type Cardholder,
} from './harness.js';

function declined(result: AuthorizationResult, code: string, reason: string): void {
  assert.equal(result.approved, false, JSON.stringify(result));
  assert.equal(result.responseCode, code, JSON.stringify(result));
  assert.equal(result.declineReason, reason);
  assert.equal(result.authorizationCode, undefined);
  assert.equal(result.holdId, undefined);
  assert.equal(result.entryId, undefined);
}

describe('bank authorize: approvals', () => {
  let harness: BankHarness;
  before(async () => {
    harness = await openBankHarness('authorize-approvals');
  });
  after(() => harness.close());

  it('a purchase is approved with a 6-character code and posted: ledger and available both fall', async () => {
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const result = await harness.service.authorize(harness.request(holder, { amountMinor: 12_34n }));
    assert.equal(result.approved, true);
    assert.equal(result.responseCode, '00');
    assert.match(result.authorizationCode ?? '', /^[0-9A-Z]{6}$/);
    assert.ok(result.entryId !== undefined && result.holdId === undefined);
    const account = await getAccount(harness.context, holder.accountId);
    assert.equal(account.ledgerBalanceMinor, 87_66n);
    assert.equal(account.availableBalanceMinor, 87_66n);
  });

  it('a preauthorization is approved with a hold: available falls, ledger does not', async () => {
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const result = await harness.service.authorize(harness.request(holder, { kind: 'preauth', amountMinor: 40_00n }));
    assert.equal(result.approved, true);
    assert.ok(result.holdId !== undefined && result.entryId === undefined);
    const account = await getAccount(harness.context, holder.accountId);
    assert.equal(account.ledgerBalanceMinor, 100_00n);
    assert.equal(account.availableBalanceMinor, 60_00n);
    assert.equal((await auditLedger(harness.context.db)).balanced, true);
  });

  it('a retransmission (same terminal, STAN, time) gets the same answer and holds nothing twice', async () => {
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const request = harness.request(holder, { kind: 'preauth', amountMinor: 30_00n });
    const first = await harness.service.authorize(request);
    const again = await harness.service.authorize(request);
    const concurrent = await Promise.all([harness.service.authorize(request), harness.service.authorize(request)]);
    assert.equal(first.replayed, false);
    for (const replay of [again, ...concurrent]) {
      assert.equal(replay.replayed, true);
      assert.deepEqual({ ...replay, replayed: false }, first);
    }
    assert.equal((await getAccount(harness.context, holder.accountId)).availableBalanceMinor, 70_00n);
  });

  it('a declined request is remembered too: its retransmission gets the same decline', async () => {
    const holder = await harness.cardholder({ balanceMinor: 5_00n });
    const request = harness.request(holder, { amountMinor: 6_00n });
    const first = await harness.service.authorize(request);
    declined(first, '51', 'insufficient-funds');
    // Even after a deposit, the retransmission replays the recorded answer.
    const again = await harness.service.authorize(request);
    assert.deepEqual({ ...again, replayed: false }, first);
  });

  it('the issuer master key is sealed at rest: the row never holds it, and another KEK cannot open it', async () => {
    const row = await harness.context.db.selectFrom('bank.issuer_master_keys').select('key_sealed').executeTakeFirstOrThrow();
    assert.equal(Buffer.from(row.key_sealed).includes(Buffer.from(IMK)), false);
    const holder = await harness.cardholder();
    const wrongKEK = createBankService({ ...harness.context, kek: new Uint8Array(32).fill(7) });
    await assert.rejects(wrongKEK.authorize(harness.request(holder)), (error: unknown) => isTesseraError(error) && error.code === 'ERR_CRYPTO_VERIFY');
    // A fresh card's first ATC may be 0 (the high-water mark starts below it).
    assert.equal((await harness.service.authorize(harness.request(holder, { atc: 0 }))).approved, true);
  });

  it('the same key with other content answers 94 and changes nothing', async () => {
    const holder = await harness.cardholder({ balanceMinor: 100_00n });
    const request = harness.request(holder, { amountMinor: 10_00n });
    assert.equal((await harness.service.authorize(request)).approved, true);
    declined(await harness.service.authorize({ ...request, amountMinor: 99_00n }), '94', 'duplicate-mismatch');
    assert.equal((await getAccount(harness.context, holder.accountId)).ledgerBalanceMinor, 90_00n);
  });
});

describe('bank authorize: every decline code', () => {
  let harness: BankHarness;
  let holder: Cardholder;
  before(async () => {
    harness = await openBankHarness('authorize-declines');
    holder = await harness.cardholder({ balanceMinor: 1_000_00n, transactionLimitMinor: 200_00n, dailyLimitMinor: 300_00n, dailyCountMax: 5 });
  });
  after(() => harness.close());

  it('03: unknown terminal, or a terminal of another merchant', async () => {
    declined(await harness.service.authorize(harness.request(holder, { terminalId: 'NOSUCH01' })), '03', 'merchant-unknown');
    declined(await harness.service.authorize(harness.request(holder, { terminalId: OTHER_TERMINAL_ID })), '03', 'terminal-merchant-mismatch');
  });

  it('58: a currency the merchant does not settle in', async () => {
    declined(await harness.service.authorize(harness.request(holder, { terminalId: OTHER_TERMINAL_ID, merchantId: OTHER_MERCHANT_ID, currency: 'EUR' })),
      '58', 'currency-not-accepted');
  });

  it('13: a zero amount, or a currency with no minor unit', async () => {
    declined(await harness.service.authorize(harness.request(holder, { amountMinor: 0n })), '13', 'amount-invalid');
    declined(await harness.service.authorize(harness.request(holder, { currency: 'XAU' })), '13', 'amount-invalid');
  });

  it('14: an unknown PAN, or a malformed one', async () => {
    declined(await harness.service.authorize(harness.request(holder, { pan: panOf(999_999) })), '14', 'card-unknown');
    declined(await harness.service.authorize(harness.request(holder, { pan: '4761' })), '14', 'card-unknown');
  });

  it('54: an expired card, or an expiry that is not the card\'s', async () => {
    const expired = await harness.cardholder({ expiry: '2610' });
    declined(await harness.service.authorize(harness.request(expired, { expiry: '2610' })), '54', 'card-expired');
    declined(await harness.service.authorize(harness.request(holder, { expiry: '2901' })), '54', 'expiry-mismatch');
  });

  it('57: a currency that is not the card account\'s', async () => {
    declined(await harness.service.authorize(harness.request(holder, { currency: 'EUR' })), '57', 'currency-mismatch');
  });

  it('62, 41, 43: blocked, lost and stolen cards', async () => {
    const other = await harness.cardholder();
    await setCardStatus(harness.context, other.cardId, 'blocked');
    declined(await harness.service.authorize(harness.request(other)), '62', 'card-blocked');
    await setCardStatus(harness.context, other.cardId, 'lost');
    declined(await harness.service.authorize(harness.request(other)), '41', 'card-lost');
    await setCardStatus(harness.context, other.cardId, 'stolen');
    declined(await harness.service.authorize(harness.request(other)), '43', 'card-stolen');
  });

  it('05: a cryptogram that does not verify (e.g. the amount changed in flight)', async () => {
    declined(await harness.service.authorize(harness.request(holder, { cryptogramCheck: cryptogramMismatch })), '05', 'cryptogram-mismatch');
  });

  it('05: a replayed ATC, and an ATC beyond the window', async () => {
    const approved = await harness.service.authorize(harness.request(holder, { atc: 10 }));
    assert.equal(approved.approved, true);
    declined(await harness.service.authorize(harness.request(holder, { atc: 10 })), '05', 'atc-replayed');
    declined(await harness.service.authorize(harness.request(holder, { atc: 9 })), '05', 'atc-replayed');
    declined(await harness.service.authorize(harness.request(holder, { atc: 11 + BankLimits.ATC_WINDOW_MAX })), '05', 'atc-outside-window');
    assert.equal((await harness.service.authorize(harness.request(holder, { atc: 10 + BankLimits.ATC_WINDOW_MAX }))).approved, true);
  });

  it('61: over the per-transaction limit, then over the daily limit', async () => {
    declined(await harness.service.authorize(harness.request(holder, { amountMinor: 200_01n })), '61', 'transaction-limit');
    // 20.00 spent so far today (two approvals of 10.00); 180.00 more makes 200.00 of 300.00.
    assert.equal((await harness.service.authorize(harness.request(holder, { amountMinor: 180_00n }))).approved, true);
    declined(await harness.service.authorize(harness.request(holder, { amountMinor: 100_01n, kind: 'preauth' })), '61', 'daily-limit');
    assert.equal((await harness.service.authorize(harness.request(holder, { amountMinor: 100_00n, kind: 'preauth' }))).approved, true);
    declined(await harness.service.authorize(harness.request(holder, { amountMinor: 1n })), '61', 'daily-limit');
  });

  it('65: over the daily count; the next business day starts afresh', async () => {
    const busy = await harness.cardholder({ dailyCountMax: 2 });
    assert.equal((await harness.service.authorize(harness.request(busy, { amountMinor: 1_00n }))).approved, true);
    assert.equal((await harness.service.authorize(harness.request(busy, { amountMinor: 1_00n }))).approved, true);
    declined(await harness.service.authorize(harness.request(busy, { amountMinor: 1_00n })), '65', 'daily-count');
    harness.clock.nowMs = START_MS + 24 * 3600_000;
    assert.equal((await harness.service.authorize(harness.request(busy, { amountMinor: 1_00n }))).approved, true);
    harness.clock.nowMs = START_MS;
  });

  it('a reversed approval no longer counts toward the daily limits; the card\'s counters match its authorizations (audit)', async () => {
    const capped = await harness.cardholder({ dailyLimitMinor: 100_00n, dailyCountMax: 2 });
    const first = harness.request(capped, { amountMinor: 60_00n });
    assert.equal((await harness.service.authorize(first)).approved, true);
    declined(await harness.service.authorize(harness.request(capped, { amountMinor: 50_00n, kind: 'preauth' })), '61', 'daily-limit');
    assert.equal((await harness.service.reverse(first)).effect, 'entry-reversed');
    const preauth = harness.request(capped, { amountMinor: 50_00n, kind: 'preauth' });
    assert.equal((await harness.service.authorize(preauth)).approved, true);
    assert.equal((await harness.service.authorize(harness.request(capped, { amountMinor: 40_00n }))).approved, true);
    declined(await harness.service.authorize(harness.request(capped, { amountMinor: 1n })), '65', 'daily-count');
    assert.equal((await harness.service.reverse(preauth)).effect, 'hold-released');
    assert.equal((await harness.service.authorize(harness.request(capped, { amountMinor: 1n }))).approved, true);
    const report = await harness.service.audit();
    assert.deepEqual(report.checks.find((check) => check.name === 'card-day-counters')?.findings, []);
  });

  it('the audit finds day counters that do not match the card\'s authorizations', async () => {
    const counted = await harness.cardholder();
    assert.equal((await harness.service.authorize(harness.request(counted, { amountMinor: 7_00n }))).approved, true);
    const card = sql`update bank.cards set day_total_minor = day_total_minor + 1 where id = ${counted.cardId}`;
    await inTransaction(harness.context.db, (trx) => card.execute(trx));
    const check = (await harness.service.audit()).checks.find((candidate) => candidate.name === 'card-day-counters');
    assert.equal(check?.findings.length, 1);
    assert.match(check?.findings[0] ?? '', new RegExp(`card ${counted.cardId} on 2026-11-21: counters 1 / 701, authorizations 1 / 700`));
    await inTransaction(harness.context.db, (trx) => sql`update bank.cards set day_total_minor = day_total_minor - 1 where id = ${counted.cardId}`.execute(trx));
    assert.equal((await harness.service.audit()).balanced, true);
  });

  it('51: insufficient funds; the ATC is spent all the same', async () => {
    const poor = await harness.cardholder({ balanceMinor: 5_00n });
    declined(await harness.service.authorize(harness.request(poor, { amountMinor: 5_01n, atc: 3 })), '51', 'insufficient-funds');
    declined(await harness.service.authorize(harness.request(poor, { amountMinor: 5_00n, atc: 3 })), '05', 'atc-replayed');
    assert.equal((await harness.service.authorize(harness.request(poor, { amountMinor: 5_00n, atc: 4 }))).approved, true);
    assert.equal((await getAccount(harness.context, poor.accountId)).availableBalanceMinor, 0n);
  });

  it('every decline left the books balanced and recorded nothing but the authorization', async () => {
    const report = await auditLedger(harness.context.db);
    assert.equal(report.balanced, true);
    assert.ok(Object.values(ResponseCode).includes('05'));
    assert.equal(TERMINAL_ID.length, 8);
  });
});
