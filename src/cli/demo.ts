import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import type { ISO8583Message } from '../lib/iso8583/index.js';
import { dialectByName, ISO8583Client } from '../bank/client.js';
import { CheckoutFormClient } from '../gateway/client.js';
import { pay, type AcquirerLink, type PaymentResult, type TerminalIdentity } from '../pos/client.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { DEMO, installDemoApplications, openDemoSPClient, receiveDemoCredential, registerDemoPhone, type DemoState } from './demoSetup.js';
import { readDemoControlToken, type NewDemoPhone } from './demoControl.js';
import { modelFinger, openDeviceDirectory } from './device.js';
import { loadUpConfig, PLATFORM_FILE_NAME, startPlatform } from './up.js';
import { tsmHome } from './tsm.js';
import { DeviceTsmClient, type Device } from '../device/client.js';

/**
 * `tessera demo`: walks every flow that exists against a running `tessera up` (found through
 * `<data>/platform.json`), one step at a time with a progress bar, then prints a summary table and
 * the ledger audit. Exit code 1 if any flow did not end as it should.
 */

interface PlatformFile {
  readonly pid: number;
  readonly services: readonly { service: string; state: string; url?: string }[];
  readonly demo: DemoState | null;
}

export interface FlowResult {
  readonly flow: string;
  readonly ok: boolean;
  readonly result: string;
  readonly ms: number;
}

const BAR_WIDTH = 20;
/** How long the demo waits for the authorization SMS: rounds × interval. */
const CODE_WAIT_ROUNDS = 40;
const CODE_WAIT_MS = 250;
/** Newest messages read per look at the inbox (the console's limit is 50). */
const INBOX_READ_MESSAGES = 10;
const CODE_PATTERN = /code ([0-9]{6,8})/;

function bar(done: number, total: number): string {
  const filled = Math.round((done / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
}

function hostPort(url: string | undefined): { host: string; port: number } {
  const match = /^[a-z0-9]+:\/\/(.+):([0-9]+)$/.exec(url ?? '');
  if (match?.[1] === undefined) throw new TesseraError('ERR_DEMO_PLATFORM', `no usable address in ${url ?? '(none)'}`);
  return { host: match[1], port: Number(match[2]) };
}

function outcome(result: PaymentResult): string {
  if (result.kind === 'see-phone') return 'see phone';
  if (result.kind === 'not-completed') return `not completed: ${result.reason}`;
  return `${result.kind} (${result.responseCode}${result.receipt.authorizationCode === undefined ? '' : `, auth ${result.receipt.authorizationCode}`})`;
}

interface InboxMessage {
  readonly id: string;
  readonly text: string;
}

async function readInbox(consoleUrl: string, msisdn: string): Promise<readonly InboxMessage[]> {
  const response = await fetch(`${consoleUrl}/v1/phones/${msisdn}/inbox?limit=${INBOX_READ_MESSAGES}`);
  if (response.status !== 200) throw new TesseraError('ERR_DEMO_PLATFORM', `the phone's inbox answered ${response.status}`);
  return ((await response.json()) as { messages: InboxMessage[] }).messages;
}

/**
 * The phone's inbox as it is now, then a wait for the authorization code of a message that was not
 * in it (a code sent a moment earlier for another payment is not the one asked for), read through the console.
 */
export async function waitForCode(consoleUrl: string, msisdn: string): Promise<{ code(): Promise<string | undefined> }> {
  const seen = new Set((await readInbox(consoleUrl, msisdn)).map((message) => message.id));
  return {
    async code() {
      for (let attempt = 0; attempt < CODE_WAIT_ROUNDS; attempt++) {
        const fresh = (await readInbox(consoleUrl, msisdn)).find((message) => !seen.has(message.id) && CODE_PATTERN.test(message.text));
        const code = fresh === undefined ? undefined : CODE_PATTERN.exec(fresh.text)?.[1];
        if (code !== undefined) return code;
        await new Promise((wake) => setTimeout(wake, CODE_WAIT_MS));
      }
      return undefined;
    },
  };
}

/** The demo's authority over the running platform: its console and the bearer token of its demo control routes. */
interface Control {
  readonly consoleUrl: string;
  readonly token: string;
  /** The TSM's SP-TSM API, where the demo bank asks the fraud feed. */
  readonly tsmUrl: string;
}

/** What `GET /v1/fraud/velocity` answers (docs/fraud-feed.md). */
interface Velocity {
  readonly payments: number;
  readonly distinctLastFours: number;
}

async function controlPost<T>(control: Control, path: string): Promise<T> {
  const response = await fetch(`${control.consoleUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${control.token}` } });
  const body = (await response.json()) as T & { code?: string; message?: string };
  if (response.status !== 201) throw new TesseraError('ERR_DEMO_PLATFORM', `${path}: ${response.status} ${body.code ?? ''} ${body.message ?? ''}`.trim());
  return body;
}

type FlowOutcome = { ok: boolean; result: string };
interface Flow {
  readonly name: string;
  run(): Promise<FlowOutcome>;
}

/**
 * The new phone's life, live: made at the factory and handed over to the TSM (by the platform),
 * registered through its Crypto SE, the payment application installed over the air, a card issued
 * and its credential deployed through the TSM, then a payment — the steps `tessera up` runs once
 * for the demo phone (demoSetup.ts), with the same functions.
 */
function newPhoneFlows(dataDir: string, control: Control, pay: (device: Device, amountMinor: bigint) => Promise<PaymentResult>, made: { phone?: NewDemoPhone; device?: Device; tsm?: DeviceTsmClient }): Flow[] {
  const phone = (): { device: Device; tsm: DeviceTsmClient; phone: NewDemoPhone } => {
    if (made.phone === undefined || made.device === undefined || made.tsm === undefined) throw new TesseraError('ERR_DEMO_PLATFORM', 'no new phone (the factory step failed)');
    return { device: made.device, tsm: made.tsm, phone: made.phone };
  };
  return [
    {
      name: 'factory: a new phone made and handed over to the TSM (App SE registered by its MSI)',
      run: async () => {
        made.phone = await controlPost<NewDemoPhone>(control, '/v1/demo/phones');
        made.device = openDeviceDirectory(made.phone.deviceDirectory, { data: dataDir });
        made.tsm = new DeviceTsmClient({ url: made.phone.tsmDeviceUrl, ca: readFileSync(join(tsmHome(dataDir), 'pki', 'root-ca.pem'), 'utf8') });
        return { ok: true, result: `device ${made.phone.deviceId}, MSISDN ${made.phone.msisdn}, in ${made.phone.deviceDirectory}` };
      },
    },
    {
      name: 'device registration: finger and PIN enrolled, certificate from the TSM CA through the Crypto SE',
      run: async () => {
        const { device, tsm } = phone();
        await registerDemoPhone(device, tsm);
        const status = device.status();
        return { ok: status.registered, result: `certificate ${status.certificate?.serialNumber ?? 'none'} (${status.certificate?.subject ?? '-'})` };
      },
    },
    {
      name: 'over the air: the TSM-signed payment application installed on the App SE',
      run: async () => {
        const { device, tsm } = phone();
        const installed = await installDemoApplications(device, tsm);
        return { ok: installed.length > 0 && device.status().applications.length === installed.length, result: `installed ${installed.join(', ')}` };
      },
    },
    {
      name: 'SP provisioning: the bank issues a card, deploys its EMV credential through the TSM, the phone stores it',
      run: async () => {
        const { device, tsm, phone: made } = phone();
        const card = await controlPost<{ panLastFour: string }>(control, `/v1/demo/phones/${made.deviceId}/card`);
        await receiveDemoCredential(device, tsm);
        const stored = device.status().credentials.find((credential) => credential.origin === 'over-the-air');
        return { ok: stored?.masked?.endsWith(card.panLastFour) === true, result: `card ${stored?.masked ?? 'none'} in slot ${stored?.slot ?? '-'}` };
      },
    },
    {
      name: 'tap to pay with the new phone: finger on the Crypto SE, ARQC, 0200 via acquirer to issuer',
      run: async () => {
        const { device } = phone();
        if (!device.prepareTap(modelFinger(DEMO.finger)).verified) return { ok: false, result: 'the finger did not match' };
        const result = await pay(device, 8_88n);
        return { ok: result.kind === 'approved', result: outcome(result) };
      },
    },
    {
      name: 'fraud feed: the phone delivers the payment report its Crypto SE signed; the bank asks the TSM for velocity',
      run: async () => {
        const { device, tsm, phone: made } = phone();
        const flushed = await device.flushPaymentReports(tsm);
        const sp = openDemoSPClient(dataDir, control.tsmUrl, readFileSync(join(tsmHome(dataDir), 'pki', 'root-ca.pem'), 'utf8'));
        try {
          const velocity = (await sp.call<Velocity>('GET', `/v1/fraud/velocity?deviceId=${made.deviceId}&windowSeconds=3600`)).body;
          return {
            ok: flushed.delivered.length === 1 && velocity.payments === 1,
            result: `report ${flushed.delivered.join(', ') || 'none'} delivered (last four and signature only); the TSM counts ${velocity.payments} payment(s) from this phone in the last hour`,
          };
        } finally {
          sp.close();
        }
      },
    },
  ];
}

/** `<data>/platform.json` of a platform whose process still runs, or undefined. */
function runningPlatform(dataDir: string): PlatformFile | undefined {
  const file = join(resolve(dataDir), PLATFORM_FILE_NAME);
  if (!existsSync(file)) return undefined;
  const platform = JSON.parse(readFileSync(file, 'utf8')) as PlatformFile;
  try {
    process.kill(platform.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return platform;
}

/**
 * Walks every flow against the platform running on `dataDir`, or — when none runs — one it starts
 * in this process (every port picked free) and stops at the end.
 */
export async function runDemo(dataDir: string, write: (line: string) => void): Promise<FlowResult[]> {
  const running = runningPlatform(dataDir);
  if (running !== undefined) return walk(dataDir, running, write);
  write(`no running platform on ${resolve(dataDir)}: starting one in this process`);
  const own = await startPlatform(loadUpConfig(process.env, { dataDir, ...OWN_PLATFORM_PORTS }));
  try {
    const platform = runningPlatform(dataDir);
    if (platform === undefined) throw new TesseraError('ERR_DEMO_PLATFORM', 'the platform this demo started wrote no platform.json');
    return await walk(dataDir, platform, write);
  } finally {
    await own.stop();
  }
}

const OWN_PLATFORM_PORTS = {
  consolePort: 0, tsmPort: 0, tsmOtaPort: 0, issuerPort: 0, acquirerPort: 0, smppPort: 0, handsetPort: 0, gatewayPort: 0, checkoutPort: 0,
} as const;

async function walk(dataDir: string, platform: PlatformFile, write: (line: string) => void): Promise<FlowResult[]> {
  const demo = platform.demo;
  if (demo === null) throw new TesseraError('ERR_DEMO_PLATFORM', 'the running platform was started with --no-demo');
  const url = (service: string): string | undefined => platform.services.find((row) => row.service === service && row.state === 'running')?.url;
  const control: Control = { consoleUrl: url('console') ?? '', token: readDemoControlToken(resolve(dataDir)), tsmUrl: url('tsm') ?? '' };
  const identity: TerminalIdentity = { terminalId: demo.terminalId, merchantId: demo.merchantId, merchantName: DEMO.merchantName, countryNumeric: 156 };
  const random = createSystemRandomSource();
  const acquirer = await ISO8583Client.connect({ ...hostPort(url('acquirer')), dialect: dialectByName('bcd'), lastSTAN: Math.floor(random.bytes(2).reduce((a, b) => a * 256 + b, 0) * 10) });
  const device = openDeviceDirectory(demo.deviceDirectory, { data: dataDir });
  const finger = modelFinger(demo.finger);
  const payment = (amountMinor: bigint) => ({ amountMinor, currencyNumeric: 156, at: new Date(), unpredictableNumber: random.bytes(4) });
  let lastRequest: ISO8583Message | undefined;
  const recording: AcquirerLink = {
    request: (message) => { lastRequest = message; return acquirer.request(message); },
    nextSTAN: () => acquirer.nextSTAN(),
  };
  const tap = (tapped: Device, amountMinor: bigint): Promise<PaymentResult> => {
    if (!tapped.radios.paymentMode) tapped.radios.press();
    return pay(tapped.contactless(), recording, identity, payment(amountMinor));
  };
  const made: { phone?: NewDemoPhone; device?: Device; tsm?: DeviceTsmClient } = {};

  const flows: Flow[] = [
    ...newPhoneFlows(dataDir, control, tap, made),
    {
      name: 'tap to pay without a verification: the reader says "see phone"',
      run: async () => {
        const result = await tap(device, 1_00n);
        return { ok: result.kind === 'see-phone', result: outcome(result) };
      },
    },
    {
      name: 'tap to pay with the demo phone (set up at first start)',
      run: async () => {
        const verified = device.prepareTap(finger);
        if (!verified.verified) return { ok: false, result: 'the finger did not match' };
        const result = await tap(device, 12_34n);
        return { ok: result.kind === 'approved', result: outcome(result) };
      },
    },
    {
      name: 'a reversal: the terminal reverses that payment (0400 → 0410)',
      run: async () => {
        if (lastRequest === undefined) return { ok: false, result: 'no payment to reverse' };
        const answer = await acquirer.reverse(lastRequest);
        const code = answer?.fields.get(39);
        return { ok: code === '00', result: answer === undefined ? 'no 0410' : `0410 response ${String(code)}` };
      },
    },
    {
      name: 'a decline: over the card limit (61)',
      run: async () => {
        device.prepareTap(finger);
        const result = await tap(device, DEMO.transactionLimitMinor + 1_00n);
        return { ok: result.kind === 'declined' && result.responseCode === '61', result: outcome(result) };
      },
    },
    {
      name: 'online checkout: shop → identity + password → SMS code over SMPP → code → debit (seed 002)',
      run: async () => {
        const shop = demo.shopUrl;
        const pki = JSON.parse(readFileSync(join(resolve(dataDir), 'gateway', 'pki.json'), 'utf8')) as { caCertificatePEM: string };
        const browser = new CheckoutFormClient(pki.caCertificatePEM);
        const shopPage = await browser.request('GET', shop);
        const checkout = await browser.submit(shop, '/shop/buy', { sku: /name="sku" value="([^"]+)"/.exec(shopPage.body)?.[1] ?? '' }, shopPage.body);
        if (!checkout.url.includes('/pay/')) return { ok: false, result: `the shop did not open a checkout (${checkout.status})` };
        const base = new URL(checkout.url).pathname;
        const inbox = await waitForCode(control.consoleUrl, demo.msisdn);
        const codePage = await browser.submit(checkout.url, `${base}/identify`, { identity: demo.identityCode, password: demo.password, phone: '' }, checkout.body);
        if (!codePage.body.includes('id="code"')) return { ok: false, result: `identity and password were not accepted (${codePage.status})` };
        const code = await inbox.code();
        if (code === undefined) return { ok: false, result: 'no authorization code reached the phone' };
        const result = await browser.submit(codePage.url, `${base}/code`, { code }, codePage.body);
        const status = /id="result"[^>]*data-status="([a-z_]+)"/.exec(result.body)?.[1] ?? `HTTP ${result.status}`;
        return { ok: status === 'succeeded', result: `payment ${status}; the code came by SMS to ${demo.msisdn}` };
      },
    },
    {
      name: 'ISO 8583 echo to the acquirer (0800 → 0810)',
      run: async () => {
        const code = await acquirer.echo();
        return { ok: code === '00', result: `0810 response ${code}` };
      },
    },
  ];

  const results: FlowResult[] = [];
  try {
    for (const [index, flow] of flows.entries()) {
      write(`${bar(index, flows.length)} ${flow.name} …`);
      const started = performance.now();
      let outcomeOfFlow: { ok: boolean; result: string };
      try {
        outcomeOfFlow = await flow.run();
      } catch (error) {
        outcomeOfFlow = { ok: false, result: error instanceof Error ? error.message : String(error) };
      }
      results.push({ flow: flow.name, ...outcomeOfFlow, ms: performance.now() - started });
    }
    write(`${bar(flows.length, flows.length)} done`);
  } finally {
    for (const opened of [device, made.device]) {
      if (opened === undefined) continue;
      if (opened.radios.paymentMode) opened.radios.press();
      opened.close();
    }
    made.tsm?.close();
    await acquirer.close();
  }

  const consoleUrl = url('console');
  const started = performance.now();
  try {
    const response = await fetch(`${consoleUrl ?? ''}/v1/bank/audit`);
    const report = (await response.json()) as { balanced: boolean; checks: { name: string; violations: number }[] };
    results.push({ flow: 'ledger audit: the books balance, every hold accounted for', ok: report.balanced, result: report.checks.map((check) => `${check.name} ${check.violations === 0 ? 'ok' : `${check.violations} violations`}`).join('; '), ms: performance.now() - started });
  } catch (error) {
    results.push({ flow: 'ledger audit', ok: false, result: error instanceof Error ? error.message : String(error), ms: performance.now() - started });
  }
  return results;
}

export function formatDemoSummary(results: readonly FlowResult[]): string {
  const rows = results.map((row) => [row.ok ? 'ok' : 'FAILED', row.flow, `${Math.round(row.ms)} ms`, row.result]);
  const header = ['result', 'flow', 'time', 'detail'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.slice(0).map((row) => (column === 3 ? 0 : (row[column] ?? '').length))));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === 3 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('walk every flow against a running `tessera up` (or one it starts): a new phone made, registered, provisioned OTA and paying; see-phone, tap to pay, reversal, decline, online checkout with the SMS code, echo, ledger audit')
    .option('--data <dir>', `the data directory of the running platform (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .option('--json', 'progress on stderr, then the results as one JSON line on stdout')
    .action(async (options: { data?: string; json?: boolean }) => {
      const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
      const results = await runDemo(dataDir, (line) => (options.json === true ? console.error(line) : console.log(line)));
      if (options.json === true) {
        console.log(JSON.stringify({ ok: results.every((row) => row.ok), flows: results.map((row) => ({ ...row, ms: Math.round(row.ms) })) }));
      } else {
        console.log('');
        console.log(formatDemoSummary(results));
      }
      process.exitCode = results.every((row) => row.ok) ? 0 : 1;
    });
}
