import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { auditLedger, getAccount, type TransactionKey } from '../../src/bank/client.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { MERCHANT_ID, openBankHarness, START_MS, TERMINAL_ID, type BankHarness, type Cardholder } from './harness.js';

type Operation =
  | { readonly op: 'authorize'; readonly card: number; readonly kind: 'preauth' | 'purchase'; readonly amountMinor: bigint }
  | { readonly op: 'capture'; readonly pick: number; readonly fraction: number }
  | { readonly op: 'reverse'; readonly pick: number }
  | { readonly op: 'refund'; readonly pick: number; readonly amountMinor: bigint }
  | { readonly op: 'retransmit'; readonly pick: number }
  | { readonly op: 'clear' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('authorize' as const), card: fc.nat(2), kind: fc.constantFrom('preauth' as const, 'purchase' as const), amountMinor: fc.bigInt(1n, 60_00n) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('capture' as const), pick: fc.nat(), fraction: fc.double({ min: 0.01, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat(), amountMinor: fc.bigInt(1n, 30_00n) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retransmit' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

describe('bank: random sequences of authorize, capture, reverse, refund and clearing keep the books balanced', () => {
  let harness: BankHarness;
  let holders: Cardholder[];
  before(async () => {
    harness = await openBankHarness('property');
    holders = [];
    for (let index = 0; index < 3; index++) {
      holders.push(await harness.cardholder({ balanceMinor: 500_00n, transactionLimitMinor: 100_00n, dailyLimitMinor: 1_000_000_00n, dailyCountMax: 10_000 }));
    }
  });
  after(() => harness.close());

  it('audit balanced after every sequence; customer balances never negative', async () => {
    let refundStan = 500_000;
    let day = 0;
    await fc.assert(fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
      const requests: Parameters<BankHarness['service']['authorize']>[0][] = [];
      const holds: string[] = [];
      for (const step of operations) {
        const pickRequest = (pick: number): TransactionKey | undefined => requests[pick % Math.max(requests.length, 1)];
        switch (step.op) {
          case 'authorize': {
            const request = harness.request(holders[step.card] ?? holders[0] as Cardholder, { kind: step.kind, amountMinor: step.amountMinor });
            requests.push(request);
            const result = await harness.service.authorize(request);
            if (result.holdId !== undefined) holds.push(result.holdId);
            break;
          }
          case 'capture': {
            const holdId = holds[step.pick % Math.max(holds.length, 1)];
            if (holdId === undefined) break;
            const hold = await harness.context.db.selectFrom('bank.holds').select('amount_minor').where('id', '=', holdId).executeTakeFirstOrThrow();
            const amount = BigInt(Math.max(1, Math.floor(Number(hold.amount_minor) * step.fraction)));
            await harness.service.capture(holdId, amount).catch((error: unknown) => {
              // A reversed hold, or one captured with another amount: refused with a typed error, never a broken ledger.
              assert.ok(isTesseraError(error) && ['ERR_BANK_STATE', 'ERR_BANK_CONFLICT'].includes(error.code), String(error));
            });
            break;
          }
          case 'reverse': {
            const key = pickRequest(step.pick);
            if (key !== undefined) {
              await harness.service.reverse(key).catch((error: unknown) => {
                assert.ok(isTesseraError(error) && error.code === 'ERR_BANK_LEDGER_REFUSED', String(error));
              });
            }
            break;
          }
          case 'refund': {
            const key = pickRequest(step.pick);
            if (key === undefined) break;
            refundStan += 1;
            await harness.service.refund({
              terminalId: TERMINAL_ID, stan: String(refundStan), transmittedAt: new Date(harness.clock.nowMs), original: key, merchantId: MERCHANT_ID, amountMinor: step.amountMinor,
            });
            break;
          }
          case 'retransmit': {
            const request = requests[step.pick % Math.max(requests.length, 1)];
            if (request !== undefined) assert.equal((await harness.service.authorize(request)).replayed, true);
            break;
          }
          case 'clear': {
            await harness.service.runClearing(new Date(harness.clock.nowMs).toISOString().slice(0, 10));
            day += 1;
            harness.clock.nowMs = START_MS + day * 24 * 3600_000;
            break;
          }
        }
      }
      const report = await auditLedger(harness.context.db);
      assert.equal(report.balanced, true, report.checks.flatMap((check) => check.findings).join('\n'));
      for (const holder of holders) assert.ok((await getAccount(harness.context, holder.accountId)).availableBalanceMinor >= 0n);
    }), { numRuns: 25, seed: 6 });
  });
});
