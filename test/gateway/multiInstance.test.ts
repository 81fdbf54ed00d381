import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckoutFormClient, createPartnerClient, type GatewayPki } from '../../src/gateway/client.js';
import { waitForCode } from '../../src/cli/demo.js';
import { addressOf, startCommand, startUp, type UpLine } from '../cli/cliProcess.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Scaling out (docs/operations.md): two `tessera serve gateway` processes on their own ports,
 * against the one PostgreSQL database `tessera up` runs on (which brings the SMSC, the bank and a
 * third gateway instance, and the demo customer with a phone attached to the SMSC). A checkout
 * started on one instance is finished on the other — the authorization code the first one sent
 * by SMS is checked by the second — and the merchant reads the result through either: nothing of
 * a payment lives in an instance's memory.
 */

const SKIP_REASON = 'needs PostgreSQL (set DATABASE_URL): the embedded PGlite database belongs to one process, so two `tessera serve gateway` processes cannot share it';

interface Instance {
  readonly partnerUrl: string;
  readonly publicUrl: string;
  stop(): Promise<number | null>;
}

async function serveGateway(dataDir: string, table: UpLine, env: NodeJS.ProcessEnv): Promise<Instance> {
  let partnerUrl: string | undefined;
  const started = await startCommand([
    'serve', 'gateway', '--data', dataDir, '--port', '0', '--checkout-port', '0', '--smsc', addressOf(table, 'smsc'), '--acquirer', addressOf(table, 'acquirer'),
  ], env, (line) => {
    partnerUrl ??= /^gateway partner API: (https:\/\/\S+)/.exec(line)?.[1];
    const publicUrl = /^gateway hosted checkout: (https:\/\/\S+)/.exec(line)?.[1];
    return partnerUrl === undefined || publicUrl === undefined ? undefined : { partnerUrl, publicUrl };
  });
  return { ...started.value, stop: () => started.stop() };
}

describe('two gateway instances on one database', { skip: process.env['DATABASE_URL'] === undefined || process.env['DATABASE_URL'] === '' ? SKIP_REASON : false }, () => {
  let dataDir: string;
  let database: TestDatabase<unknown>;
  let up: Awaited<ReturnType<typeof startUp>>;
  let instances: Instance[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-gateways-'));
    database = await openTestDatabase();
    const env = { ...process.env, DATABASE_URL: database.databaseUrl };
    up = await startUp(['--data', dataDir], env);
    // Both at once, as an orchestrator scaling out would start them.
    instances = await Promise.all([serveGateway(dataDir, up.table, env), serveGateway(dataDir, up.table, env)]);
  });
  after(async () => {
    for (const instance of instances) assert.equal(await instance.stop(), 0);
    assert.equal(await up.stop(), 0);
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A checkout created through `first`'s partner API and hosted checkout, its SMS code entered on `second`. */
  async function checkoutAcross(first: Instance, second: Instance, orderId: string): Promise<void> {
    const demo = up.table.demo;
    assert.ok(demo !== null);
    const consoleUrl = up.table.services.find((row) => row.service === 'console')?.url ?? '';
    const pki = JSON.parse(readFileSync(join(dataDir, 'gateway', 'pki.json'), 'utf8')) as GatewayPki;
    const merchant = JSON.parse(readFileSync(demo.gatewayMerchantFile, 'utf8')) as { credential: { certificatePEM: string; privateKeyPEM: string } };
    const merchantAt = (instance: Instance) => createPartnerClient({ baseUrl: instance.partnerUrl, caCertificatePEM: pki.caCertificatePEM, ...merchant.credential });
    const atFirst = merchantAt(first);
    const atSecond = merchantAt(second);
    try {
      const created = await atFirst.call('POST', '/v1/payments', {
        orderId, amountMinor: '2500', currency: 'CNY', description: 'Longjing, 50 g', returnUrl: 'https://shop.example/return', notifyUrl: 'https://127.0.0.1:9/webhook',
      }, { 'idempotency-key': orderId });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const checkoutUrl = String(created.body['checkoutUrl']);
      assert.ok(checkoutUrl.startsWith(`${first.publicUrl}/pay/`), checkoutUrl);
      const path = new URL(checkoutUrl).pathname;

      const browser = new CheckoutFormClient(pki.caCertificatePEM);
      const page = await browser.request('GET', checkoutUrl);
      assert.equal(page.status, 200);
      const inbox = await waitForCode(consoleUrl, demo.msisdn);
      const codePage = await browser.submit(checkoutUrl, `${path}/identify`, { identity: demo.identityCode, password: demo.password, phone: '' }, page.body);
      assert.match(codePage.body, /id="code"/, 'the first instance asked for the code');
      const code = await inbox.code();
      assert.ok(code !== undefined, 'the code the first instance sent reached the phone');

      // The same browser (its CSRF cookie) types the code into the other instance.
      const result = await browser.submit(`${second.publicUrl}${path}`, `${path}/code`, { code }, codePage.body);
      assert.match(result.body, /id="result"[^>]*data-status="succeeded"/, 'the second instance checked the code and debited the card');
      const read = await atSecond.call('GET', `/v1/payments/${String(created.body['id'])}`);
      assert.equal(read.status, 200);
      assert.equal(read.body['status'], 'succeeded');
      assert.match(String(read.body['bankAuthorizationCode']), /^[0-9A-Z]{6}$/);
    } finally {
      atFirst.close();
      atSecond.close();
    }
  }

  it('serves checkouts on both instances, each finished on the other one', async () => {
    const [one, two] = instances;
    assert.ok(one !== undefined && two !== undefined);
    assert.notEqual(one.publicUrl, two.publicUrl);
    await checkoutAcross(one, two, 'scale-out-1');
    await checkoutAcross(two, one, 'scale-out-2');
  });
});
