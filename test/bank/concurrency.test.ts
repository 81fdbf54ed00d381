import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditLedger, deposit, getAccount, issueCard } from '../../src/bank/client.js';
import { EXPIRY, openBankHarness, panOf, type BankHarness, type Cardholder } from './harness.js';

const CARDS = 10;
const BALANCE_MINOR = 50_00n;
const AMOUNT_MINOR = 10_00n;

/**
 * Several cards on one account authorize at once. The service group-commits them (one batch, one
 * transaction; docs/bank.md "Group commit"), deciding in arrival order against the funds earlier
 * items of the batch took; reversals run beside it in transactions of their own, and SERIALIZABLE
 * and the CHECK constraint still stop any overspend. The same assertions hold on PGlite.
 */
describe('bank: concurrent authorizations on one account', () => {
  let harness: BankHarness;
  let holders: Cardholder[];
  before(async () => {
    harness = await openBankHarness('concurrency');
    const first = await harness.cardholder({ balanceMinor: 0n, dailyLimitMinor: 1_000_00n });
    holders = [first];
    for (let index = 1; index < CARDS; index++) {
      const pan = panOf(1000 + index);
      const cardId = await issueCard(harness.context, { accountId: first.accountId, pan, expiry: EXPIRY, psn: 1 });
      holders.push({ ...first, cardId, pan, atc: 1 });
    }
  });
  after(() => harness.close());

  /** Deposits `amountMinor` on the holder's account; its balances then, to compare at the end. */
  async function fundAccount(holder: Cardholder, amountMinor: bigint): Promise<Awaited<ReturnType<typeof getAccount>>> {
    await deposit(harness.context, { accountId: holder.accountId, amountMinor });
    return getAccount(harness.context, holder.accountId);
  }

  /** Both balances where they were before the race, and the ledger balanced. */
  async function assertBackWhereItStarted(holder: Cardholder, before: Awaited<ReturnType<typeof getAccount>>, message?: string): Promise<void> {
    const after = await getAccount(harness.context, holder.accountId);
    assert.equal(after.ledgerBalanceMinor, before.ledgerBalanceMinor, message);
    assert.equal(after.availableBalanceMinor, before.availableBalanceMinor);
    assert.equal((await auditLedger(harness.context.db)).balanced, true);
  }

  for (const kind of ['purchase', 'preauth'] as const) {
    it(`${kind}s: never more approved than the balance covers`, async (t) => {
      const accountId = holders[0]?.accountId ?? '';
      // Room for exactly half of the requests, whatever the previous test left.
      const left = (await getAccount(harness.context, accountId)).availableBalanceMinor;
      if (left < BALANCE_MINOR) await deposit(harness.context, { accountId, amountMinor: BALANCE_MINOR - left });
      const before = await getAccount(harness.context, accountId);
      assert.equal(before.availableBalanceMinor, BALANCE_MINOR);
      const results = await Promise.all(holders.map((holder) => harness.service.authorize(harness.request(holder, { kind, amountMinor: AMOUNT_MINOR }))));
      const codes = results.map((result) => result.responseCode);
      t.diagnostic(`response codes: ${codes.join(',')}`);
      // Group commit answers every one: 91 (still conflicting after the retries) must not happen here.
      for (const code of codes) assert.ok(['00', '51'].includes(code), `unexpected ${code}`);
      const approved = results.filter((result) => result.approved).length;
      const expected = Number(before.availableBalanceMinor / AMOUNT_MINOR);
      assert.ok(approved <= expected, `${approved} approved with funds for ${expected}`);
      assert.equal(approved, expected, codes.join(','));
      const after = await getAccount(harness.context, before.id);
      assert.equal(after.availableBalanceMinor, before.availableBalanceMinor - BigInt(approved) * AMOUNT_MINOR);
      assert.ok(after.availableBalanceMinor >= 0n);
      const report = await auditLedger(harness.context.db);
      assert.equal(report.balanced, true, report.checks.flatMap((check) => check.findings).join('\n'));
    });
  }

  it('a reversal racing its own original (a timeout) never leaves money held or taken', async (t) => {
    const holder = holders[0] as Cardholder;
    const before = await fundAccount(holder, 10_00n);
    let approved = 0;
    for (let round = 0; round < 8; round++) {
      const request = harness.request(holder, { kind: round % 2 === 0 ? 'preauth' : 'purchase', amountMinor: 1_00n });
      const [authorization, reversal] = await Promise.all([harness.service.authorize(request), harness.service.reverse(request)]);
      if (authorization.approved) approved += 1;
      // Either order is fine; both orders end with the money back.
      if (reversal.effect === 'original-unknown') assert.equal(authorization.approved, false, JSON.stringify(authorization));
      else assert.ok(['hold-released', 'entry-reversed', 'original-declined'].includes(reversal.effect), reversal.effect);
    }
    t.diagnostic(`${approved} of 8 originals were approved before their reversal`);
    await assertBackWhereItStarted(holder, before);
  });
  it('a refund racing a reversal of the same purchase never gives the money back twice', async (t) => {
    const holder = holders[1] as Cardholder;
    const before = await fundAccount(holder, 100_00n);
    const sales = [];
    for (let round = 0; round < 12; round++) {
      const sale = harness.request(holder, { kind: 'purchase', amountMinor: 2_00n });
      assert.equal((await harness.service.authorize(sale)).approved, true);
      sales.push(sale);
    }
    let stan = 800_000;
    // All at once: each sale's refund and reversal race each other and the other sales' pairs.
    const outcomes = await Promise.all(sales.map((sale) => {
      stan += 1;
      const refundKey = { terminalId: sale.terminalId, stan: String(stan), transmittedAt: sale.transmittedAt };
      return Promise.all([
        harness.service.refund({ ...refundKey, original: sale, merchantId: sale.merchantId, amountMinor: 1_50n }),
        harness.service.reverse(sale),
      ]);
    }));
    const refunded = outcomes.filter(([refund]) => refund.approved).length;
    t.diagnostic(`${refunded} of 12 refunds were approved before their sale's reversal`);
    for (const [refund, reversal] of outcomes) {
      // Refund first: the reversal gives back only the rest. Reversal first: the refund is refused.
      assert.equal(reversal.effect, 'entry-reversed');
      if (!refund.approved) assert.equal(refund.responseCode, '12', JSON.stringify(refund));
    }
    await assertBackWhereItStarted(holder, before, 'every sale came back exactly once, by refund and reversal together or by reversal alone');
  });

  it('a capture racing a reversal of the same preauthorization: one of them wins, the money ends where it started', async (t) => {
    const holder = holders[2] as Cardholder;
    const before = await fundAccount(holder, 100_00n);
    const preauths = [];
    for (let round = 0; round < 12; round++) {
      const preauth = harness.request(holder, { kind: 'preauth', amountMinor: 3_00n });
      const result = await harness.service.authorize(preauth);
      assert.ok(result.approved && result.holdId !== undefined);
      preauths.push({ preauth, holdId: result.holdId });
    }
    const outcomes = await Promise.all(preauths.map(({ preauth, holdId }) => Promise.all([
      harness.service.capture(holdId).then((captured) => ({ captured }), (error: unknown) => ({ error })),
      harness.service.reverse(preauth),
    ])));
    let captured = 0;
    for (const [capture, reversal] of outcomes) {
      if ('captured' in capture) {
        // Captured first: the reversal takes the captured amount back.
        captured += 1;
        assert.equal(reversal.effect, 'entry-reversed');
      } else {
        // Released first: the capture is refused, nothing posted.
        assert.equal((capture.error as { code?: unknown }).code, 'ERR_BANK_STATE', String(capture.error));
        assert.equal(reversal.effect, 'hold-released');
      }
    }
    t.diagnostic(`${captured} of 12 captures came before their reversal`);
    await assertBackWhereItStarted(holder, before);
  });
});
