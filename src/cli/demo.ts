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
import { DEMO, type DemoState } from './demoSetup.js';
import { modelFinger, openDeviceDirectory } from './device.js';
import { PLATFORM_FILE_NAME } from './up.js';

/**
 * `tessera demo`: walks every flow that exists against a running `tessera up` (found through
 * `<data>/platform.json`), one step at a time with a progress bar, then prints a summary table and
 * the ledger audit. Exit code 1 if any flow did not end as it should.
 */

interface PlatformFile {
  readonly services: readonly { service: string; state: string; url?: string }[];
  readonly demo: DemoState | null;
}

interface FlowResult {
  readonly flow: string;
  readonly ok: boolean;
  readonly result: string;
  readonly ms: number;
}

const BAR_WIDTH = 20;
/** How long the demo waits for the authorization SMS: rounds × interval. */
const CODE_WAIT_ROUNDS = 40;
const CODE_WAIT_MS = 250;

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

/** The newest authorization code in the phone's inbox after `since`, read through the console. */
async function codeFromInbox(consoleUrl: string, msisdn: string, since: number): Promise<string | undefined> {
  for (let attempt = 0; attempt < CODE_WAIT_ROUNDS; attempt++) {
    const response = await fetch(`${consoleUrl}/v1/phones/${msisdn}/inbox?limit=5`);
    const body = (await response.json()) as { messages: { text: string; receivedAt: string }[] };
    const fresh = body.messages.find((message) => Date.parse(message.receivedAt) >= since && /code [0-9]{6,8}/.test(message.text));
    const code = fresh === undefined ? undefined : /code ([0-9]{6,8})/.exec(fresh.text)?.[1];
    if (code !== undefined) return code;
    await new Promise((wake) => setTimeout(wake, CODE_WAIT_MS));
  }
  return undefined;
}

export async function runDemo(dataDir: string, write: (line: string) => void): Promise<FlowResult[]> {
  const file = join(resolve(dataDir), PLATFORM_FILE_NAME);
  if (!existsSync(file)) throw new TesseraError('ERR_DEMO_PLATFORM', `no running platform found (${file}): start one with \`tessera up\` (same --data) first`);
  const platform = JSON.parse(readFileSync(file, 'utf8')) as PlatformFile;
  const demo = platform.demo;
  if (demo === null) throw new TesseraError('ERR_DEMO_PLATFORM', 'the running platform was started with --no-demo');
  const url = (service: string): string | undefined => platform.services.find((row) => row.service === service && row.state === 'running')?.url;
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

  const flows: { name: string; run: () => Promise<{ ok: boolean; result: string }> }[] = [
    {
      name: 'device: registered, app installed OTA, credential deployed',
      run: () => {
        const status = device.status();
        const ok = status.registered && status.applications.length > 0 && status.credentials.some((credential) => credential.origin === 'over-the-air');
        return Promise.resolve({ ok, result: `certificate ${status.certificate?.serialNumber ?? 'none'}, ${status.applications.length} app(s), card ${status.credentials.find((credential) => credential.origin === 'over-the-air')?.masked ?? 'none'}` });
      },
    },
    {
      name: 'tap to pay without a verification: the reader says "see phone"',
      run: async () => {
        if (!device.radios.paymentMode) device.radios.press();
        const result = await pay(device.contactless(), recording, identity, payment(1_00n));
        return { ok: result.kind === 'see-phone', result: outcome(result) };
      },
    },
    {
      name: 'tap to pay: finger on the Crypto SE, ARQC, 0200 via acquirer to issuer',
      run: async () => {
        const verified = device.prepareTap(finger);
        if (!verified.verified) return { ok: false, result: 'the finger did not match' };
        const result = await pay(device.contactless(), recording, identity, payment(12_34n));
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
        const result = await pay(device.contactless(), recording, identity, payment(DEMO.transactionLimitMinor + 1_00n));
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
        const since = Date.now() - 1_000;
        const codePage = await browser.submit(checkout.url, `${base}/identify`, { identity: demo.identityCode, password: demo.password, phone: '' }, checkout.body);
        if (!codePage.body.includes('id="code"')) return { ok: false, result: `identity and password were not accepted (${codePage.status})` };
        const code = await codeFromInbox(url('console') ?? '', demo.msisdn, since);
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
    if (device.radios.paymentMode) device.radios.press();
    device.close();
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
  program.command('demo').description('walk every flow against a running `tessera up`: device, tap to pay, see-phone, reversal, decline, echo, ledger audit')
    .option('--data <dir>', `the data directory of the running platform (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .action(async (options: { data?: string }) => {
      const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
      const results = await runDemo(dataDir, (line) => console.log(line));
      console.log('');
      console.log(formatDemoSummary(results));
      process.exitCode = results.every((row) => row.ok) ? 0 : 1;
    });
}
