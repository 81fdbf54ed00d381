import { Kysely } from 'kysely';
import { SessionDialect, type Session, type SessionLease, type SessionSource } from '../src/infra/db/driver.js';
import { createPGliteSource } from '../src/infra/db/pglite.js';
import type { TsmDatabase } from '../src/tsm/client.js';
import type { Benchmark, Measurement } from './harness.js';
import { CARD_WORK, mainThreadCpuMs, provisionCards, startBenchTsm } from './tsm.bench.js';

/** Cards whose statements are recorded and replayed: TESSERA_BENCH_TSM_DB_CARDS (bounded), 500 by default. */
const CARDS = Math.min(Number(process.env['TESSERA_BENCH_TSM_DB_CARDS'] ?? 500), 2_000);
/** The TSM's CPU budget per card at the target of 200 cards per core-second. */
const TARGET_MS_PER_CARD = 5;

/** One call the TSM made on its database session, in order. */
type RecordedCall =
  | { readonly kind: 'begin'; readonly sql: string }
  | { readonly kind: 'run'; readonly sql: string; readonly parameters: readonly unknown[] }
  | { readonly kind: 'release' };

/** The source as it is, every call on its session also written down. */
function recordingSource(source: SessionSource, calls: RecordedCall[]): SessionSource {
  return {
    ...(source.transactionsRunAlone === undefined ? {} : { transactionsRunAlone: source.transactionsRunAlone }),
    async acquire(): Promise<SessionLease> {
      const lease = await source.acquire();
      const inner = lease.session;
      const begin = inner.begin?.bind(inner);
      const session: Session = {
        run: (sql, parameters) => {
          calls.push({ kind: 'run', sql, parameters });
          return inner.run(sql, parameters);
        },
        ...(begin === undefined ? {} : {
          begin: (sql: string) => {
            calls.push({ kind: 'begin', sql });
            return begin(sql);
          },
        }),
      };
      return {
        session,
        discardable: lease.discardable,
        release: (broken) => {
          calls.push({ kind: 'release' });
          lease.release(broken);
        },
      };
    },
    destroy: () => source.destroy(),
  };
}

interface Replay {
  readonly cpuMs: number;
  /** Calls into PGlite in the measured part. */
  readonly calls: number;
  readonly failures: number;
}

/**
 * Replays the calls on a fresh embedded database, as the TSM made them; only the calls from
 * `measuredFrom` on are timed (CPU of this thread). `prepare` runs on the session just before;
 * `skip` leaves measured calls out.
 */
async function replay(calls: readonly RecordedCall[], measuredFrom: number, options: { prepare?: (session: Session) => Promise<void>; skip?: (sql: string) => boolean } = {}): Promise<Replay> {
  const source = await createPGliteSource({ dataDir: undefined, sessionWaitMsMax: 30_000 });
  let lease = await source.acquire();
  let cpuBefore = 0;
  let measured = 0;
  let failures = 0;
  try {
    for (const [index, call] of calls.entries()) {
      if (index === measuredFrom) {
        await options.prepare?.(lease.session);
        cpuBefore = mainThreadCpuMs();
      }
      if (call.kind === 'release') {
        lease.release(false);
        lease = await source.acquire();
      } else if (call.kind === 'begin') {
        await lease.session.begin?.(call.sql);
      } else if (index < measuredFrom || options.skip?.(call.sql) !== true) {
        if (index >= measuredFrom) measured++;
        // A call that failed for the TSM fails here too (a refused request rolls back): counted, not fatal.
        await lease.session.run(call.sql, call.parameters).catch(() => { failures++; });
      }
    }
    return { cpuMs: mainThreadCpuMs() - cpuBefore, calls: measured, failures };
  } finally {
    lease.release(false);
    await source.destroy();
  }
}

/** Every foreign key of schema tsm dropped: what the rows would cost without their checks. */
async function dropForeignKeys(session: Session): Promise<void> {
  const found = await session.run(
    "select format('alter table %s drop constraint %I', conrelid::regclass, conname) as statement from pg_constraint where contype = 'f' and connamespace = 'tsm'::regnamespace",
    [],
  );
  for (const row of found.rows as { statement: string }[]) await session.run(row.statement, []);
}

const IDEMPOTENCY_STATEMENT = /idempotency_keys/;

/**
 * What the embedded database alone costs per provisioned card: the TSM provisions cards through
 * its API (as tsm-provisioning does) with every call on its database session recorded; the calls
 * are then replayed on a fresh PGlite in this thread, alone, and timed. Also replayed: without the
 * schema's foreign keys, and without the idempotency statements (each API call's key lookup and
 * stored response), to show what those cost. The baseline is as many bare prepared `select $1`
 * calls, so the ratio says how many bare calls' worth of work one card's statements are.
 */
export const tsmDatabaseBenchmark: Benchmark = {
  name: 'tsm-database',
  description: `the TSM's database calls for ${CARDS} provisioned cards, replayed on PGlite alone vs bare prepared calls`,
  async run() {
    const calls: RecordedCall[] = [];
    const source = recordingSource(await createPGliteSource({ dataDir: undefined, sessionWaitMsMax: 30_000 }), calls);
    const db = new Kysely<TsmDatabase>({ dialect: new SessionDialect(source) });
    const bench = await startBenchTsm(db);
    const measuredFrom = calls.length;
    await provisionCards(bench, CARDS);
    await bench.stop();
    await db.destroy();
    await source.destroy();

    // The replay as recorded runs first and last (the lower counts), so that warming up favours no variant.
    const first = await replay(calls, measuredFrom);
    const withoutForeignKeys = await replay(calls, measuredFrom, { prepare: dropForeignKeys });
    const withoutIdempotency = await replay(calls, measuredFrom, { skip: (sql) => IDEMPOTENCY_STATEMENT.test(sql) });
    const last = await replay(calls, measuredFrom);
    const recorded = last.cpuMs < first.cpuMs ? last : first;
    const bare = await replay(Array.from({ length: recorded.calls }, (_, index): RecordedCall => ({ kind: 'run', sql: 'select $1::int as value', parameters: [index] })), 0);

    const perCard = (result: Replay): string => `${(result.cpuMs / CARDS).toFixed(2)} ms`;
    const subject: Measurement = { name: 'cards per core-second of replayed TSM statements', operations: CARDS, elapsedMs: recorded.cpuMs, perSecond: (CARDS * 1000) / recorded.cpuMs };
    const baseline: Measurement = { name: 'bare prepared select $1 calls per core-second', operations: bare.calls, elapsedMs: bare.cpuMs, perSecond: (bare.calls * 1000) / bare.cpuMs };
    return {
      name: 'tsm-database',
      subject,
      baseline,
      ratio: subject.perSecond / baseline.perSecond,
      notes: [
        `database CPU per card, replayed alone: ${perCard(recorded)} (${(recorded.calls / CARDS).toFixed(1)} calls per card; the issue's 200 cards per core leaves ${TARGET_MS_PER_CARD} ms per card for the whole TSM)`,
        `without the schema's foreign keys: ${perCard(withoutForeignKeys)}; without the idempotency statements (${((recorded.calls - withoutIdempotency.calls) / CARDS).toFixed(1)} per card): ${perCard(withoutIdempotency)}`,
        `bare calls: ${((bare.cpuMs * 1000) / bare.calls).toFixed(1)} µs each; calls that failed in the replay: ${recorded.failures + withoutForeignKeys.failures + withoutIdempotency.failures} (a refused request's, as for the TSM)`,
        CARD_WORK,
      ],
    };
  },
};
