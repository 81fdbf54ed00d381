import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { fromHex, toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { deriveICCMasterKey } from '../lib/emv/index.js';
import { encodeLoadFile } from '../lib/gp/index.js';
import { luhnCheckDigit } from '../lib/luhn.js';
import { constructedNode, encodeTLV, primitiveNode } from '../lib/tlv/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID, PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS, TESSERA_RID } from '../card/client.js';
import { runCardAgent } from '../card/agent/index.js';
import { PAYMENT_PERSONALIZATION_TAG, PPSE_AID } from '../applets/payment/client.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, createCustomer, deposit, enableCardNotPresent, issueCard, openCustomerAccount,
  type BankContext,
} from '../bank/client.js';
import { registerHandset, type SmscDatabase } from '../smsc/client.js';
import { createPartnerClient, setupGatewayDemo, type GatewayPki, type RunningGateway } from '../gateway/client.js';
import { createDevice, DeviceTsmClient, openDevice, PAYMENT_APPLICATION_AID } from '../device/client.js';
import {
  addMnoRoute, addServiceProvider, applicationSigningPublicKeyPEM, issueSPCredential, publishApplication, recordManufacturedDevice,
  registerSecureElement, SPClient, type ApplicationSigningKey, type RunningTsm, type TsmContext, type TsmPki,
} from '../tsm/client.js';
import { cardFirmware } from './firmware.js';
import { modelFinger } from './device.js';
import type { PlatformDatabase } from './platformSchema.js';

/**
 * What `tessera up` sets up on its first start so that every flow can run at once: an MNO with
 * its OTA route, a service provider (the demo bank), the signed payment application and PPSE in
 * the TSM's catalogue, the bank's BIN, merchant, terminal and a customer with a funded account
 * and a card, and a demo phone — manufactured, finger enrolled, PIN set, registered with the TSM
 * through its Crypto SE, the payment application installed over the air, and the card's
 * credential (with its EMV keys) deployed to it. Later starts find it done (platform.demo).
 */

export const DEMO = {
  mno: 'Tessera Mobile',
  carrier: 'tessera-mobile-https',
  sp: 'demo-bank',
  msisdn: '8613800138000',
  customer: 'Li Lei',
  finger: 'right-thumb',
  pin: '2580',
  binPrefix: '623456',
  terminalId: 'POS00001',
  merchantId: 'TESSERA SHOP 01',
  merchantName: 'Tessera Shop',
  depositMinor: 1_000_00n,
  transactionLimitMinor: 500_00n,
  currency: 'CNY',
  credentialSlot: 2,
  /** The online payment password (seed 002): not the bank PIN. */
  password: 'green-tea-42',
  webMerchantId: 'TESSERA WEB 001',
  webTerminalId: 'WEBGW001',
  webMerchantName: 'Tessera Tea House',
} as const;

const PAY_PACKAGE_AID = `${TESSERA_RID}5042`;
const PAY_MODULE_AID = `${TESSERA_RID}504201`;
const PPSE_PACKAGE_AID = `${TESSERA_RID}5043`;
const PPSE_MODULE_AID = `${TESSERA_RID}504301`;

export interface DemoState {
  readonly deviceDirectory: string;
  readonly deviceId: string;
  readonly msisdn: string;
  readonly finger: string;
  readonly pin: string;
  readonly panLastFour: string;
  readonly terminalId: string;
  readonly merchantId: string;
  readonly spCertificate: string;
  /** The online checkout (seed 002): the customer's identity code and password, the shop. */
  readonly identityCode: string;
  readonly password: string;
  readonly shopUrl: string;
  /** The demo customer's handset secret at the SMSC (the always-on phone `tessera up` attaches). */
  readonly handsetSecret: string;
  /** The merchant's partner credential and webhook secret, for the demo shop after a restart. */
  readonly gatewayMerchantFile: string;
}

/** Before the TSM starts (its OTA gateways are made per carrier at start): route, SP, catalogue. */
export async function prepareDemoTsm(context: TsmContext, applicationKey: ApplicationSigningKey): Promise<void> {
  await addMnoRoute(context, DEMO.mno, DEMO.carrier, 'demo');
  const known = await context.db.selectFrom('tsm.service_providers').select('name').where('name', '=', DEMO.sp).executeTakeFirst();
  if (known === undefined) await addServiceProvider(context, DEMO.sp, 'demo');
  const published = await context.db.selectFrom('tsm.applications').select('package_aid').where('package_aid', 'in', [PAY_PACKAGE_AID, PPSE_PACKAGE_AID]).execute();
  if (published.length === 2) return;
  await publishApplication(context, applicationKey, {
    name: 'Tessera Pay', moduleAid: PAY_MODULE_AID, instanceAid: PAYMENT_APPLICATION_AID,
    loadFile: encodeLoadFile({ packageAID: fromHex(PAY_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PAY_MODULE_AID), firmwareClass: PAYMENT_FIRMWARE_CLASS }] }),
    installParameters: encodeTLV([
      primitiveNode(PAYMENT_PERSONALIZATION_TAG.credentialSlot, Uint8Array.of(DEMO.credentialSlot)),
      primitiveNode(PAYMENT_PERSONALIZATION_TAG.callerKeyId, fromHex(applicationKey.keyId)),
    ]),
  });
  await publishApplication(context, applicationKey, {
    name: 'PPSE', moduleAid: PPSE_MODULE_AID, instanceAid: toHex(PPSE_AID),
    loadFile: encodeLoadFile({ packageAID: fromHex(PPSE_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS }] }),
    installParameters: encodeTLV([constructedNode(0xbf0c, [constructedNode(0x61, [
      primitiveNode(0x4f, fromHex(PAYMENT_APPLICATION_AID)), primitiveNode(0x50, new TextEncoder().encode('TESSERA PAY')), primitiveNode(0x87, Uint8Array.of(1)),
    ])])]),
  });
}

export interface DemoDeps {
  readonly dataDir: string;
  readonly platformDb: Kysely<PlatformDatabase>;
  readonly tsmContext: TsmContext;
  readonly tsm: RunningTsm;
  readonly pki: TsmPki;
  readonly applicationKey: ApplicationSigningKey;
  readonly bank: BankContext;
  readonly deviceKey: Uint8Array;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly gateway: RunningGateway;
  readonly gatewayPki: GatewayPki;
  readonly smscDb: Kysely<SmscDatabase>;
}

function tokenPAN(random: RandomSource): string {
  let payload: string = DEMO.binPrefix;
  for (const byte of random.bytes(9)) payload += String(byte % 10);
  return payload + luhnCheckDigit(payload);
}

/** After the TSM and the bank are up: the bank's side, the phone and its provisioning (first start only). */
export async function ensureDemo(deps: DemoDeps): Promise<DemoState> {
  const stored = await deps.platformDb.selectFrom('platform.demo').select('state').where('name', '=', 'demo').executeTakeFirst();
  if (stored !== undefined) return stored.state as DemoState;
  const { random, bank } = deps;

  // The bank: its BIN and IMK, the merchant and terminal, the customer, the card (a token PAN).
  const issuerMasterKey = random.bytes(16);
  const keyId = await addIssuerMasterKey(bank, { label: 'demo IMK-AC', key: issuerMasterKey });
  await addBinRange(bank, { prefix: DEMO.binPrefix, name: 'Tessera demo tokens', issuerMasterKeyId: keyId });
  await addMerchant(bank, { id: DEMO.merchantId, name: DEMO.merchantName, currencies: [DEMO.currency] });
  await addTerminal(bank, { id: DEMO.terminalId, merchantId: DEMO.merchantId });
  const customerId = await createCustomer(bank, { name: DEMO.customer });
  const accountId = await openCustomerAccount(bank, { customerId, currency: DEMO.currency });
  await deposit(bank, { accountId, amountMinor: DEMO.depositMinor });
  const pan = tokenPAN(random);
  const expiry = `${String((new Date().getUTCFullYear() + 4) % 100).padStart(2, '0')}12`;
  await issueCard(bank, { accountId, pan, expiry, psn: 1, transactionLimitMinor: DEMO.transactionLimitMinor });
  // The online shop's acquiring: a merchant and a card-not-present terminal for the gateway.
  await addMerchant(bank, { id: DEMO.webMerchantId, name: DEMO.webMerchantName, currencies: [DEMO.currency] });
  await addTerminal(bank, { id: DEMO.webTerminalId, merchantId: DEMO.webMerchantId });
  await enableCardNotPresent(bank, DEMO.webTerminalId);
  // The customer's phone at the SMSC, and their online payment identity at the gateway.
  const handset = await registerHandset(deps.smscDb, { msisdn: DEMO.msisdn, replace: true }, random);
  const online = await setupGatewayDemo(deps.gateway, {
    pki: deps.gatewayPki, acquirerMerchantId: DEMO.webMerchantId, acquirerTerminalId: DEMO.webTerminalId, merchantName: DEMO.webMerchantName,
    customer: { identityCode: DEMO.msisdn, password: DEMO.password, msisdn: DEMO.msisdn, pan, expiry },
  });
  const gatewayMerchantFile = join(deps.dataDir, 'demo', 'gateway-merchant.json');
  mkdirSync(join(deps.dataDir, 'demo'), { recursive: true, mode: 0o700 });
  writeFileSync(gatewayMerchantFile, `${JSON.stringify({ credential: online.merchantCredential, webhookSecret: online.webhookSecret })}\n`, { mode: 0o600 });

  // The SP's client certificate, kept for `tessera demo` and for operators trying the SP-TSM API.
  const spDirectory = join(deps.dataDir, 'demo', 'sp');
  mkdirSync(spDirectory, { recursive: true, mode: 0o700 });
  const credential = await issueSPCredential(deps.pki, DEMO.sp, { random, now: new Date() });
  writeFileSync(join(spDirectory, `${DEMO.sp}.pem`), credential.certificatePEM, { mode: 0o600 });
  writeFileSync(join(spDirectory, `${DEMO.sp}.key`), credential.privateKeyPEM, { mode: 0o600 });

  // The phone: manufactured, handed over to the TSM, registered through its Crypto SE.
  const deviceDirectory = join(deps.dataDir, 'demo', 'phone');
  if (existsSync(deviceDirectory)) throw new Error(`${deviceDirectory} exists but the demo was never recorded; remove it and start again`);
  const record = await createDevice(deviceDirectory, {
    deviceKey: deps.deviceKey, msisdn: DEMO.msisdn, appSEFirmware: cardFirmware(), random,
    tsm: { rootCertificatePEM: deps.pki.rootPEM, applicationSigningPublicKeyPEM: applicationSigningPublicKeyPEM(deps.applicationKey) },
  });
  await recordManufacturedDevice(deps.tsmContext, record, 'demo');
  await registerSecureElement(deps.tsmContext, {
    cin: record.appSE.cin, iin: record.appSE.iin, msi: DEMO.msisdn, mno: DEMO.mno, profile: record.appSE.profile, seType: 'uicc', gpVersion: '2.3.1',
    javacardVersion: '3.0.5 (modelled)', certificationLevel: 'none (virtual)', masterKeyIndex: record.appSE.masterKeyIndex,
    expiresAt: new Date(Date.now() + 5 * 365 * 86_400_000),
    domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: record.appSE.keyset }],
  }, 'demo');
  const device = openDevice(deviceDirectory, { deviceKey: deps.deviceKey, appSEFirmware: cardFirmware(), random });
  const tsmClient = new DeviceTsmClient({ url: deps.tsm.otaUrl, ca: deps.pki.rootPEM });
  const sp = new SPClient({ url: deps.tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: deps.pki.rootPEM });
  try {
    const finger = modelFinger(DEMO.finger);
    device.enrolFinger(finger);
    device.setPIN(DEMO.pin);
    await device.register(tsmClient, finger);
    const update = await device.update(tsmClient, (card, options) => runCardAgent(card, options));
    if (update.failed.length > 0) throw new Error(`the demo phone's update failed: ${JSON.stringify(update.failed)}`);
    const iccMasterKey = deriveICCMasterKey({ issuerMasterKey, pan, panSequenceNumber: '01' });
    const deployed = await sp.call('POST', `/v1/devices/${device.id}/credentials`, {
      credentialSlot: DEMO.credentialSlot, pan, expiry: `${expiry}31`, emv: { iccMasterKey: toHex(iccMasterKey), panSequenceNumber: 1 },
    }, `demo-credential-${device.id}`);
    if (deployed.status !== 201) throw new Error(`the demo credential was not deployed (${deployed.status})`);
    iccMasterKey.fill(0);
    const received = await device.receiveCredentials(tsmClient);
    if (received.stored.length !== 1) throw new Error('the demo phone did not store its credential');
  } finally {
    issuerMasterKey.fill(0);
    tsmClient.close();
    sp.close();
    device.close();
  }
  const state: DemoState = {
    deviceDirectory, deviceId: record.deviceId, msisdn: DEMO.msisdn, finger: DEMO.finger, pin: DEMO.pin, panLastFour: pan.slice(-4),
    terminalId: DEMO.terminalId, merchantId: DEMO.merchantId, spCertificate: join(spDirectory, `${DEMO.sp}.pem`),
    identityCode: DEMO.msisdn, password: DEMO.password, shopUrl: online.shopUrl, handsetSecret: handset.secret, gatewayMerchantFile,
  };
  await deps.platformDb.insertInto('platform.demo').values({ name: 'demo', state: JSON.stringify(state) }).execute();
  deps.logger.info({ deviceId: state.deviceId }, 'demo set up');
  return state;
}

/** On a later start: points the demo shop at the merchant credential the first start kept. */
export function configureDemoShop(gateway: RunningGateway, pki: GatewayPki, demo: DemoState): void {
  const saved = JSON.parse(readFileSync(demo.gatewayMerchantFile, 'utf8')) as { credential: { certificatePEM: string; privateKeyPEM: string }; webhookSecret: string };
  gateway.configureShop({
    merchantName: DEMO.webMerchantName, currency: DEMO.currency, webhookSecret: saved.webhookSecret,
    client: createPartnerClient({ baseUrl: gateway.partnerUrl, caCertificatePEM: pki.caCertificatePEM, ...saved.credential }),
  });
}
