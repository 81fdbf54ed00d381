import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { inTransaction, sqlState } from '../../src/infra/db/index.js';
import { auditLedger, getAccount, listAccounts } from '../../src/bank/client.js';
import { postEntry } from '../../src/bank/ledger.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { openBankHarness, type BankHarness, type Cardholder } from './harness.js';

describe('bank ledger: SQL is the last line of defence', () => {
  let harness: BankHarness;
  let holder: Cardholder;
  let fundingId: string;
  before(async () => {
    harness = await openBankHarness('ledger');
    holder = await harness.cardholder({ balanceMinor: 100_00n });
    const [funding] = await listAccounts(harness.context, { kind: 'issuer_funding', currency: 'CNY' });
    assert.ok(funding !== undefined);
    fundingId = funding.id;
  });
  after(() => harness.close());

  it('a deposit is one balanced entry, and the audit is clean', async () => {
    const account = await getAccount(harness.context, holder.accountId);
    assert.equal(account.ledgerBalanceMinor, 100_00n);
    assert.equal(account.availableBalanceMinor, 100_00n);
    const report = await auditLedger(harness.context.db);
    assert.equal(report.balanced, true, JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  });

  it('postEntry refuses an unbalanced entry before SQL sees it', async () => {
    await assert.rejects(inTransaction(harness.context.db, (trx) => postEntry(trx, harness.context.random, {
      kind: 'deposit', businessDate: '2026-11-21', description: 'unbalanced',
      postings: [{ accountId: fundingId, currency: 'CNY', amountMinor: -5n }, { accountId: holder.accountId, currency: 'CNY', amountMinor: 6n }],
    })), (error: unknown) => isTesseraError(error) && error.code === 'ERR_BANK_LEDGER_REFUSED');
  });

  it('a raw unbalanced entry is refused at COMMIT by the deferred constraint trigger', async () => {
    const attempt = inTransaction(harness.context.db, async (trx) => {
      await sql`insert into bank.journal_entries (id, kind, business_date, description) values ('00000000-0000-4000-8000-000000000001', 'deposit', '2026-11-21', 'raw')`.execute(trx);
      await sql`insert into bank.postings (entry_id, account_id, currency, amount_minor) values
        ('00000000-0000-4000-8000-000000000001', ${fundingId}, 'CNY', -500),
        ('00000000-0000-4000-8000-000000000001', ${holder.accountId}, 'CNY', 400)`.execute(trx);
    });
    await assert.rejects(attempt, (error: unknown) => sqlState(error) === '23514');
  });

  it('a raw entry with a single posting or none is refused at COMMIT', async () => {
    const none = inTransaction(harness.context.db, (trx) =>
      sql`insert into bank.journal_entries (id, kind, business_date, description) values ('00000000-0000-4000-8000-000000000002', 'deposit', '2026-11-21', 'raw')`.execute(trx));
    await assert.rejects(none, (error: unknown) => sqlState(error) === '23514');
  });

  it('a raw balance write that makes a customer\'s available balance negative is refused by a CHECK', async () => {
    const attempt = inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set available_balance_minor = -1 where id = ${holder.accountId}`.execute(trx));
    await assert.rejects(attempt, (error: unknown) => sqlState(error) === '23514');
    const both = inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set available_balance_minor = -1, ledger_balance_minor = -1 where id = ${holder.accountId}`.execute(trx));
    await assert.rejects(both, (error: unknown) => sqlState(error) === '23514');
  });

  it('a zero posting is refused by a CHECK, and postings and entries are append-only', async () => {
    const zero = inTransaction(harness.context.db, async (trx) => {
      await sql`insert into bank.journal_entries (id, kind, business_date, description) values ('00000000-0000-4000-8000-000000000003', 'deposit', '2026-11-21', 'raw')`.execute(trx);
      await sql`insert into bank.postings (entry_id, account_id, currency, amount_minor) values ('00000000-0000-4000-8000-000000000003', ${fundingId}, 'CNY', 0)`.execute(trx);
    });
    await assert.rejects(zero, (error: unknown) => sqlState(error) === '23514');
    await assert.rejects(inTransaction(harness.context.db, (trx) => sql`update bank.postings set amount_minor = amount_minor + 1`.execute(trx)),
      (error: unknown) => sqlState(error) === '42501');
    await assert.rejects(inTransaction(harness.context.db, (trx) => sql`delete from bank.journal_entries`.execute(trx)),
      (error: unknown) => sqlState(error) === '42501');
  });

  it('a posting in another currency than its account\'s is refused by the foreign key', async () => {
    const attempt = inTransaction(harness.context.db, async (trx) => {
      await sql`insert into bank.journal_entries (id, kind, business_date, description) values ('00000000-0000-4000-8000-000000000004', 'deposit', '2026-11-21', 'raw')`.execute(trx);
      await sql`insert into bank.postings (entry_id, account_id, currency, amount_minor) values
        ('00000000-0000-4000-8000-000000000004', ${fundingId}, 'EUR', -5), ('00000000-0000-4000-8000-000000000004', ${holder.accountId}, 'EUR', 5)`.execute(trx);
    });
    await assert.rejects(attempt, (error: unknown) => sqlState(error) === '23503');
  });

  it('the audit detects a tampered balance and names the account', async () => {
    await inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set ledger_balance_minor = ledger_balance_minor + 1, available_balance_minor = available_balance_minor + 1 where id = ${holder.accountId}`.execute(trx));
    const report = await auditLedger(harness.context.db);
    assert.equal(report.balanced, false);
    const failed = report.checks.filter((check) => check.violations > 0).map((check) => check.name);
    assert.deepEqual(failed, ['ledger-balance-matches-postings']);
    const check = report.checks.find((candidate) => candidate.name === 'ledger-balance-matches-postings');
    assert.match(check?.findings[0] ?? '', new RegExp(`account ${holder.accountId} .*ledger balance 10001, postings sum to 10000`));
    // Put it back: the audit is clean again.
    await inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set ledger_balance_minor = ledger_balance_minor - 1, available_balance_minor = available_balance_minor - 1 where id = ${holder.accountId}`.execute(trx));
    assert.equal((await auditLedger(harness.context.db)).balanced, true);
  });

  it('the audit detects an available balance that ignores a hold', async () => {
    await inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set available_balance_minor = available_balance_minor - 7 where id = ${holder.accountId}`.execute(trx));
    const report = await auditLedger(harness.context.db);
    assert.deepEqual(report.checks.filter((check) => check.violations > 0).map((check) => check.name), ['available-balance-matches-holds']);
    await inTransaction(harness.context.db, (trx) =>
      sql`update bank.accounts set available_balance_minor = available_balance_minor + 7 where id = ${holder.accountId}`.execute(trx));
  });
});
