import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { Type, type Static } from 'typebox';
import { loadConfig } from '../infra/config/index.js';
import { migrate } from '../infra/db/index.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { addHealthRoute, buildHttpApp, errorResponses, listen, type ListeningServer } from '../infra/http/index.js';
import { createLogger, LogLevelSchema } from '../infra/log/index.js';
import { PLATFORM_SCHEMA, platformMigrations, type PlatformDatabase } from './platformSchema.js';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import {
  createFileKeyStore, loadOrCreateApplicationSigningKey, loadOrCreateTsmPki, startTsm, TSM_SCHEMA, tsmMigrations, type RunningTsm, type TsmContext,
  type TsmDatabase,
} from '../tsm/client.js';
import { CARD_DEVICE_KEY_FILE_NAME, loadCardDeviceKey } from './cardDeviceKey.js';
import { configureDemoShop, DEMO, ensureDemo, openDemoIssuer, prepareDemoTsm, type DemoState } from './demoSetup.js';
import { createDemoControlToken, registerDemoControl, type DemoControlDeps } from './demoControl.js';
import { startGatewayService } from './gatewayService.js';
import { readDeviceCards, registerConsolePages, type ConsoleCard, type ConsoleDatabase } from './console/index.js';
import type { GatewayDatabase, RunningGateway } from '../gateway/client.js';
import { BANK_SCHEMA, bankMigrations, startBank, type BankDatabase, type RunningBank } from '../bank/client.js';
import { loadBankKEK } from './bank.js';
import { connectHandset, listInbox, startSMSC, type HandsetClient, type RunningSMSC, type SmscDatabase } from '../smsc/client.js';
import { TESSERA_VERSION } from './version.js';

/** `tessera up` settings: defaults < JSON file < TESSERA_* environment < command-line flags. */
export const UpConfigSchema = Type.Object({
  dataDir: Type.String({ default: '.tessera', minLength: 1 }),
  databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
  host: Type.String({ default: '127.0.0.1' }),
  consolePort: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  tsmPort: Type.Integer({ default: 9443, minimum: 0, maximum: 65535 }),
  tsmOtaPort: Type.Integer({ default: 9444, minimum: 0, maximum: 65535 }),
  issuerPort: Type.Integer({ default: 8583, minimum: 0, maximum: 65535 }),
  acquirerPort: Type.Integer({ default: 8584, minimum: 0, maximum: 65535 }),
  smppPort: Type.Integer({ default: 2775, minimum: 0, maximum: 65535 }),
  handsetPort: Type.Integer({ default: 2776, minimum: 0, maximum: 65535 }),
  gatewayPort: Type.Integer({ default: 8443, minimum: 0, maximum: 65535 }),
  checkoutPort: Type.Integer({ default: 8444, minimum: 0, maximum: 65535 }),
  /** Set up the demo bank, SP, merchant, customer and phone on the first start (README "Quick start"). */
  demo: Type.Boolean({ default: true }),
  logLevel: LogLevelSchema,
}, { additionalProperties: false });
export type UpConfig = Static<typeof UpConfigSchema>;

/** `<data>/platform.json`: what runs where, written once everything is up, removed at stop. */
export const PLATFORM_FILE_NAME = 'platform.json';

/** One row of the table `tessera up` prints: what runs where. */
export interface ServiceRow {
  readonly service: string;
  readonly state: 'running' | 'not yet built';
  readonly url?: string;
  readonly detail: string;
}

export interface Platform {
  readonly services: readonly ServiceRow[];
  readonly demo: DemoState | undefined;
  readonly database: { readonly dialect: 'pglite' | 'postgres'; readonly location: string };
  readonly start: { readonly number: number; readonly firstStartedAt: Date };
  readonly logFile: string;
  stop(): Promise<void>;
}


export function loadUpConfig(env: NodeJS.ProcessEnv, overrides: Partial<UpConfig>, file?: string): UpConfig {
  return loadConfig(UpConfigSchema, { env, ...(file === undefined ? {} : { file }), overrides });
}

/**
 * Starts everything that exists on one database (embedded PGlite under `dataDir` unless a
 * PostgreSQL URL is given) and returns what runs where. Logs go to `<dataDir>/tessera.log` so the
 * terminal shows only the table.
 */
export async function startPlatform(config: UpConfig): Promise<Platform> {
  // Where a start's time goes (bench/up.bench.ts reads it from the log): ms per phase, the first
  // one being the process's own start and module loading (performance.now() counts from the process start).
  const phasesMs: Record<string, number> = { process: Math.round(performance.now()) };
  let phaseStart = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    phasesMs[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'tessera.log');
  const logger = createLogger({ level: config.logLevel, name: 'tessera', destination: pino.destination({ fd: openSync(logFile, 'a') }) });

  const handle = await openPlatformDatabase<PlatformDatabase & TsmDatabase & BankDatabase & SmscDatabase & GatewayDatabase>({ dataDir, databaseUrl: config.databaseUrl });
  phase('database');
  let server: ListeningServer | undefined;
  let tsm: RunningTsm | undefined;
  let bank: RunningBank | undefined;
  let smsc: RunningSMSC | undefined;
  let gateway: RunningGateway | undefined;
  let handset: HandsetClient | undefined;
  const random = createSystemRandomSource();
  // `tessera demo` asks this process for the steps that need the database (src/cli/demoControl.ts).
  const demoControl: { token: { token: string; remove(): void } | undefined; deps: DemoControlDeps | undefined } = { token: undefined, deps: undefined };
  try {
    await migrate(handle.db, PLATFORM_SCHEMA, platformMigrations);
    await handle.db.insertInto('platform.starts').values({ version: TESSERA_VERSION, dialect: handle.dialect }).execute();
    const starts = await handle.db.selectFrom('platform.starts')
      .select((eb) => [eb.fn.countAll<bigint>().as('count'), eb.fn.min('started_at').as('first')])
      .executeTakeFirstOrThrow();

    const app = await buildHttpApp({ logger, openapi: { title: 'Tessera console', version: TESSERA_VERSION } });
    addHealthRoute(app, { check: async () => { await sql`select 1`.execute(handle.db); } });
    const services: ServiceRow[] = [];
    app.get('/v1/platform', {
      schema: {
        summary: 'What runs where',
        response: {
          200: Type.Object({
            version: Type.String(),
            services: Type.Array(Type.Object({
              service: Type.String(), state: Type.String(), url: Type.Optional(Type.String()), detail: Type.String(),
            }, { additionalProperties: false })),
          }, { additionalProperties: false }),
          ...errorResponses(500),
        },
      },
    }, () => ({ version: TESSERA_VERSION, services }));
    // The bank starts after the console listens; until then the audit answers 503.
    const late: { bank: RunningBank | undefined } = { bank: undefined };
    app.get('/v1/bank/audit', {
      schema: {
        summary: 'The ledger audit: the books balance and every hold is accounted for (tessera bank audit)',
        response: {
          200: Type.Object({
            balanced: Type.Boolean(),
            counts: Type.Record(Type.String(), Type.Number()),
            checks: Type.Array(Type.Object({
              name: Type.String(), description: Type.String(), violations: Type.Number(), findings: Type.Array(Type.String()),
            }, { additionalProperties: false })),
          }, { additionalProperties: false }),
          ...errorResponses(500, 503),
        },
      },
    }, async () => {
      if (late.bank === undefined) throw new TesseraError('ERR_PLATFORM_STARTING', 'the bank is starting', { httpStatus: 503 });
      const report = await late.bank.service.audit();
      return { balanced: report.balanced, counts: { ...report.counts }, checks: report.checks.map((check) => ({ ...check, findings: [...check.findings] })) };
    });
    app.get('/v1/phones/:msisdn/inbox', {
      schema: {
        summary: 'What a handset has received, newest first (tessera phone inbox MSISDN while the platform runs)',
        params: Type.Object({ msisdn: Type.String({ pattern: '^\\+?[0-9]{5,15}$' }) }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            messages: Type.Array(Type.Object({
              id: Type.String(), from: Type.String(), text: Type.String(), parts: Type.Integer(), receivedAt: Type.String(),
            }, { additionalProperties: false })),
          }, { additionalProperties: false }),
          ...errorResponses(400, 500),
        },
      },
    }, async (request) => {
      const entries = await listInbox(handle.db as unknown as Kysely<SmscDatabase>, request.params.msisdn, { limit: request.query.limit ?? 50 });
      return { messages: entries.map((entry) => ({ ...entry, receivedAt: entry.receivedAt.toISOString() })) };
    });
    // The operator console's pages (docs/console.md); their sources come up after the console listens.
    const consoleCards: { read: (() => ConsoleCard[]) | undefined } = { read: undefined };
    registerConsolePages(app, {
      db: handle.db as unknown as Kysely<ConsoleDatabase>,
      services: () => services,
      audit: async () => (late.bank === undefined ? undefined : late.bank.service.audit()),
      cards: () => consoleCards.read?.() ?? [],
      now: Date.now,
    });
    if (config.demo) {
      demoControl.token = createDemoControlToken(dataDir, random);
      registerDemoControl(app, demoControl.token.token, () => demoControl.deps);
    }
    server = await listen(app, { host: config.host, port: config.consolePort });
    phase('console');
    const home = join(dataDir, 'tsm');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    // One database for every service; each sees only its own schema's tables (the sets are disjoint).
    const tsmDb = handle.db as unknown as Kysely<TsmDatabase>;
    const keyStore = createFileKeyStore(join(home, 'kek.key'), { random });
    const pki = await loadOrCreateTsmPki(join(home, 'pki'), { random, now: new Date() });
    const applicationSigningKey = loadOrCreateApplicationSigningKey(join(home, 'pki'));
    phase('tsmPki');
    const tsmLogger = logger.child({ service: 'tsm' });
    const tsmContext: TsmContext = { db: tsmDb, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger: tsmLogger, cardWaitMs: 0 };
    await migrate(tsmDb, TSM_SCHEMA, tsmMigrations);
    // The demo's MNO route must exist before the TSM starts: its OTA gateways are made per carrier then.
    if (config.demo) await prepareDemoTsm(tsmContext, applicationSigningKey);
    tsm = await startTsm({ host: config.host, port: config.tsmPort, otaPort: config.tsmOtaPort }, {
      db: tsmDb, keyStore, pki, random, now: Date.now, logger: tsmLogger, applicationSigningKey,
    });
    phase('tsm');
    await migrate(handle.db, BANK_SCHEMA, bankMigrations);
    bank = await startBank({ host: config.host, issuerPort: config.issuerPort, acquirerPort: config.acquirerPort }, {
      context: { db: handle.db as unknown as Kysely<BankDatabase>, kek: loadBankKEK(dataDir, random), random, now: Date.now },
      logger: logger.child({ service: 'bank' }),
    });
    late.bank = bank;
    phase('bank');
    smsc = await startSMSC({ host: config.host, smppPort: config.smppPort, handsetPort: config.handsetPort }, {
      db: handle.db as unknown as Kysely<SmscDatabase>, random, now: Date.now, logger: logger.child({ service: 'smsc' }),
    });
    phase('smsc');
    const online = await startGatewayService({
      dataDir, host: config.host, partnerPort: config.gatewayPort, publicPort: config.checkoutPort, random, logger: logger.child({ service: 'gateway' }),
      gatewayDb: handle.db as unknown as Kysely<GatewayDatabase>, smscDb: handle.db as unknown as Kysely<SmscDatabase>,
      smsc: { host: smsc.host, smppPort: smsc.smppPort }, acquirer: bank.acquirer,
    });
    gateway = online.gateway;
    phase('gateway');
    let demo: DemoState | undefined;
    if (config.demo) {
      const deviceKey = loadCardDeviceKey({ env: process.env, keyFile: join(dataDir, CARD_DEVICE_KEY_FILE_NAME), create: true, notify: (message) => logger.info(message) }).key;
      const firstStart = !(await handle.db.selectFrom('platform.demo').select('name').executeTakeFirst());
      const bankContext = { db: handle.db as unknown as Kysely<BankDatabase>, kek: loadBankKEK(dataDir, random), random, now: Date.now };
      demo = await ensureDemo({
        dataDir, platformDb: handle.db as unknown as Kysely<PlatformDatabase>, tsmContext, tsm, pki, applicationKey: applicationSigningKey, deviceKey, random, logger,
        bank: bankContext, gateway: online.gateway, gatewayPki: online.pki, smscDb: handle.db as unknown as Kysely<SmscDatabase>,
      });
      const runningTsm = tsm;
      demoControl.deps = {
        dataDir, factory: { tsmContext, pki, applicationKey: applicationSigningKey, deviceKey, random },
        issuer: () => openDemoIssuer(dataDir, bankContext, runningTsm, pki, random), accountId: demo.accountId, tsmDeviceUrl: tsm.otaUrl,
      };
      if (!firstStart) configureDemoShop(online.gateway, online.pki, demo);
      // Ports may differ from the first start's: the shop is where this start's checkout listens.
      demo = { ...demo, shopUrl: `${online.gateway.publicUrl}/shop` };
      const deviceDirectory = demo.deviceDirectory;
      consoleCards.read = () => readDeviceCards(deviceDirectory, deviceKey);
      // The demo customer's phone is always on: SMS (authorization codes, receipts) reach its inbox.
      handset = await connectHandset({ host: smsc.host, port: smsc.handsetPort, msisdn: demo.msisdn, secret: demo.handsetSecret });
      phase('demo');
    }
    services.push(
      { service: 'console', state: 'running', url: server.url, detail: 'operator console: secure elements, TSM, payments, ledger, SMSC; status /v1/platform, health /health, OpenAPI /docs' },
      { service: 'tsm', state: 'running', url: tsm.url, detail: `central TSM, SP-TSM API (mutual TLS; SPs: tessera tsm sp add), OTA for card agents at ${tsm.otaUrl}` },
      { service: 'issuer', state: 'running', url: `iso8583://${bank.issuer.host}:${bank.issuer.port}`, detail: 'issuer ISO 8583 host (BCD dialect, 2-byte length framing); ledger audit: tessera bank audit' },
      { service: 'smsc', state: 'running', url: `smpp://${smsc.host}:${smsc.smppPort}`, detail: `SMS center: SMPP 3.4 for applications; handsets attach at ${smsc.host}:${smsc.handsetPort} (tessera phone inbox MSISDN)` },
      { service: 'gateway', state: 'running', url: gateway.partnerUrl, detail: `online payments: merchant and bank API (mutual TLS; OpenAPI /docs); hosted checkout and demo shop at ${gateway.publicUrl}/shop` },
      { service: 'acquirer', state: 'running', url: `iso8583://${bank.acquirer.host}:${bank.acquirer.port}`, detail: 'acquirer ISO 8583 host for terminals (tessera pos pay), routes by BIN to the issuer' },
    );
    logger.info({ services: services.length, dialect: handle.dialect, phasesMs }, 'platform up');
    // For `tessera demo` and scripts: what runs where, while it runs (removed at stop).
    const platformFile = join(dataDir, PLATFORM_FILE_NAME);
    writeFileSync(platformFile, `${JSON.stringify({ version: TESSERA_VERSION, pid: process.pid, services, demo: demo ?? null }, null, 2)}\n`);

    const running = server;
    const runningTsm = tsm;
    const runningBank = bank;
    const runningSMSC = smsc;
    const runningGateway = gateway;
    const runningHandset = handset;
    return {
      services,
      demo,
      database: { dialect: handle.dialect, location: handle.location },
      start: { number: Number(starts.count), firstStartedAt: new Date(starts.first) },
      logFile,
      async stop() {
        rmSync(platformFile, { force: true });
        demoControl.token?.remove();
        await runningHandset?.detach();
        await runningGateway.stop();
        await runningSMSC.stop();
        await runningBank.stop();
        await runningTsm.stop();
        await running.stop();
        await handle.close();
        logger.info('platform stopped');
        logger.flush();
      },
    };
  } catch (error) {
    demoControl.token?.remove();
    handset?.destroy();
    await gateway?.stop();
    await smsc?.stop();
    await bank?.stop();
    await tsm?.stop();
    await server?.stop();
    await handle.close();
    throw error;
  }
}

/** The human table `tessera up` prints. */
export function formatPlatform(platform: Platform): string {
  const rows = platform.services.map((row) => [row.service, row.state, row.url ?? '-', row.detail]);
  const header = ['service', 'state', 'url', 'what'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [
    `Tessera ${TESSERA_VERSION} is up.`,
    `database: ${platform.database.dialect} (${platform.database.location}); start #${platform.start.number}, first on ${platform.start.firstStartedAt.toISOString()}`,
    `log: ${platform.logFile}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    ...(platform.demo === undefined ? [] : [
      `demo customer: ${DEMO.customer}, phone ${platform.demo.msisdn} (card •••• ${platform.demo.panLastFour}), PIN ${platform.demo.pin}, finger "${platform.demo.finger}"`,
      `demo phone: ${platform.demo.deviceDirectory} (tessera device status ${platform.demo.deviceDirectory})`,
      `online checkout: ${platform.demo.shopUrl} (identity ${platform.demo.identityCode}, password ${platform.demo.password}; the code arrives in: tessera phone inbox ${platform.demo.msisdn})`,
      `tap to pay: tessera pos pay --device ${platform.demo.deviceDirectory} --finger ${platform.demo.finger} --amount 12.34 --acquirer ${platform.services.find((row) => row.service === 'acquirer')?.url?.replace('iso8583://', '') ?? '127.0.0.1:8584'}`,
      '',
    ]),
    'Ctrl-C stops the platform.',
  ].join('\n');
}
