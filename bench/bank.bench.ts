import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { fromHex, utf8 } from '../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../src/lib/crypto/index.js';
import { luhnCheckDigit } from '../src/lib/luhn.js';
import { migrate, openDatabase, type DatabaseHandle } from '../src/infra/db/index.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createBankService, createCustomer, deposit, issueCard,
  openCustomerAccount, type BankContext, type BankDatabase, type CryptogramCheck,
} from '../src/bank/client.js';
import type { Benchmark, Measurement } from './harness.js';

/**
 * Issuer authorizations per second, durable, against a pgbench-like TPC-B loop on the same database
 * in the same run (issue: bank and POS, item 11). Both run `WORKERS` concurrent sessions for
 * `DURATION_MS`. An authorization is the issuer's whole decision in one SERIALIZABLE transaction:
 * card and limits, ATC high-water mark, hold and balances, authorization record; the cryptogram
 * check is a constant-time key comparison (the ARQC MAC costs microseconds and is measured in the
 * crypto benchmarks). On PostgreSQL when DATABASE_URL is set (a throwaway database is created and
 * dropped), on PGlite otherwise, where sessions take turns.
 *
 * Latency: p50/p99 at full load, then at half the measured peak rate (open loop).
 */

const WORKERS = Math.min(Number(process.env['TESSERA_BENCH_BANK_WORKERS'] ?? 8), 64);
const DURATION_MS = Math.min(Number(process.env['TESSERA_BENCH_BANK_MS'] ?? 5_000), 60_000);
const CARDS = 2_000;
const TPCB_ACCOUNTS = 100_000;
const TPCB_TELLERS = 10;
const TPCB_BRANCHES = 1;
const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const KEK = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const TERMINAL = 'BENCH001';
const MERCHANT = 'BENCH MERCHANT1';

interface BenchDatabase<DB> extends DatabaseHandle<DB> {
  readonly location: string;
}

async function openBenchDatabase<DB>(): Promise<BenchDatabase<DB>> {
  const serverUrl = process.env['DATABASE_URL'];
  if (serverUrl === undefined || serverUrl === '') return { ...(await openDatabase<DB>({})), location: 'PGlite (in memory; one session)' };
  const name = `tessera_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase<DB>({ databaseUrl: url.toString(), poolConnectionsMax: WORKERS + 2 });
  return {
    ...handle,
    location: `PostgreSQL ${url.host}`,
    close: () => handle.close().then(() => admin(`drop database if exists "${name}" with (force)`)),
  };
}

function percentile(sortedMs: readonly number[], fraction: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(fraction * sortedMs.length))] ?? Number.NaN;
}

interface LoadResult {
  readonly operations: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
}

/** `workers` closed loops for `durationMs`, or an open loop at `ratePerSecond` when given. */
async function load(operation: (worker: number) => Promise<void>, durationMs: number, workers: number, ratePerSecond?: number): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let operations = 0;
  const timed = async (worker: number): Promise<void> => {
    const begun = performance.now();
    await operation(worker);
    latenciesMs.push(performance.now() - begun);
    operations++;
  };
  if (ratePerSecond === undefined) {
    await Promise.all(Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < end) await timed(worker);
    }));
  } else {
    const intervalMs = 1000 / ratePerSecond;
    const inFlight = new Set<Promise<void>>();
    let next = start;
    let worker = 0;
    while (next < end) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const job = timed(worker % workers);
      worker++;
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
      next += intervalMs;
    }
    await Promise.all(inFlight);
  }
  latenciesMs.sort((a, b) => a - b);
  return { operations, elapsedMs: performance.now() - start, latenciesMs };
}

/** pgbench's TPC-B-like script (the default "tpcb-like" built-in), on tables of our own schema. */
async function setupTPCB(db: Kysely<unknown>): Promise<void> {
  await sql`create schema bench`.execute(db);
  await sql`create table bench.branches (bid int primary key, bbalance bigint not null, filler char(88))`.execute(db);
  await sql`create table bench.tellers (tid int primary key, bid int not null, tbalance bigint not null, filler char(84))`.execute(db);
  await sql`create table bench.accounts (aid int primary key, bid int not null, abalance bigint not null, filler char(84))`.execute(db);
  await sql`create table bench.history (tid int, bid int, aid int, delta bigint, mtime timestamp, filler char(22))`.execute(db);
  await sql`insert into bench.branches select b, 0, '' from generate_series(1, ${TPCB_BRANCHES}) b`.execute(db);
  await sql`insert into bench.tellers select t, 1, 0, '' from generate_series(1, ${TPCB_TELLERS}) t`.execute(db);
  await sql`insert into bench.accounts select a, 1, 0, '' from generate_series(1, ${TPCB_ACCOUNTS}) a`.execute(db);
}

async function tpcbTransaction(db: Kysely<unknown>): Promise<void> {
  const aid = 1 + Math.floor(Math.random() * TPCB_ACCOUNTS);
  const tid = 1 + Math.floor(Math.random() * TPCB_TELLERS);
  const delta = Math.floor(Math.random() * 10_001) - 5_000;
  await db.transaction().execute(async (trx) => {
    await sql`update bench.accounts set abalance = abalance + ${delta} where aid = ${aid}`.execute(trx);
    await sql`select abalance from bench.accounts where aid = ${aid}`.execute(trx);
    await sql`update bench.tellers set tbalance = tbalance + ${delta} where tid = ${tid}`.execute(trx);
    await sql`update bench.branches set bbalance = bbalance + ${delta} where bid = 1`.execute(trx);
    await sql`insert into bench.history (tid, bid, aid, delta, mtime) values (${tid}, 1, ${aid}, ${delta}, current_timestamp)`.execute(trx);
  });
}

function panOf(serial: number): string {
  const payload = `476173${String(serial).padStart(9, '0')}`;
  return payload + luhnCheckDigit(payload);
}

export const bankAuthorizationBenchmark: Benchmark = {
  name: 'bank-authorizations',
  description: `issuer authorizations per second (${WORKERS} sessions, ${DURATION_MS} ms) vs a pgbench TPC-B-like loop on the same database`,
  async run() {
    const handle = await openBenchDatabase<BankDatabase>();
    try {
      await migrate(handle.db, BANK_SCHEMA, bankMigrations);
      let nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);
      const context: BankContext = { db: handle.db, kek: KEK, random: createDeterministicRandomSource(utf8('bank bench')), now: () => nowMs };
      const service = createBankService(context);
      const keyId = await addIssuerMasterKey(context, { label: 'bench IMK', key: IMK });
      await addBinRange(context, { prefix: '476173', name: 'bench BIN', issuerMasterKeyId: keyId });
      await addMerchant(context, { id: MERCHANT, name: 'Bench merchant', currencies: ['CNY'] });
      await addTerminal(context, { id: TERMINAL, merchantId: MERCHANT });
      const cards: { pan: string; atc: number }[] = [];
      for (let serial = 1; serial <= CARDS; serial++) {
        const customerId = await createCustomer(context, { name: `bench ${serial}` });
        const accountId = await openCustomerAccount(context, { customerId, currency: 'CNY' });
        await deposit(context, { accountId, amountMinor: 1_000_000_00n });
        const pan = panOf(serial);
        await issueCard(context, { accountId, pan, expiry: '2912', psn: 1, dailyCountMax: 10_000, dailyLimitMinor: 1_000_000_00n });
        cards.push({ pan, atc: 0 });
      }
      await setupTPCB(handle.db as unknown as Kysely<unknown>);
      const cryptogramOk: CryptogramCheck = (card) => (card.issuerMasterKey.length === IMK.length ? 'ok' : 'mismatch');
      let stan = 0;
      let cursor = 0;
      const outcomes = new Map<string, number>();
      const authorize = async (): Promise<void> => {
        const card = cards[cursor % cards.length];
        cursor++;
        if (card === undefined) throw new Error('no card');
        card.atc += 1;
        stan = (stan % 999_999) + 1;
        if (stan === 1) nowMs += 1_000; // a new second: (terminal, STAN, time) stays unique
        const result = await service.authorize({
          kind: 'preauth', pan: card.pan, expiry: '2912', amountMinor: 1_00n, currency: 'CNY', atc: card.atc, merchantId: MERCHANT,
          terminalId: TERMINAL, stan: String(stan).padStart(6, '0'), transmittedAt: new Date(nowMs), cryptogramCheck: cryptogramOk,
        });
        outcomes.set(result.responseCode, (outcomes.get(result.responseCode) ?? 0) + 1);
      };

      const baselineRun = await load(() => tpcbTransaction(handle.db as unknown as Kysely<unknown>), DURATION_MS, WORKERS);
      const subjectRun = await load(authorize, DURATION_MS, WORKERS);
      const peak = (subjectRun.operations * 1000) / subjectRun.elapsedMs;
      const halfRun = await load(authorize, Math.min(DURATION_MS, 3_000), WORKERS, peak / 2);
      const audit = await service.audit();

      const subject: Measurement = { name: 'durable issuer authorizations', operations: subjectRun.operations, elapsedMs: subjectRun.elapsedMs, perSecond: peak };
      const baseline: Measurement = { name: 'TPC-B-like transactions', operations: baselineRun.operations, elapsedMs: baselineRun.elapsedMs, perSecond: (baselineRun.operations * 1000) / baselineRun.elapsedMs };
      const ms = (value: number): string => `${value.toFixed(2)} ms`;
      return {
        name: 'bank-authorizations',
        subject,
        baseline,
        ratio: subject.perSecond / baseline.perSecond,
        target: 3,
        notes: [
          `database: ${handle.location}; ${WORKERS} concurrent sessions; ${CARDS} cards`,
          `full load: p50 ${ms(percentile(subjectRun.latenciesMs, 0.5))}, p99 ${ms(percentile(subjectRun.latenciesMs, 0.99))}`,
          `half of peak (${(peak / 2).toFixed(0)}/s, open loop): p50 ${ms(percentile(halfRun.latenciesMs, 0.5))}, p99 ${ms(percentile(halfRun.latenciesMs, 0.99))} (target p99 ≤ 20 ms)`,
          `baseline p50 ${ms(percentile(baselineRun.latenciesMs, 0.5))}, p99 ${ms(percentile(baselineRun.latenciesMs, 0.99))}`,
          `answers: ${[...outcomes].map(([code, count]) => `${code} × ${count}`).join(', ')} (91 = still conflicting after the bank's retries)`,
          `ledger audit after the run: ${audit.balanced ? 'balanced' : 'NOT balanced'}`,
        ],
      };
    } finally {
      await handle.close();
    }
  },
};
