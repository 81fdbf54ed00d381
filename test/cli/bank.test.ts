import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { sql } from 'kysely';
import { registerBankCommands } from '../../src/cli/bank.js';
import { openDatabase } from '../../src/infra/db/index.js';
import { luhnCheckDigit } from '../../src/lib/luhn.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
}

describe('tessera bank (in process: the lead wires registerBankCommands into main.ts)', () => {
  let dir: string;
  let server: TestDatabase<unknown> | undefined;
  let databaseArgs: string[];

  /** Runs `tessera bank …` as commander would, capturing stdout and the exit code. */
  async function tessera(args: readonly string[]): Promise<Outcome> {
    const program = new Command('tessera').exitOverride();
    registerBankCommands(program);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => {
      lines.push(parts.map(String).join(' '));
    };
    process.exitCode = undefined;
    try {
      await program.parseAsync(['bank', ...args, ...databaseArgs], { from: 'user' });
    } finally {
      console.log = log;
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { code, stdout: lines.join('\n') };
  }

  function idIn(output: string, label: string): string {
    const match = new RegExp(`${label} ([0-9a-f-]{36})`).exec(output);
    assert.ok(match?.[1] !== undefined, output);
    return match[1];
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-bank-'));
    databaseArgs = ['--data', dir];
    if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') {
      server = await openTestDatabase<unknown>();
      databaseArgs.push('--database-url', server.databaseUrl ?? '');
    }
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets up a customer, an account, a BIN, a card, a merchant and a terminal; the audit is balanced', async () => {
    const customer = idIn((await tessera(['customer', 'add', '--name', 'Alice'])).stdout, 'customer');
    const opened = await tessera(['account', 'add', '--customer', customer, '--currency', 'CNY', '--deposit', '100.00']);
    assert.match(opened.stdout, /available CNY 100\.00/);
    const account = idIn(opened.stdout, 'account');
    assert.match((await tessera(['bin', 'add', '476173', '--name', 'test', '--imk', '0123456789ABCDEFFEDCBA9876543210'])).stdout, /^BIN 476173: issuer master key/);
    assert.equal(statSync(join(dir, 'bank', 'kek.key')).mode & 0o777, 0o600);
    const payload = '476173000000001';
    const card = await tessera(['card', 'add', '--account', account, '--pan', payload + luhnCheckDigit(payload), '--expiry', '2812', '--transaction-limit', '50.00']);
    assert.match(card.stdout, /\*\*\*\*001\d expires 2812/);
    assert.match((await tessera(['merchant', 'add', 'TESSERA SHOP 01', '--name', 'Shop', '--currency', 'CNY'])).stdout, /CNY settlement account/);
    assert.match((await tessera(['terminal', 'add', 'POS00001', '--merchant', 'TESSERA SHOP 01'])).stdout, /terminal "POS00001"/);
    assert.match((await tessera(['deposit', '--account', account, '--amount', '0.50'])).stdout, /ledger CNY 100\.50/);
    assert.match((await tessera(['clear'])).stdout, /entries cleared/);

    const audit = await tessera(['audit']);
    assert.equal(audit.code, 0, audit.stdout);
    assert.match(audit.stdout, /ledger audit: BALANCED/);
    const json = await tessera(['audit', '--json']);
    assert.equal((JSON.parse(json.stdout) as { balanced: boolean }).balanced, true);
  });

  it('exits 1 and names the account when a balance was tampered with', async () => {
    const handle = server?.databaseUrl === undefined
      ? await openDatabase<unknown>({ dataDir: join(dir, 'pgdata') })
      : await openDatabase<unknown>({ databaseUrl: server.databaseUrl });
    try {
      await sql`update bank.accounts set ledger_balance_minor = ledger_balance_minor + 1, available_balance_minor = available_balance_minor + 1 where kind = 'customer'`.execute(handle.db);
    } finally {
      await handle.close();
    }
    const audit = await tessera(['audit']);
    assert.equal(audit.code, 1);
    assert.match(audit.stdout, /NOT BALANCED/);
    assert.match(audit.stdout, /FAIL ledger-balance-matches-postings/);
  });
});
