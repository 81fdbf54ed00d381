import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { fromHex, utf8 } from '../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../src/lib/crypto/index.js';
import { luhnCheckDigit } from '../src/lib/luhn.js';
import { migrate, openDatabase, type DatabaseHandle } from '../src/infra/db/index.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createBankService, createCustomer, deposit, getAccount,
  issueCard, openCustomerAccount, type AuthorizationResult, type AuthorizeRequest, type BankContext, type BankDatabase, type BankService,
  type CryptogramCheck,
} from '../src/bank/client.js';
import type { Benchmark, Measurement } from './harness.js';

/**
 * Issuer authorizations per second, durable, against a pgbench-like TPC-B loop on the same database
 * in the same run (issue: bank and POS, item 11). An authorization is the issuer's whole decision:
 * card and limits, ATC high-water mark, hold and balances, authorization record; the cryptogram
 * check is a constant-time key comparison (the ARQC MAC costs microseconds and is measured in the
 * crypto benchmarks). On PostgreSQL when DATABASE_URL is set (a throwaway database is created and
 * dropped), on PGlite otherwise, where sessions take turns.
 *
 * The issuer group-commits (docs/bank.md "Group commit"): concurrent authorizations share one
 * transaction and one COMMIT, and each caller is answered only after that COMMIT, so every
 * authorization counted here is durable (synchronous_commit as the server has it; the baseline
 * commits under the same setting). Group commit needs requests in flight: the subject is measured
 * with `IN_FLIGHT` concurrent requests (terminals waiting for their answer; 128 by default, two
 * batches' worth, so both of the service's lanes fill) over a pool of `WORKERS` + 2 connections,
 * and also with `IN_FLIGHT_ONE_BATCH` (one batch's worth: one lane busy at a time) and with only
 * `WORKERS` requests in flight. The baseline runs several ways
 * (`runBaselines`: through Kysely, through `pg` directly with `WORKERS` and
 * `BASELINE_SESSIONS_WIDE` sessions, and pgbench itself when installed); the ratio is taken against
 * the fastest, so neither a slow client nor more clients can flatter the subject.
 *
 * Latency: p50/p99 at full load, then at half the measured peak rate (open loop). Then a contention
 * phase: two bank instances (two pools, as two processes would be) authorize on one account, and
 * the 91 answers are counted (target 0).
 */

const WORKERS = Math.min(Number(process.env['TESSERA_BENCH_BANK_WORKERS'] ?? 8), 64);
const DURATION_MS = Math.min(Number(process.env['TESSERA_BENCH_BANK_MS'] ?? 5_000), 60_000);
const IN_FLIGHT = Math.min(Number(process.env['TESSERA_BENCH_BANK_IN_FLIGHT'] ?? 128), 1_024);
/** One default batch's worth (AUTHORIZATION_BATCH_SIZE): the lanes then cannot overlap. */
const IN_FLIGHT_ONE_BATCH = 64;
/** Batches the bank service runs at once (its default unless set). */
const LANES = process.env['TESSERA_BENCH_BANK_LANES'] === undefined ? undefined : Number(process.env['TESSERA_BENCH_BANK_LANES']);
const BASELINE_SESSIONS_WIDE = 32;
const PGBENCH_TIMEOUT_MS = 120_000;
const execFileAsync = promisify(execFile);
const HOT_CARDS = 16;
const HOT_DURATION_MS = 2_000;
const CARDS = 2_000;
const TPCB_ACCOUNTS = 100_000;
const TPCB_TELLERS = 10;
const TPCB_BRANCHES = 1;
const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const KEK = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const TERMINAL = 'BENCH001';
const MERCHANT = 'BENCH MERCHANT1';
const HOT_TERMINAL = 'BENCH002';
const HOT_TERMINAL_OTHER = 'BENCH003';

interface BenchDatabase<DB> extends DatabaseHandle<DB> {
  readonly location: string;
  /** On PostgreSQL, the throwaway database's URL, to open more pools on it. */
  readonly url: string | undefined;
}

async function openBenchDatabase<DB>(): Promise<BenchDatabase<DB>> {
  const serverUrl = process.env['DATABASE_URL'];
  if (serverUrl === undefined || serverUrl === '') return { ...(await openDatabase<DB>({})), location: 'PGlite (in memory; one session)', url: undefined };
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
    url: url.toString(),
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

/** PostgreSQL's setting for the durability claim: the issuer and the baseline both commit under it. */
async function synchronousCommit(db: Kysely<unknown>): Promise<string> {
  const result = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db);
  return result.rows[0]?.synchronous_commit ?? 'unknown';
}

interface BenchCard {
  readonly pan: string;
  atc: number;
}

/** A terminal's stream of requests: fresh STANs on one terminal, the cards in turn, each with its next ATC. */
function requestStream(cards: readonly BenchCard[], clock: { nowMs: number }): () => AuthorizeRequest {
  let stan = 0;
  let cursor = 0;
  const cryptogramOk: CryptogramCheck = (card) => (card.issuerMasterKey.length === IMK.length ? 'ok' : 'mismatch');
  return () => {
    const card = cards[cursor % cards.length];
    cursor++;
    if (card === undefined) throw new Error('no card');
    card.atc += 1;
    stan = (stan % 999_999) + 1;
    if (stan === 1) clock.nowMs += 1_000; // a new second: (terminal, STAN, time) stays unique
    return {
      kind: 'preauth', pan: card.pan, expiry: '2912', amountMinor: 1_00n, currency: 'CNY', atc: card.atc, merchantId: MERCHANT,
      terminalId: TERMINAL, stan: String(stan).padStart(6, '0'), transmittedAt: new Date(clock.nowMs), cryptogramCheck: cryptogramOk,
    };
  };
}

async function setupBank(context: BankContext): Promise<{ cards: BenchCard[]; hotCards: BenchCard[]; hotAccountId: string }> {
  const keyId = await addIssuerMasterKey(context, { label: 'bench IMK', key: IMK });
  await addBinRange(context, { prefix: '476173', name: 'bench BIN', issuerMasterKeyId: keyId });
  await addMerchant(context, { id: MERCHANT, name: 'Bench merchant', currencies: ['CNY'] });
  await addTerminal(context, { id: TERMINAL, merchantId: MERCHANT });
  await addTerminal(context, { id: HOT_TERMINAL, merchantId: MERCHANT });
  await addTerminal(context, { id: HOT_TERMINAL_OTHER, merchantId: MERCHANT });
  const cards: BenchCard[] = [];
  for (let serial = 1; serial <= CARDS; serial++) {
    const customerId = await createCustomer(context, { name: `bench ${serial}` });
    const accountId = await openCustomerAccount(context, { customerId, currency: 'CNY' });
    await deposit(context, { accountId, amountMinor: 1_000_000_00n });
    const pan = panOf(serial);
    await issueCard(context, { accountId, pan, expiry: '2912', psn: 1, dailyCountMax: 10_000, dailyLimitMinor: 1_000_000_00n });
    cards.push({ pan, atc: 0 });
  }
  // The hot account: HOT_CARDS cards on one account, with funds for about half of what the
  // contention phase asks, so it ends declining 51 and must never go below zero.
  const customerId = await createCustomer(context, { name: 'bench hot' });
  const hotAccountId = await openCustomerAccount(context, { customerId, currency: 'CNY' });
  await deposit(context, { accountId: hotAccountId, amountMinor: 1_500_00n });
  const hotCards: BenchCard[] = [];
  for (let serial = CARDS + 1; serial <= CARDS + HOT_CARDS; serial++) {
    const pan = panOf(serial);
    await issueCard(context, { accountId: hotAccountId, pan, expiry: '2912', psn: 1, dailyCountMax: 10_000, dailyLimitMinor: 1_000_000_00n });
    hotCards.push({ pan, atc: 0 });
  }
  return { cards, hotCards, hotAccountId };
}

function countAnswers(outcomes: Map<string, number>, result: AuthorizationResult): void {
  outcomes.set(result.responseCode, (outcomes.get(result.responseCode) ?? 0) + 1);
}

function formatAnswers(outcomes: ReadonlyMap<string, number>): string {
  return [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([code, count]) => `${code} × ${count}`).join(', ');
}

export const bankAuthorizationBenchmark: Benchmark = {
  name: 'bank-authorizations',
  description: `durable group-committed issuer authorizations per second (${IN_FLIGHT} in flight over ${WORKERS + 2} connections, ${DURATION_MS} ms) vs a pgbench TPC-B-like loop on the same database`,
  async run() {
    const handle = await openBenchDatabase<BankDatabase>();
    const extraHandles: DatabaseHandle<BankDatabase>[] = [];
    try {
      await migrate(handle.db, BANK_SCHEMA, bankMigrations);
      const clock = { nowMs: Date.UTC(2026, 10, 21, 12, 0, 0) };
      const context: BankContext = { db: handle.db, kek: KEK, random: createDeterministicRandomSource(utf8('bank bench')), now: () => clock.nowMs };
      const service = createBankService(context, LANES === undefined ? {} : { lanes: LANES });
      const { cards, hotCards, hotAccountId } = await setupBank(context);
      await setupTPCB(handle.db as unknown as Kysely<unknown>);
      const durability = handle.url === undefined ? 'PGlite in memory (no disk: nothing here is durable)' : `synchronous_commit = ${await synchronousCommit(handle.db as unknown as Kysely<unknown>)}`;

      const loadAtStart = loadavg();
      const baselines = await runBaselines(handle);

      const next = requestStream(cards, clock);
      const outcomes = new Map<string, number>();
      const authorize = async (): Promise<void> => countAnswers(outcomes, await service.authorize(next()));
      const narrowRun = await load(authorize, DURATION_MS, WORKERS);
      const oneBatchRun = await load(authorize, DURATION_MS, IN_FLIGHT_ONE_BATCH);
      const batchesBefore = { ...service.authorizationStatistics };
      const cpuBefore = { node: process.cpuUsage(), server: serverCpuMs(handle.url) };
      const subjectRun = await load(authorize, DURATION_MS, IN_FLIGHT);
      const cpu = cpuPerOperation(cpuBefore, subjectRun.operations, handle.url);
      const batchesAfter = { ...service.authorizationStatistics };
      const peak = perSecond(subjectRun);
      const halfRun = await load(authorize, Math.min(DURATION_MS, 3_000), IN_FLIGHT, peak / 2);

      const contention = await runContention(handle, context, service, hotCards, clock, extraHandles);
      const hotAccount = await getAccount(context, hotAccountId);
      const audit = await service.audit();

      const baselineBest = baselines.reduce((best, candidate) => (candidate.perSecond > best.perSecond ? candidate : best));
      const subject: Measurement = { name: `durable issuer authorizations (${IN_FLIGHT} in flight)`, operations: subjectRun.operations, elapsedMs: subjectRun.elapsedMs, perSecond: peak };
      const baseline: Measurement = {
        ...baselineBest, name: `TPC-B-like transactions, fastest of ${baselines.length} baselines (${baselineBest.name})`,
      };
      const batches = batchesAfter.batches - batchesBefore.batches;
      const meanBatch = batches === 0 ? 0 : (batchesAfter.authorizations - batchesBefore.authorizations) / batches;
      return {
        name: 'bank-authorizations',
        subject,
        baseline,
        ratio: subject.perSecond / baseline.perSecond,
        target: 3,
        notes: [
          `database: ${handle.location}; ${durability}; pool ${WORKERS + 2} connections; ${CARDS} cards; load average ${formatLoad(loadAtStart)} at the start, ${formatLoad(loadavg())} at the end (${availableParallelism()} cores)`,
          ...baselines.map((run) => `baseline ${run.name}: ${run.perSecond.toFixed(0)}/s (${run.latency})`),
          `full load, ${IN_FLIGHT} in flight: ${peak.toFixed(0)}/s, ${latency(subjectRun)}; ${batches} batches, mean ${meanBatch.toFixed(1)}, largest ${batchesAfter.largestBatch}; ` +
            `${service.authorizationLanes} lanes`,
          `CPU per authorization at full load: ${cpu}`,
          `full load, ${IN_FLIGHT_ONE_BATCH} in flight (one batch's worth): ${perSecond(oneBatchRun).toFixed(0)}/s, ${latency(oneBatchRun)}; ratio ${(perSecond(oneBatchRun) / baseline.perSecond).toFixed(2)}`,
          `full load, ${WORKERS} in flight (as many as the baseline's sessions): ${perSecond(narrowRun).toFixed(0)}/s, ${latency(narrowRun)}; ratio ${(perSecond(narrowRun) / baseline.perSecond).toFixed(2)}`,
          `half of peak (${(peak / 2).toFixed(0)}/s, open loop): ${perSecond(halfRun).toFixed(0)}/s, ${latency(halfRun)} (target p99 ≤ 20 ms)`,
          `answers: ${formatAnswers(outcomes)} (91 = still conflicting after the bank's retries)`,
          `contention, 2 bank instances × ${IN_FLIGHT / 2} in flight on ${HOT_CARDS} cards of one account for ${HOT_DURATION_MS} ms: ${formatAnswers(contention.outcomes)}; ` +
            `${contention.splits} batch splits; available balance after ${hotAccount.availableBalanceMinor} (never below 0)`,
          `ledger audit after the run: ${audit.balanced ? 'balanced' : 'NOT balanced'}`,
        ],
      };
    } finally {
      for (const extra of extraHandles) await extra.close();
      await handle.close();
    }
  },
};

function formatLoad(load: readonly number[]): string {
  return load.map((value) => value.toFixed(2)).join(' ');
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function latency(run: LoadResult): string {
  return `p50 ${ms(percentile(run.latenciesMs, 0.5))}, p99 ${ms(percentile(run.latenciesMs, 0.99))}`;
}

interface BaselineRun extends Measurement {
  readonly latency: string;
}

function baselineOf(name: string, run: LoadResult): BaselineRun {
  return { name, operations: run.operations, elapsedMs: run.elapsedMs, perSecond: perSecond(run), latency: latency(run) };
}

/**
 * The TPC-B-like baseline, several ways, on the same database in the same run; the ratio is taken
 * against the fastest, so a slow client cannot flatter the subject:
 * - through Kysely, as the issuer's own queries go (WORKERS sessions): the baseline this
 *   benchmark always had;
 * - on PostgreSQL, through `pg` directly (WORKERS and BASELINE_SESSIONS_WIDE sessions): less
 *   client CPU per statement, which matters on a busy machine;
 * - on PostgreSQL, pgbench itself (its built-in TPC-B-like script, WORKERS clients) when it is on
 *   the PATH: the reference the issue names.
 */
async function runBaselines(handle: BenchDatabase<BankDatabase>): Promise<BaselineRun[]> {
  const runs = [baselineOf(`Kysely, ${WORKERS} sessions`, await load(() => tpcbTransaction(handle.db as unknown as Kysely<unknown>), DURATION_MS, WORKERS))];
  if (handle.url === undefined) return runs;
  for (const sessions of [WORKERS, BASELINE_SESSIONS_WIDE]) {
    const pool = new pg.Pool({ connectionString: handle.url, max: sessions });
    try {
      runs.push(baselineOf(`pg, ${sessions} sessions`, await load(() => tpcbTransactionPg(pool), DURATION_MS, sessions)));
    } finally {
      await pool.end();
    }
  }
  const pgbench = await runPgbench(handle.url, WORKERS, DURATION_MS);
  if (pgbench !== undefined) runs.push(pgbench);
  return runs;
}

/** The same transaction as `tpcbTransaction`, on a `pg` pool without Kysely in between. */
async function tpcbTransactionPg(pool: pg.Pool): Promise<void> {
  const aid = 1 + Math.floor(Math.random() * TPCB_ACCOUNTS);
  const tid = 1 + Math.floor(Math.random() * TPCB_TELLERS);
  const delta = Math.floor(Math.random() * 10_001) - 5_000;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('update bench.accounts set abalance = abalance + $1 where aid = $2', [delta, aid]);
    await client.query('select abalance from bench.accounts where aid = $1', [aid]);
    await client.query('update bench.tellers set tbalance = tbalance + $1 where tid = $2', [delta, tid]);
    await client.query('update bench.branches set bbalance = bbalance + $1 where bid = 1', [delta]);
    await client.query('insert into bench.history (tid, bid, aid, delta, mtime) values ($1, 1, $2, $3, current_timestamp)', [tid, aid, delta]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

/** pgbench's built-in TPC-B-like script (scale 1: 100,000 accounts) on the bench database; undefined when pgbench is not installed. */
async function runPgbench(url: string, clients: number, durationMs: number): Promise<BaselineRun | undefined> {
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  try {
    await execFileAsync('pgbench', ['-i', '-s', '1', '-q', url], { timeout: PGBENCH_TIMEOUT_MS });
    const { stdout } = await execFileAsync('pgbench', ['-n', '-c', String(clients), '-j', String(Math.min(clients, availableParallelism())), '-T', String(seconds), url],
      { timeout: PGBENCH_TIMEOUT_MS + durationMs });
    const tps = Number(/tps = ([0-9.]+)/.exec(stdout)?.[1] ?? Number.NaN);
    const latencyMs = Number(/latency average = ([0-9.]+) ms/.exec(stdout)?.[1] ?? Number.NaN);
    const transactions = Number(/number of transactions actually processed: ([0-9]+)/.exec(stdout)?.[1] ?? Number.NaN);
    if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return { name: `pgbench, ${clients} clients`, operations: transactions, elapsedMs: seconds * 1000, perSecond: tps, latency: `average ${ms(latencyMs)}` };
  } catch (error) {
    // Not installed (ENOENT), or it failed: the other baselines still stand, and the notes say so.
    if ((error as { code?: unknown }).code !== 'ENOENT') console.warn(`pgbench baseline skipped: ${(error as Error).message}`);
    return undefined;
  }
}

function perSecond(run: LoadResult): number {
  return (run.operations * 1000) / run.elapsedMs;
}

/**
 * Two bank instances on one hot account: this process's service and, on PostgreSQL, a second
 * service on a pool of its own (on PGlite, a second service on the same session). Their batches
 * conflict under SERIALIZABLE; the retries must answer every request without 91.
 */
async function runContention(
  handle: BenchDatabase<BankDatabase>, context: BankContext, service: BankService, hotCards: BenchCard[], clock: { nowMs: number },
  extraHandles: DatabaseHandle<BankDatabase>[],
): Promise<{ outcomes: Map<string, number>; splits: number }> {
  let otherDb = handle.db;
  if (handle.url !== undefined) {
    const other = await openDatabase<BankDatabase>({ databaseUrl: handle.url, poolConnectionsMax: WORKERS + 2 });
    extraHandles.push(other);
    otherDb = other.db;
  }
  const otherService = createBankService({ ...context, db: otherDb, random: createDeterministicRandomSource(utf8('bank bench, other instance')) });
  const splitsBefore = service.authorizationStatistics.splits;
  const outcomes = new Map<string, number>();
  // One terminal and half of the cards per instance: the two never send the same (terminal, STAN,
  // time), and a card's ATCs reach one instance in order; what they share is the account.
  const half = hotCards.length / 2;
  const streams = [requestStream(hotCards.slice(0, half), clock), requestStream(hotCards.slice(half), clock)];
  const terminals = [HOT_TERMINAL, HOT_TERMINAL_OTHER];
  const instances = [service, otherService];
  await load(async (worker) => {
    const instance = worker % 2;
    const request = streams[instance]?.();
    const bank = instances[instance];
    if (request === undefined || bank === undefined) throw new Error('no instance');
    countAnswers(outcomes, await bank.authorize({ ...request, terminalId: terminals[instance] ?? HOT_TERMINAL }));
  }, HOT_DURATION_MS, IN_FLIGHT);
  return { outcomes, splits: service.authorizationStatistics.splits - splitsBefore + otherService.authorizationStatistics.splits };
}

/**
 * CPU milliseconds used so far by the PostgreSQL server at `url` when it runs on this machine
 * (Linux /proc: every process named postgres, plus what the postmaster's exited children used),
 * so the notes can say where an authorization's CPU goes. Undefined elsewhere.
 */
function serverCpuMs(url: string | undefined): number | undefined {
  if (url === undefined || !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) return undefined;
  let ticks = 0;
  let found = false;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // the process ended meanwhile
      }
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      found = true;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, plus cutime and cstime: the postmaster's reaped backends (zero for the others).
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
  } catch {
    return undefined;
  }
  // Clock ticks are 10 ms on Linux (USER_HZ = 100).
  return found ? ticks * 10 : undefined;
}

function cpuPerOperation(before: { node: NodeJS.CpuUsage; server: number | undefined }, operations: number, url: string | undefined): string {
  const node = process.cpuUsage(before.node);
  const nodeMicros = (node.user + node.system) / operations;
  const serverAfter = serverCpuMs(url);
  const server = before.server === undefined || serverAfter === undefined ? 'PostgreSQL not measured (not on this machine)'
    : `PostgreSQL ${((serverAfter - before.server) * 1000 / operations).toFixed(0)} µs`;
  return `this process (bank + load generator) ${nodeMicros.toFixed(0)} µs, ${server}`;
}
