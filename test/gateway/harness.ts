import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { createLogger } from '../../src/infra/log/index.js';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { fromHex } from '../../src/lib/bytes.js';
import { luhnCheckDigit } from '../../src/lib/luhn.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createCustomer, deposit, enableCardNotPresent, issueCard,
  openCustomerAccount, startBank, type BankContext, type BankDatabase, type RunningBank,
} from '../../src/bank/client.js';
import { migrate } from '../../src/infra/db/index.js';
import {
  connectHandset, createESMEAccount, registerHandset, startSMSC, type HandsetClient, type RunningSMSC, type SmscDatabase,
} from '../../src/smsc/client.js';
import {
  CheckoutFormClient, createGatewayPki, createPartnerClient, enrolCustomer, onboardBank, onboardMerchant, startGateway, type GatewayDatabase, type GatewayPki,
  type GatewayPolicy, type PartnerClient, type RunningGateway,
} from '../../src/gateway/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

export const BIN = '476173';
export const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
export const KEK = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
export const ACQUIRER_MERCHANT_ID = 'TESSERA WEB 001';
export const ACQUIRER_TERMINAL_ID = 'WEBGW001';
export const CHIP_TERMINAL_ID = 'POS00009';
export const SMS_FROM = '95500';
export const PASSWORD = 'green-tea-42';
export const EXPIRY = '2812';

type PlatformDatabase = BankDatabase & SmscDatabase & GatewayDatabase;

export interface WebhookReceiver {
  readonly url: string;
  /** Accepted deliveries (2xx answered). */
  readonly received: { headers: IncomingMessage['headers']; body: string }[];
  /** Attempts while down (answered 503). */
  refusedCount: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const state = { received: [] as { headers: IncomingMessage['headers']; body: string }[], refusedCount: 0, down: false };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (state.down) {
        state.refusedCount += 1;
        response.writeHead(503).end();
        return;
      }
      state.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}

export interface Customer {
  readonly identityCode: string;
  readonly msisdn: string;
  readonly accountId: string;
  readonly pan: string;
  readonly handset: HandsetClient;
}

export interface GatewayHarness {
  readonly database: TestDatabase<PlatformDatabase>;
  readonly clock: { offsetMs: number };
  /** The running bank (replaced by restartBank). */
  bank: RunningBank;
  /** Stops the bank and starts it again on the same acquirer port (the gateway's link must come back). */
  restartBank(): Promise<void>;
  readonly bankContext: BankContext;
  readonly smsc: RunningSMSC;
  readonly gateway: RunningGateway;
  readonly pki: GatewayPki;
  readonly merchant: PartnerClient;
  readonly bankPartner: PartnerClient;
  readonly webhookSecret: string;
  readonly receiver: WebhookReceiver;
  customer(options?: { balanceMinor?: bigint; perPaymentLimitMinor?: bigint; dailyLimitMinor?: bigint }): Promise<Customer>;
  /** Creates a payment through the merchant API; returns its id and checkout URL. */
  createPayment(amountMinor: bigint, options?: { currency?: string }): Promise<{ id: string; checkoutUrl: string }>;
  balanceOf(accountId: string): Promise<bigint>;
  close(): Promise<void>;
}

let instance = 0;

export async function openGatewayHarness(policy: Partial<GatewayPolicy> = {}): Promise<GatewayHarness> {
  instance += 1;
  const database = await openTestDatabase<PlatformDatabase>();
  const clock = { offsetMs: 0 };
  const now = (): number => Date.now() + clock.offsetMs;
  const random = createSystemRandomSource();
  const logger = createLogger({ level: (process.env['GATEWAY_TEST_LOG'] ?? 'silent') as 'silent' });
  await migrate(database.db, BANK_SCHEMA, bankMigrations);
  const bankContext: BankContext = { db: database.db as unknown as Kysely<BankDatabase>, kek: KEK, random, now };
  const keyId = await addIssuerMasterKey(bankContext, { label: 'test IMK', key: IMK });
  await addBinRange(bankContext, { prefix: BIN, name: 'test BIN', issuerMasterKeyId: keyId });
  await addMerchant(bankContext, { id: ACQUIRER_MERCHANT_ID, name: 'Tessera online', currencies: ['CNY'] });
  await addTerminal(bankContext, { id: ACQUIRER_TERMINAL_ID, merchantId: ACQUIRER_MERCHANT_ID });
  await enableCardNotPresent(bankContext, ACQUIRER_TERMINAL_ID);
  await addTerminal(bankContext, { id: CHIP_TERMINAL_ID, merchantId: ACQUIRER_MERCHANT_ID });
  let bank = await startBank({ host: '127.0.0.1', issuerPort: 0, acquirerPort: 0 }, { context: bankContext, logger });

  const smscDb = database.db as unknown as Kysely<SmscDatabase>;
  const smsc = await startSMSC({ host: '127.0.0.1', smppPort: 0, handsetPort: 0, workerIntervalMs: 100 }, { db: smscDb, random, now, logger });
  await createESMEAccount(smscDb, { systemId: 'gateway', password: 'gw-pass', addresses: [SMS_FROM] }, random);

  const pki = await createGatewayPki({ now: new Date(), random });
  const receiver = await startWebhookReceiver();
  const gateway = await startGateway({
    host: '127.0.0.1', partnerPort: 0, publicPort: 0, smsFrom: SMS_FROM, outboxIntervalMs: 200,
    policy: { webhookRetryDelayMsBase: 1_000, webhookRetryDelayMsMax: 5_000, ...policy },
  }, {
    db: database.db as unknown as Kysely<GatewayDatabase>, random, now, logger, secretKey: random.bytes(32), pki,
    smpp: { host: '127.0.0.1', port: smsc.smppPort, systemId: 'gateway', password: 'gw-pass' },
    acquirer: { host: '127.0.0.1', port: bank.acquirer.port },
  });
  const onboarded = await onboardMerchant(gateway.context, pki, { id: 'shop-1', name: 'Tea House', acquirerMerchantId: ACQUIRER_MERCHANT_ID, acquirerTerminalId: ACQUIRER_TERMINAL_ID });
  const bankOnboarded = await onboardBank(gateway.context, pki, { id: 'bank-1', name: 'Tessera Bank' });
  const merchant = createPartnerClient({ baseUrl: gateway.partnerUrl, caCertificatePEM: pki.caCertificatePEM, ...onboarded.credential });
  const bankPartner = createPartnerClient({ baseUrl: gateway.partnerUrl, caCertificatePEM: pki.caCertificatePEM, ...bankOnboarded.credential });
  const handsets: HandsetClient[] = [];
  let serial = 0;
  let order = 0;

  const harness: GatewayHarness = {
    database, clock, bank, bankContext, smsc, gateway, pki, merchant, bankPartner, webhookSecret: onboarded.webhookSecret ?? '', receiver,
    async customer(options = {}) {
      serial += 1;
      const customerId = await createCustomer(bankContext, { name: `online customer ${serial}` });
      const accountId = await openCustomerAccount(bankContext, { customerId, currency: 'CNY' });
      await deposit(bankContext, { accountId, amountMinor: options.balanceMinor ?? 5_000_00n });
      const payload = `${BIN}${String(instance * 1000 + serial).padStart(9, '0')}`;
      const pan = payload + luhnCheckDigit(payload);
      await issueCard(bankContext, { accountId, pan, expiry: EXPIRY, psn: 1, transactionLimitMinor: 2_000_00n, dailyLimitMinor: 10_000_00n });
      const msisdn = `86139${String(instance).padStart(2, '0')}${String(serial).padStart(4, '0')}`;
      const identityCode = `cust${instance}x${serial}`;
      await enrolCustomer(gateway.context, {
        identityCode, password: PASSWORD, phones: [msisdn], cards: [{ pan, expiry: EXPIRY }], currency: 'CNY',
        perPaymentLimitMinor: options.perPaymentLimitMinor ?? 1_000_00n, dailyLimitMinor: options.dailyLimitMinor ?? 3_000_00n,
      });
      const registration = await registerHandset(smscDb, { msisdn }, random);
      const handset = await connectHandset({ host: '127.0.0.1', port: smsc.handsetPort, msisdn, secret: registration.secret });
      handsets.push(handset);
      return { identityCode, msisdn, accountId, pan, handset };
    },
    async createPayment(amountMinor, options = {}) {
      order += 1;
      const orderId = `order-${instance}-${order}`;
      const created = await merchant.call('POST', '/v1/payments', {
        orderId, amountMinor: amountMinor.toString(), currency: options.currency ?? 'CNY', description: 'Longjing tea',
        returnUrl: 'https://shop.example/return', notifyUrl: receiver.url,
      }, { 'idempotency-key': orderId });
      if (created.status !== 201) throw new Error(`payment not created: ${created.status} ${JSON.stringify(created.body)}`);
      return { id: String(created.body['id']), checkoutUrl: String(created.body['checkoutUrl']) };
    },
    async restartBank() {
      const port = bank.acquirer.port;
      await bank.stop();
      bank = await startBank({ host: '127.0.0.1', issuerPort: 0, acquirerPort: port }, { context: bankContext, logger });
      harness.bank = bank;
    },
    async balanceOf(accountId) {
      const row = await database.db.selectFrom('bank.accounts').select('ledger_balance_minor').where('id', '=', accountId).executeTakeFirstOrThrow();
      return row.ledger_balance_minor;
    },
    async close() {
      for (const handset of handsets) await handset.detach().catch(() => undefined);
      merchant.close();
      bankPartner.close();
      await gateway.stop();
      await receiver.close();
      await smsc.stop();
      await bank.stop();
      await database.close();
    },
  };
  return harness;
}

/** The checkout's form client, with actions relative to the page's own path ('/identify', '/code'). */
export class FormBrowser extends CheckoutFormClient {
  override async submit(pageUrl: string, action: string, fields: Record<string, string>): Promise<{ url: string; status: number; body: string }> {
    return super.submit(pageUrl, `${new URL(pageUrl).pathname}${action}`, fields);
  }
}

export function codeFrom(text: string): string {
  const match = /(?:code|授权码) ([0-9]{6,8})/.exec(text);
  if (match?.[1] === undefined) throw new Error(`no code in ${text}`);
  return match[1];
}

/** The next message with an authorization code (skips enrolment confirmations and receipts). */
export async function nextCode(handset: HandsetClient): Promise<string> {
  for (;;) {
    const message = await handset.nextMessage(10_000);
    if (/(?:code|授权码) [0-9]{6}/.test(message.text)) return codeFrom(message.text);
  }
}
