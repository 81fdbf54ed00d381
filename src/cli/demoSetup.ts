import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { fromHex, toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
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
import { createDevice, DeviceTsmClient, openDevice, PAYMENT_APPLICATION_AID, type Device } from '../device/client.js';
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
  /** The demo customer's bank account, on which `tessera demo` issues a card for each new phone (absent before this was kept). */
  readonly accountId?: string;
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

/** `<data>/demo/sp`: the demo SP's client certificate and key, and its data-preparation copy of the issuer master key. */
export function demoSPDirectory(dataDir: string): string {
  return join(dataDir, 'demo', 'sp');
}

/**
 * The demo bank's card-personalization side keeps its own copy of the issuer master key (as an
 * issuer's data preparation does, apart from its authorization host), so that `tessera demo` can
 * issue and deploy a card for a new phone on any later start. Demo only: a file readable by its
 * owner, next to the SP's private key.
 */
const ISSUER_MASTER_KEY_FILE_NAME = 'issuer-master-key';
const ISSUER_MASTER_KEY_BYTES = 16;

function saveDemoIssuerMasterKey(dataDir: string, key: Uint8Array): void {
  writeFileSync(join(demoSPDirectory(dataDir), ISSUER_MASTER_KEY_FILE_NAME), key, { mode: 0o600, flag: 'wx' });
}

function loadDemoIssuerMasterKey(dataDir: string): Uint8Array {
  const path = join(demoSPDirectory(dataDir), ISSUER_MASTER_KEY_FILE_NAME);
  if (!existsSync(path)) {
    throw new TesseraError('ERR_DEMO_SETUP', `${path} is missing: the demo was set up by an earlier version; remove the data directory and start again`);
  }
  const key = new Uint8Array(readFileSync(path));
  if (key.length !== ISSUER_MASTER_KEY_BYTES) throw new TesseraError('ERR_DEMO_SETUP', `${path} must hold ${ISSUER_MASTER_KEY_BYTES} bytes`);
  return key;
}

/** The demo SP's SP-TSM API client (mutual TLS with the certificate the first start issued). */
export function openDemoSPClient(dataDir: string, tsmUrl: string, rootPEM: string): SPClient {
  const directory = demoSPDirectory(dataDir);
  return new SPClient({
    url: tsmUrl, certificate: readFileSync(join(directory, `${DEMO.sp}.pem`), 'utf8'), privateKey: readFileSync(join(directory, `${DEMO.sp}.key`), 'utf8'), ca: rootPEM,
  });
}

/** What the factory needs: the TSM's trust anchors for the phone, its database for the hand-over, the key that seals card images. */
export interface DemoFactory {
  readonly tsmContext: TsmContext;
  readonly pki: TsmPki;
  readonly applicationKey: ApplicationSigningKey;
  readonly deviceKey: Uint8Array;
  readonly random: RandomSource;
}

/**
 * The factory: a phone manufactured in `directory` and handed over to the TSM, as its maker
 * would: the device table and the App SE's registry entry by MSI with its central SD keys (the
 * keys never reach the device directory).
 */
export async function manufactureDemoPhone(factory: DemoFactory, directory: string, msisdn: string): Promise<{ readonly deviceId: string }> {
  const record = await createDevice(directory, {
    deviceKey: factory.deviceKey, msisdn, appSEFirmware: cardFirmware(), random: factory.random,
    tsm: { rootCertificatePEM: factory.pki.rootPEM, applicationSigningPublicKeyPEM: applicationSigningPublicKeyPEM(factory.applicationKey) },
  });
  await recordManufacturedDevice(factory.tsmContext, record, 'demo');
  await registerSecureElement(factory.tsmContext, {
    cin: record.appSE.cin, iin: record.appSE.iin, msi: msisdn, mno: DEMO.mno, profile: record.appSE.profile, seType: 'uicc', gpVersion: '2.3.1',
    javacardVersion: '3.0.5 (modelled)', certificationLevel: 'none (virtual)', masterKeyIndex: record.appSE.masterKeyIndex,
    expiresAt: new Date(Date.now() + 5 * 365 * 86_400_000),
    domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: record.appSE.keyset }],
  }, 'demo');
  return { deviceId: record.deviceId };
}

/** The owner's first steps: the demo finger enrolled, the PIN set, and registration with the TSM's CA through the Crypto SE. */
export async function registerDemoPhone(device: Device, tsm: DeviceTsmClient): Promise<void> {
  const finger = modelFinger(DEMO.finger);
  device.enrolFinger(finger);
  device.setPIN(DEMO.pin);
  await device.register(tsm, finger);
}

/** Over the air: the TSM-signed applications (Tessera Pay, PPSE) installed on the App SE through its admin agent. */
export async function installDemoApplications(device: Device, tsm: DeviceTsmClient): Promise<readonly string[]> {
  const update = await device.update(tsm, (card, options) => runCardAgent(card, options));
  if (update.failed.length > 0) throw new TesseraError('ERR_DEMO_SETUP', `the phone's update failed: ${JSON.stringify(update.failed)}`);
  return update.installed.map((application) => application.name);
}

/** The demo bank as card issuer and SP: its books, its SP-TSM client, and its data-preparation copy of the issuer master key. */
export interface DemoIssuer {
  readonly bank: BankContext;
  readonly sp: SPClient;
  readonly issuerMasterKey: Uint8Array;
  readonly random: RandomSource;
}

/**
 * The demo bank issues a card (a token PAN) on the account and deploys its credential to the phone
 * through the SP-TSM API, with the card's EMV key derived from the issuer master key (EMV Book 2
 * §A1.4 option A). The phone picks the package up with `receiveDemoCredential`.
 */
export async function issueDemoCredential(issuer: DemoIssuer, input: { readonly accountId: string; readonly deviceId: string }): Promise<{ pan: string; expiry: string }> {
  const pan = tokenPAN(issuer.random);
  const expiry = `${String((new Date().getUTCFullYear() + 4) % 100).padStart(2, '0')}12`;
  await issueCard(issuer.bank, { accountId: input.accountId, pan, expiry, psn: 1, transactionLimitMinor: DEMO.transactionLimitMinor });
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: issuer.issuerMasterKey, pan, panSequenceNumber: '01' });
  try {
    const deployed = await issuer.sp.call('POST', `/v1/devices/${input.deviceId}/credentials`, {
      credentialSlot: DEMO.credentialSlot, pan, expiry: `${expiry}31`, emv: { iccMasterKey: toHex(iccMasterKey), panSequenceNumber: 1 },
    }, `demo-credential-${input.deviceId}`);
    if (deployed.status !== 201) throw new TesseraError('ERR_DEMO_SETUP', `the credential was not deployed (${deployed.status})`);
  } finally {
    iccMasterKey.fill(0);
  }
  return { pan, expiry };
}

/** The phone fetches its credential package over the air; the Crypto SE opens and stores it. */
export async function receiveDemoCredential(device: Device, tsm: DeviceTsmClient): Promise<void> {
  const received = await device.receiveCredentials(tsm);
  if (received.stored.length !== 1) throw new TesseraError('ERR_DEMO_SETUP', `the phone stored ${received.stored.length} credentials (refused: ${JSON.stringify(received.refused)})`);
}

/** The bank's side of the demo: BIN and IMK, the shop's merchant and terminal, the customer with a funded account, the web merchant. */
async function setUpDemoBank(bank: BankContext, issuerMasterKey: Uint8Array): Promise<{ accountId: string }> {
  const keyId = await addIssuerMasterKey(bank, { label: 'demo IMK-AC', key: issuerMasterKey });
  await addBinRange(bank, { prefix: DEMO.binPrefix, name: 'Tessera demo tokens', issuerMasterKeyId: keyId });
  await addMerchant(bank, { id: DEMO.merchantId, name: DEMO.merchantName, currencies: [DEMO.currency] });
  await addTerminal(bank, { id: DEMO.terminalId, merchantId: DEMO.merchantId });
  const customerId = await createCustomer(bank, { name: DEMO.customer });
  const accountId = await openCustomerAccount(bank, { customerId, currency: DEMO.currency });
  await deposit(bank, { accountId, amountMinor: DEMO.depositMinor });
  // The online shop's acquiring: a merchant and a card-not-present terminal for the gateway.
  await addMerchant(bank, { id: DEMO.webMerchantId, name: DEMO.webMerchantName, currencies: [DEMO.currency] });
  await addTerminal(bank, { id: DEMO.webTerminalId, merchantId: DEMO.webMerchantId });
  await enableCardNotPresent(bank, DEMO.webTerminalId);
  return { accountId };
}

/**
 * The demo phone's life from the factory to a payment credential: the same steps, in the same
 * order, that `tessera demo` walks live with a new phone each run (src/cli/demo.ts).
 */
async function provisionDemoPhone(deps: DemoDeps, issuer: DemoIssuer, accountId: string, deviceDirectory: string): Promise<{ deviceId: string; pan: string; expiry: string }> {
  const { deviceId } = await manufactureDemoPhone(deps, deviceDirectory, DEMO.msisdn);
  const device = openDevice(deviceDirectory, { deviceKey: deps.deviceKey, appSEFirmware: cardFirmware(), random: deps.random });
  const tsmClient = new DeviceTsmClient({ url: deps.tsm.otaUrl, ca: deps.pki.rootPEM });
  try {
    await registerDemoPhone(device, tsmClient);
    await installDemoApplications(device, tsmClient);
    const card = await issueDemoCredential(issuer, { accountId, deviceId });
    await receiveDemoCredential(device, tsmClient);
    return { deviceId, ...card };
  } finally {
    tsmClient.close();
    device.close();
  }
}

/** After the TSM and the bank are up: the bank's side, the phone and its provisioning (first start only). */
export async function ensureDemo(deps: DemoDeps): Promise<DemoState> {
  const stored = await deps.platformDb.selectFrom('platform.demo').select('state').where('name', '=', 'demo').executeTakeFirst();
  if (stored !== undefined) return stored.state as DemoState;
  const { random } = deps;
  const deviceDirectory = join(deps.dataDir, 'demo', 'phone');
  if (existsSync(deviceDirectory)) throw new Error(`${deviceDirectory} exists but the demo was never recorded; remove it and start again`);

  // The SP's client certificate and the IMK copy, kept for `tessera demo` and for operators trying the SP-TSM API.
  const spDirectory = demoSPDirectory(deps.dataDir);
  mkdirSync(spDirectory, { recursive: true, mode: 0o700 });
  const credential = await issueSPCredential(deps.pki, DEMO.sp, { random, now: new Date() });
  writeFileSync(join(spDirectory, `${DEMO.sp}.pem`), credential.certificatePEM, { mode: 0o600 });
  writeFileSync(join(spDirectory, `${DEMO.sp}.key`), credential.privateKeyPEM, { mode: 0o600 });
  const issuerMasterKey = random.bytes(ISSUER_MASTER_KEY_BYTES);
  const sp = new SPClient({ url: deps.tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: deps.pki.rootPEM });
  let phone: { deviceId: string; pan: string; expiry: string };
  let accountId: string;
  try {
    saveDemoIssuerMasterKey(deps.dataDir, issuerMasterKey);
    ({ accountId } = await setUpDemoBank(deps.bank, issuerMasterKey));
    // The phone: manufactured, handed over to the TSM, registered through its Crypto SE, provisioned.
    phone = await provisionDemoPhone(deps, { bank: deps.bank, sp, issuerMasterKey, random }, accountId, deviceDirectory);
  } finally {
    issuerMasterKey.fill(0);
    sp.close();
  }

  // The customer's phone at the SMSC, and their online payment identity at the gateway.
  const handset = await registerHandset(deps.smscDb, { msisdn: DEMO.msisdn, replace: true }, random);
  const online = await setupGatewayDemo(deps.gateway, {
    pki: deps.gatewayPki, acquirerMerchantId: DEMO.webMerchantId, acquirerTerminalId: DEMO.webTerminalId, merchantName: DEMO.webMerchantName,
    customer: { identityCode: DEMO.msisdn, password: DEMO.password, msisdn: DEMO.msisdn, pan: phone.pan, expiry: phone.expiry },
  });
  const gatewayMerchantFile = join(deps.dataDir, 'demo', 'gateway-merchant.json');
  writeFileSync(gatewayMerchantFile, `${JSON.stringify({ credential: online.merchantCredential, webhookSecret: online.webhookSecret })}\n`, { mode: 0o600 });

  const state: DemoState = {
    deviceDirectory, deviceId: phone.deviceId, msisdn: DEMO.msisdn, finger: DEMO.finger, pin: DEMO.pin, panLastFour: phone.pan.slice(-4),
    terminalId: DEMO.terminalId, merchantId: DEMO.merchantId, spCertificate: join(spDirectory, `${DEMO.sp}.pem`),
    identityCode: DEMO.msisdn, password: DEMO.password, shopUrl: online.shopUrl, handsetSecret: handset.secret, gatewayMerchantFile, accountId,
  };
  await deps.platformDb.insertInto('platform.demo').values({ name: 'demo', state: JSON.stringify(state) }).execute();
  deps.logger.info({ deviceId: state.deviceId }, 'demo set up');
  return state;
}

/** What `tessera demo` asks the running platform for (src/cli/demoControl.ts): a factory and an issuer, on this start's services. */
export function openDemoIssuer(dataDir: string, bank: BankContext, tsm: RunningTsm, pki: TsmPki, random: RandomSource): DemoIssuer {
  return { bank, sp: openDemoSPClient(dataDir, tsm.url, pki.rootPEM), issuerMasterKey: loadDemoIssuerMasterKey(dataDir), random };
}

/** On a later start: points the demo shop at the merchant credential the first start kept. */
export function configureDemoShop(gateway: RunningGateway, pki: GatewayPki, demo: DemoState): void {
  const saved = JSON.parse(readFileSync(demo.gatewayMerchantFile, 'utf8')) as { credential: { certificatePEM: string; privateKeyPEM: string }; webhookSecret: string };
  gateway.configureShop({
    merchantName: DEMO.webMerchantName, currency: DEMO.currency, webhookSecret: saved.webhookSecret,
    client: createPartnerClient({ baseUrl: gateway.partnerUrl, caCertificatePEM: pki.caCertificatePEM, ...saved.credential }),
  });
}
