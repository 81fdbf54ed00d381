import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { chromium } from 'playwright-core';
import { auditLedger, type BankDatabase } from '../../src/bank/client.js';
import { CARD_DEVICE_KEY_FILE_NAME, loadCardDeviceKey } from '../../src/cli/cardDeviceKey.js';
import { escapeHtml, readDeviceCards, registerConsolePages, type ConsoleDatabase, type ConsoleService } from '../../src/cli/console/index.js';
import { runDemo } from '../../src/cli/demo.js';
import { DEMO, type DemoState } from '../../src/cli/demoSetup.js';
import { openPlatformDatabase } from '../../src/cli/platformDatabase.js';
import { loadUpConfig, startPlatform } from '../../src/cli/up.js';
import { buildHttpApp, listen, type HttpApp, type ListeningServer } from '../../src/infra/http/index.js';
import { createLogger } from '../../src/infra/log/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

const CHROMIUM = '/usr/bin/chromium';
const skipBrowser = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium): the browser check is skipped`;
/** A screenshot of a page that rendered real tables is well above this; a blank page is ~2 KB. */
const SCREENSHOT_BYTES_MIN = 5 * 1024;
const PAGES = ['/', '/secure-elements', '/tsm', '/payments', '/ledger', '/smsc'] as const;

/** What the demo left in the database: the values the pages must show. */
interface Expected {
  readonly appSECin: string;
  readonly cryptoSECin: string;
  readonly paymentId: string;
  readonly customerLedger: string;
  readonly smsId: string;
  readonly conversationId: string | undefined;
  readonly auditAction: string;
}

async function expectedFrom(db: Kysely<ConsoleDatabase>, demo: DemoState): Promise<Expected> {
  const device = await db.selectFrom('tsm.devices').select(['id', 'app_se_cin']).where('id', '=', demo.deviceId).executeTakeFirstOrThrow();
  const payment = await db.selectFrom('gateway.payments').select('id').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
  const account = await db.selectFrom('bank.accounts').select(['ledger_balance_minor']).where('kind', '=', 'customer').executeTakeFirstOrThrow();
  const sms = await db.selectFrom('smsc.messages').select('id').orderBy('submitted_at', 'desc').executeTakeFirstOrThrow();
  const conversation = await db.selectFrom('tsm.conversations').select('id').executeTakeFirst();
  const audit = await db.selectFrom('tsm.audit_log').select('action').orderBy('id', 'desc').executeTakeFirstOrThrow();
  const ledger = BigInt(account.ledger_balance_minor);
  return {
    appSECin: device.app_se_cin, cryptoSECin: device.id, paymentId: payment.id, smsId: sms.id, conversationId: conversation?.id, auditAction: audit.action,
    customerLedger: `${ledger / 100n}.${String(ledger % 100n).padStart(2, '0')} ${DEMO.currency}`,
  };
}

describe('operator console (read-only HTML over a platform that ran the demo)', () => {
  let dataDir: string;
  let database: TestDatabase<unknown> | undefined;
  let handle: Awaited<ReturnType<typeof openPlatformDatabase<ConsoleDatabase>>>;
  let app: HttpApp;
  let demo: DemoState;
  let services: readonly ConsoleService[];
  let expected: Expected;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-console-'));
    if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') database = await openTestDatabase();
    const databaseUrl = database?.databaseUrl;
    // The whole platform, its demo set-up and every demo flow: real rows in every schema.
    const config = loadUpConfig({}, {
      dataDir, consolePort: 0, tsmPort: 0, tsmOtaPort: 0, issuerPort: 0, acquirerPort: 0, smppPort: 0, handsetPort: 0, gatewayPort: 0, checkoutPort: 0,
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
    });
    const platform = await startPlatform(config);
    try {
      const results = await runDemo(dataDir, () => undefined);
      assert.deepEqual(results.filter((row) => !row.ok), [], 'every demo flow passes');
      assert.ok(platform.demo !== undefined);
      demo = platform.demo;
      services = platform.services;
    } finally {
      await platform.stop();
    }
    // The console reads the same data directory (or PostgreSQL database) the platform wrote.
    handle = await openPlatformDatabase<ConsoleDatabase>({ dataDir, databaseUrl });
    const deviceKey = loadCardDeviceKey({ env: {}, keyFile: join(dataDir, CARD_DEVICE_KEY_FILE_NAME), create: false, notify: () => undefined }).key;
    app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'console test', version: '0' } });
    registerConsolePages(app, {
      db: handle.db, services: () => services, audit: () => auditLedger(handle.db as unknown as Kysely<BankDatabase>), cards: () => readDeviceCards(demo.deviceDirectory, deviceKey),
      now: () => Date.parse('2026-01-02T03:04:05Z'),
    });
    expected = await expectedFrom(handle.db, demo);
  });

  after(async () => {
    await app?.close();
    await handle?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function page(path: string): Promise<string> {
    const response = await app.inject({ method: 'GET', url: path });
    assert.equal(response.statusCode, 200, `${path}: ${response.body.slice(0, 200)}`);
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.match(String(response.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.body;
  }

  it('the overview lists the services and counts real rows', async () => {
    const body = await page('/');
    for (const service of ['tsm', 'issuer', 'smsc', 'gateway', 'acquirer']) assert.match(body, new RegExp(`<b>${service}</b>`));
    assert.match(body, /<nav>.*href="\/ledger"/s);
    assert.doesNotMatch(body, /data-count="secure elements"><b>0</);
    assert.doesNotMatch(body, /data-count="online payments"><b>0</);
  });

  it('lists the secure elements and draws the demo App SE content as a tree from the card itself', async () => {
    const list = await page('/secure-elements');
    assert.ok(list.includes(`href="/secure-elements/${expected.appSECin}"`));
    assert.ok(list.includes(`App SE of device ${demo.deviceId}`));
    const appSE = await page(`/secure-elements/${expected.appSECin}`);
    assert.match(appSE, /<span class="kind">ISD<\/span>/);
    assert.match(appSE, /<span class="kind">Application<\/span>/);
    assert.match(appSE, /SELECTABLE \(07\)|PERSONALIZED \(0F\)/);
    assert.match(appSE, /cardLock|securityDomain/, 'privileges are shown by name');
    assert.match(appSE, /SECURED \(0F\)|OP_READY|INITIALIZED/, 'the card life cycle');
    const cryptoSE = await page(`/secure-elements/${expected.cryptoSECin.toLowerCase()}`);
    assert.ok(cryptoSE.includes(`Crypto SE of device ${demo.deviceId}`));
    const missing = await app.inject({ method: 'GET', url: '/secure-elements/ABCDEF0123' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /No secure element with CIN <code>ABCDEF0123<\/code>/);
    const invalid = await app.inject({ method: 'GET', url: '/secure-elements/%3Cscript%3E' });
    assert.equal(invalid.statusCode, 400);
  });

  it('shows TSM conversations and the audit log; stored text is escaped and PAN-shaped digits are masked', async () => {
    // A hostile actor name and a PAN-shaped number in the details: stored as text, shown as text.
    await handle.db.insertInto('tsm.audit_log').values({
      actor: '<script>alert(1)</script>', action: 'console.test', cin: null, details: JSON.stringify({ note: 'pan 4111111111111111' }),
    }).execute();
    const body = await page('/tsm');
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!body.includes('<script>'));
    assert.ok(!body.includes('4111111111111111'));
    assert.ok(body.includes('••••1111'));
    assert.ok(body.includes(escapeHtml(expected.auditAction)));
    if (expected.conversationId !== undefined) assert.ok(body.includes(expected.conversationId));
    assert.ok(body.includes(expected.appSECin) || body.includes(expected.cryptoSECin));
  });

  it('shows payments with their state history and card authorizations with the last four digits only', async () => {
    const body = await page('/payments');
    assert.ok(body.includes(`data-payment="${expected.paymentId}"`));
    assert.match(body, /awaiting_code/, 'the state history');
    assert.ok(body.includes(`•••• ${demo.panLastFour}`));
    const cards = await handle.db.selectFrom('bank.cards').select('pan').execute();
    for (const card of cards) assert.ok(!body.includes(card.pan), 'no full PAN on the page');
    assert.match(body, /00 approved/);
    assert.match(body, /reversed/);
  });

  it('shows balances, open holds and the audit result with each check', async () => {
    const body = await page('/ledger');
    assert.match(body, /id="audit-result" data-balanced="true"/);
    assert.ok(body.includes(expected.customerLedger), `the customer's ledger balance ${expected.customerLedger}`);
    assert.ok(body.includes(DEMO.customer));
    const report = await auditLedger(handle.db as unknown as Kysely<BankDatabase>);
    for (const check of report.checks) assert.ok(body.includes(`<code>${check.name}</code>`), check.name);
  });

  it('shows SMS traffic without the texts', async () => {
    const body = await page('/smsc');
    assert.ok(body.includes(expected.smsId));
    assert.ok(body.includes(demo.msisdn));
    assert.match(body, /DELIVERED/);
    const inbox = await handle.db.selectFrom('smsc.inbox').select('text').execute();
    for (const message of inbox) assert.ok(!body.includes(escapeHtml(message.text)), 'no SMS text (codes) on the page');
  });

  describe('in headless Chromium', { skip: skipBrowser }, () => {
    let server: ListeningServer;
    let shots: string;
    const keptShots = process.env['CONSOLE_SCREENSHOT_DIR'] || undefined;

    before(async () => {
      server = await listen(app, { host: '127.0.0.1', port: 0 });
      // CONSOLE_SCREENSHOT_DIR keeps the screenshots for a person to look at; otherwise a temporary directory.
      shots = keptShots ?? mkdtempSync(join(tmpdir(), 'tessera-console-shots-'));
      mkdirSync(shots, { recursive: true });
    });
    after(() => { if (keptShots === undefined) rmSync(shots, { recursive: true, force: true }); });

    it('renders every page with real data on a phone-sized screen, without console errors', async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on('console', (message) => { if (message.type() === 'error') problems.push(`${tab.url()}: ${message.text()}`); });
        tab.on('pageerror', (error) => problems.push(`${tab.url()}: ${error.message}`));
        const checks: Record<(typeof PAGES)[number], string> = {
          '/': '.card[data-count="secure elements"]',
          '/secure-elements': `a[href="/secure-elements/${expected.appSECin}"]`,
          '/tsm': 'table tbody tr td',
          '/payments': `[data-payment="${expected.paymentId}"]`,
          '/ledger': '#audit-result[data-balanced="true"]',
          '/smsc': 'table tbody tr td code',
        };
        for (const path of [...PAGES, `/secure-elements/${expected.appSECin}`]) {
          const response = await tab.goto(`${server.url}${path}`);
          assert.equal(response?.status(), 200, path);
          await tab.waitForSelector(path.startsWith('/secure-elements/') ? `ul.tree[data-cin="${expected.appSECin}"] .node` : checks[path as (typeof PAGES)[number]]);
          assert.match(await tab.textContent('h1') ?? '', /\S/);
          assert.equal(await tab.locator('nav a').count(), PAGES.length);
          const file = join(shots, `${path === '/' ? 'overview' : path.slice(1).replaceAll('/', '_')}.png`);
          await tab.screenshot({ path: file, fullPage: true });
          assert.ok(statSync(file).size > SCREENSHOT_BYTES_MIN, `${path}: the screenshot is ${statSync(file).size} bytes`);
        }
        assert.match(await (await tab.goto(`${server.url}/ledger`))?.text() ?? '', /balanced/);
        assert.ok((await tab.textContent('body'))?.includes(expected.customerLedger));
        assert.deepEqual(problems, []);
        await context.close();
      } finally {
        await browser.close();
      }
    });
  });
});
