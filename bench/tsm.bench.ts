import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { fromHex } from '../src/lib/bytes.js';
import { createSystemRandomSource } from '../src/lib/crypto/index.js';
import { encodeLoadFile } from '../src/lib/gp/index.js';
import type { Kysely } from 'kysely';
import { migrate, openDatabase } from '../src/infra/db/index.js';
import { createLogger } from '../src/infra/log/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID } from '../src/card/client.js';
import { ECHO_FIRMWARE_CLASS } from '../src/applets/echo/client.js';
import {
  addMnoRoute, addServiceProvider, createMemoryKeyStore, issueSPCredential, loadOrCreateTsmPki, registerSecureElement,
  SPClient, startTsm, TSM_SCHEMA, tsmMigrations, type CardLink, type CardLinkProvider, type TsmContext, type TsmDatabase,
} from '../src/tsm/client.js';
import type { Benchmark, Measurement } from './harness.js';
import type { SpWorkerData, SpWorkerMessage, TsmThreadMessage } from './tsmSpWorker.js';

/** Cards provisioned per run: TESSERA_BENCH_TSM_CARDS (bounded), 200 by default. */
const CARDS = Math.min(Number(process.env['TESSERA_BENCH_TSM_CARDS'] ?? 200), 20_000);
/** Cards (or bare requests) the SP keeps in flight at once. */
const IN_FLIGHT = Math.min(Number(process.env['TESSERA_BENCH_TSM_IN_FLIGHT'] ?? 8), 64);
const BASELINE_REQUESTS = 2_000;
const KEY = fromHex('404142434445464748494A4B4C4D4E4F');

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Run {
  readonly wallMs: number;
  /** CPU time of the TSM's thread (GC helpers and PGlite included: PGlite runs on this thread). */
  readonly tsmCpuMs: number;
  readonly failures: readonly string[];
}

/**
 * CPU milliseconds used so far by this process's main thread (Linux: /proc/self/task/PID/stat,
 * utime + stime in clock ticks of 10 ms), so a busy machine does not inflate the TSM's cost the way
 * wall time would. Elsewhere, the event loop's busy wall time.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return performance.eventLoopUtilization().active;
  }
}

/**
 * Runs the SP side in a worker thread and measures the main (TSM) thread's CPU time: the TSM,
 * its PGlite database and the in-process cards all live on this thread, so busy time here is
 * what the TSM costs, without the SP's HTTPS client and SCP03 wrapping.
 */
async function runWorker(data: SpWorkerData, onMessage: (message: SpWorkerMessage, worker: Worker) => void, onStart: (worker: Worker) => void = () => undefined): Promise<Run> {
  // A worker thread does not inherit tsx's loader: register it, then load the TypeScript module.
  const script = new URL('./tsmSpWorker.ts', import.meta.url).href;
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`, { eval: true, workerData: data });
  onStart(worker);
  const cpuBefore = mainThreadCpuMs();
  const started = performance.now();
  const failures = await new Promise<readonly string[]>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (message: SpWorkerMessage) => {
      if (message.type === 'finished') resolve(message.failures);
      else onMessage(message, worker);
    });
  });
  const wallMs = performance.now() - started;
  const tsmCpuMs = mainThreadCpuMs() - cpuBefore;
  await worker.terminate();
  return { wallMs, tsmCpuMs, failures };
}

/**
 * The cards live in the worker (as phones hold them): the TSM reaches them over the worker's
 * message channel, as over an OTA link, a batch stopping at the first error as the agent does.
 */
class WorkerCardLinks implements CardLinkProvider {
  readonly #cins = new Set<string>();
  readonly #pending = new Map<number, (responses: Uint8Array[]) => void>();
  #next = 0;
  #worker: Worker | undefined;

  use(worker: Worker): void {
    this.#worker = worker;
  }

  attach(cin: string): void {
    this.#cins.add(cin);
  }

  detach(cin: string): void {
    this.#cins.delete(cin);
  }

  answered(exchange: number, responses: readonly Uint8Array[]): void {
    this.#pending.get(exchange)?.([...responses]);
    this.#pending.delete(exchange);
  }

  linkFor(cin: string): Promise<CardLink | undefined> {
    const worker = this.#worker;
    if (worker === undefined || !this.#cins.has(cin)) return Promise.resolve(undefined);
    return Promise.resolve({
      exchange: (commands: readonly Uint8Array[]) => new Promise<Uint8Array[]>((resolve) => {
        const exchange = this.#next++;
        this.#pending.set(exchange, resolve);
        worker.postMessage({ type: 'commands', exchange, cin, commands } satisfies TsmThreadMessage);
      }),
    });
  }
}

/** A TSM on 127.0.0.1 over `db`, with one SP, one MNO route, one service, and its SP's credentials. */
export interface BenchTsm {
  readonly admin: TsmContext;
  readonly cards: WorkerCardLinks;
  readonly connection: Pick<SpWorkerData, 'url' | 'certificate' | 'privateKey' | 'ca'>;
  stop(): Promise<void>;
}

export async function startBenchTsm(db: Kysely<TsmDatabase>): Promise<BenchTsm> {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-tsm-'));
  const random = createSystemRandomSource();
  const logger = createLogger({ level: 'silent' });
  await migrate(db, TSM_SCHEMA, tsmMigrations);
  const keyStore = createMemoryKeyStore(random.bytes(32));
  const pki = await loadOrCreateTsmPki(join(directory, 'pki'), { random, now: new Date() });
  const admin: TsmContext = { db, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger, cardWaitMs: 0 };
  await addMnoRoute(admin, 'bench-mno', 'in-process', 'bench');
  await addServiceProvider(admin, 'bench-bank', 'bench');
  const cards = new WorkerCardLinks();
  const tsm = await startTsm({ host: '127.0.0.1', port: 0, otaPort: 0, cardWaitMs: 0, workerIntervalMs: 60_000 }, {
    db, keyStore, pki, random, now: Date.now, logger, extraCarriers: new Map([['in-process', cards]]),
  });
  const credential = await issueSPCredential(pki, 'bench-bank', { random, now: new Date() });
  const client = new SPClient({ url: tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: pki.rootPEM });
  const loadFile = encodeLoadFile({ packageAID: fromHex('F0544553539901'), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex('F054455353990101'), firmwareClass: ECHO_FIRMWARE_CLASS }] });
  await client.registerService({ serviceId: 'bench-pay', version: '1', packageAid: 'F0544553539901', moduleAid: 'F054455353990101', instanceAid: 'F0544553539901C1', loadFile });
  client.close();
  return {
    admin,
    cards,
    connection: { url: tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: pki.rootPEM },
    async stop() {
      await tsm.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Provisions `count` cards through the API (the SP and the cards in a worker thread). The worker
 * makes each card as it starts on it; the TSM thread enrolls it in the registry (as an issuer does
 * at manufacturing; counted) and reaches it over the worker's channel until the SP says it is done.
 */
export async function provisionCards(bench: BenchTsm, count: number, onCardDone: (done: number) => void = () => undefined): Promise<Run> {
  const { admin, cards } = bench;
  let done = 0;
  // Registrations still running (a set, not a list of all: the heap samples measure the TSM).
  const pending = new Set<Promise<void>>();
  const run = await runWorker({ ...bench.connection, mode: 'provision', cards: count, inFlight: IN_FLIGHT }, (message, worker) => {
    if (message.type === 'responses') {
      cards.answered(message.exchange, message.responses);
    } else if (message.type === 'card-made') {
      const registration = (async () => {
        const { cin } = message;
        const msi = String(8613900000000 + message.index);
        await registerSecureElement(admin, {
          cin, iin: message.iin, msi, mno: 'bench-mno', profile: 'uicc', seType: 'uicc', gpVersion: '2.3.1', javacardVersion: '3.0.5',
          certificationLevel: 'virtual', masterKeyIndex: 1, expiresAt: new Date(Date.now() + 86_400_000),
          domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: { version: 0x30, enc: KEY, mac: KEY, dek: KEY } }],
        }, 'bench');
        cards.attach(cin);
        worker.postMessage({ type: 'card-registered', index: message.index, msi } satisfies TsmThreadMessage);
      })();
      pending.add(registration);
      // A failed registration stays in the set, to fail the run below.
      void registration.then(() => pending.delete(registration), () => undefined);
    } else if (message.type === 'card-done') {
      cards.detach(message.cin);
      onCardDone(++done);
    }
  }, (worker) => cards.use(worker));
  await Promise.all([...pending]);
  if (run.failures.length > 0) throw new Error(`provisioning failed: ${run.failures.join('; ')}`);
  return run;
}

/** What one card costs the TSM, as the notes of both TSM benchmarks say it. */
export const CARD_WORK = 'each card: enrolment in the registry, then 7 API calls (conversation, pre-personalization, key hand-over, 2 SP-wrapped scripts: INITIALIZE UPDATE, then EXTERNAL AUTHENTICATE + PUT KEY + INSTALL + STORE DATA; activation, end)';

/**
 * Full provisioning through the SP-TSM API (HTTPS, mutual TLS) with in-process cards: register,
 * pre-personalize, hand over keys, rotate them with PUT KEY, personalize with STORE DATA, activate,
 * end the conversation. The SP and the cards run in a worker thread with several cards in flight;
 * the TSM and its embedded database have the main thread, whose CPU time gives cards per TSM core
 * second. The baseline is bare mutual-TLS requests (GET /health) from the same worker, measured
 * the same way, so the ratio says how many bare API round trips' worth of TSM time one card costs.
 * The TSM thread's heap is sampled after each tenth of the cards (after a collection).
 */
export const tsmProvisioningBenchmark: Benchmark = {
  name: 'tsm-provisioning',
  description: `full provisioning of ${CARDS} in-process cards through the SP-TSM API (mutual TLS, PGlite, ${IN_FLIGHT} in flight) vs bare mutual-TLS requests`,
  async run() {
    const handle = await openDatabase<TsmDatabase>({});
    const bench = await startBenchTsm(handle.db);
    const baseline = await runWorker({ ...bench.connection, mode: 'baseline', cards: BASELINE_REQUESTS, inFlight: IN_FLIGHT }, () => undefined);
    if (baseline.failures.length > 0) throw new Error(`baseline failed: ${baseline.failures.join('; ')}`);
    const heapSamples: number[] = [];
    const sampleEvery = Math.max(1, Math.floor(CARDS / 10));
    const usageBefore = handle.usage();
    const provisioning = await provisionCards(bench, CARDS, (done) => {
      if (done % sampleEvery !== 0) return;
      collectGarbage();
      heapSamples.push(process.memoryUsage().heapUsed);
    });
    const usageAfter = handle.usage();
    await bench.stop();
    await handle.close();
    assert.ok(usageBefore !== undefined && usageAfter !== undefined, 'the benchmark runs on PGlite');

    const perTsmCoreSecond = (count: number, run: Run): number => (count * 1000) / run.tsmCpuMs;
    const busy = (run: Run): string => `${((run.tsmCpuMs / run.wallMs) * 100).toFixed(0)} %`;
    const subject: Measurement = { name: 'cards provisioned per TSM core-second', operations: CARDS, elapsedMs: provisioning.wallMs, perSecond: perTsmCoreSecond(CARDS, provisioning) };
    const base: Measurement = { name: 'bare mutual-TLS GET /health per TSM core-second', operations: BASELINE_REQUESTS, elapsedMs: baseline.wallMs, perSecond: perTsmCoreSecond(BASELINE_REQUESTS, baseline) };
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    return {
      name: 'tsm-provisioning',
      subject,
      baseline: base,
      ratio: subject.perSecond / base.perSecond,
      notes: [
        `cards per TSM core-second: ${subject.perSecond.toFixed(1)} (issue target: 200 per core on PGlite); TSM CPU per card ${(provisioning.tsmCpuMs / CARDS).toFixed(2)} ms`,
        `wall clock: ${((CARDS * 1000) / provisioning.wallMs).toFixed(1)} cards/s with the TSM thread ${busy(provisioning)} busy; baseline ${((BASELINE_REQUESTS * 1000) / baseline.wallMs).toFixed(0)} requests/s, ${busy(baseline)} busy`,
        `TSM heap after each tenth of the cards (MiB): ${heapSamples.map(mib).join(', ')}`,
        `inside PGlite: ${((usageAfter.busyMs - usageBefore.busyMs) / CARDS).toFixed(2)} ms per card, ${((usageAfter.calls - usageBefore.calls) / CARDS).toFixed(1)} calls (tsm-database replays the same calls alone)`,
        CARD_WORK,
      ],
    };
  },
};
