import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../../src/lib/bytes.js';
import { createSystemRandomSource, type RandomSource } from '../../src/lib/crypto/index.js';
import { encodeLoadFile } from '../../src/lib/gp/index.js';
import { luhnCheckDigit } from '../../src/lib/luhn.js';
import { migrate } from '../../src/infra/db/index.js';
import { createLogger } from '../../src/infra/log/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID, PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS, TESSERA_RID, type AppletFactory } from '../../src/card/client.js';
import { createPaymentApplet, createPPSEApplet } from '../../src/applets/payment/client.js';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';
import { runCardAgent } from '../../src/card/agent/index.js';
import { createFileKeyStore } from '../../src/tsm/keystore/index.js';
import { loadOrCreateTsmPki, issueSPCredential, type TsmPki } from '../../src/tsm/pkiStore.js';
import { addMnoRoute, addServiceProvider, registerSecureElement } from '../../src/tsm/registry.js';
import { startTsm, type RunningTsm } from '../../src/tsm/server.js';
import { SPClient } from '../../src/tsm/spClient.js';
import type { TsmContext } from '../../src/tsm/context.js';
import { tsmMigrations, type TsmDatabase } from '../../src/tsm/schema.js';
import {
  applicationSigningPublicKeyPEM, loadOrCreateApplicationSigningKey, publishApplication, recordManufacturedDevice, type ApplicationSigningKey,
} from '../../src/tsm/devices/index.js';
import { createDevice, DeviceTsmClient, openDevice, PAYMENT_APPLICATION_AID, type Device, type ManufactureRecord, type OTAAgentRunner } from '../../src/device/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

export const CARRIER = 'tessera-mobile-https';
export const MNO = 'Tessera Mobile';
export const PAY_PACKAGE_AID = `${TESSERA_RID}5042`;
export const PAY_MODULE_AID = `${TESSERA_RID}504201`;
/** The "payment app" of these tests: the echo applet's firmware under the wallet payment application's AID. */
export const PAY_LOAD_FILE = encodeLoadFile({ packageAID: fromHex(PAY_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PAY_MODULE_AID), firmwareClass: ECHO_FIRMWARE_CLASS }] });
export const APP_SE_FIRMWARE = new Map<string, AppletFactory>([
  [ECHO_FIRMWARE_CLASS, createEchoApplet], [PAYMENT_FIRMWARE_CLASS, createPaymentApplet], [PPSE_FIRMWARE_CLASS, createPPSEApplet],
]);
export const runAgent: OTAAgentRunner = (card, options) => runCardAgent(card, options);

/** A token PAN as an issuer would make one (a test BIN, Luhn-valid). */
export function tokenPAN(random: RandomSource): string {
  let payload = '489537';
  for (const byte of random.bytes(9)) payload += String(byte % 10);
  return payload + luhnCheckDigit(payload);
}

export interface Platform {
  readonly directory: string;
  readonly database: TestDatabase<TsmDatabase>;
  readonly admin: TsmContext;
  readonly pki: TsmPki;
  readonly applicationKey: ApplicationSigningKey;
  readonly tsm: RunningTsm;
  readonly bank: SPClient;
  readonly deviceKey: Uint8Array;
  readonly random: RandomSource;
  /** Manufactures a device, hands it over to the TSM (device table + App SE registry) and opens it. */
  newDevice(name: string, msisdn: string): Promise<{ device: Device; record: ManufactureRecord; directory: string }>;
  client(): DeviceTsmClient;
  close(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-device-'));
  const database = await openTestDatabase<TsmDatabase>();
  const random = createSystemRandomSource();
  const logger = createLogger({ level: 'silent' });
  const keyStore = createFileKeyStore(join(directory, 'kek.key'), { random });
  const pki = await loadOrCreateTsmPki(join(directory, 'pki'), { random, now: new Date() });
  const applicationKey = loadOrCreateApplicationSigningKey(join(directory, 'pki'));
  await migrate(database.db, 'tsm', tsmMigrations);
  const admin: TsmContext = { db: database.db, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger, cardWaitMs: 0 };
  await addMnoRoute(admin, MNO, CARRIER, 'operator');
  await addServiceProvider(admin, 'bank-a', 'operator');
  await publishApplication(admin, applicationKey, { name: 'Tessera Pay', loadFile: PAY_LOAD_FILE, moduleAid: PAY_MODULE_AID, instanceAid: PAYMENT_APPLICATION_AID });
  const tsm = await startTsm({ host: '127.0.0.1', port: 0, otaPort: 0, cardWaitMs: 10_000, otaPollWaitMs: 1_000, workerIntervalMs: 200 }, {
    db: database.db, keyStore, pki, random, now: Date.now, logger, applicationSigningKey: applicationKey,
  });
  const credential = await issueSPCredential(pki, 'bank-a', { random, now: new Date() });
  const bank = new SPClient({ url: tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: pki.rootPEM });
  const deviceKey = random.bytes(32);
  const clients: DeviceTsmClient[] = [];
  return {
    directory, database, admin, pki, applicationKey, tsm, bank, deviceKey, random,
    async newDevice(name, msisdn) {
      const deviceDirectory = join(directory, name);
      const record = await createDevice(deviceDirectory, {
        deviceKey, msisdn, appSEFirmware: APP_SE_FIRMWARE, random,
        tsm: { rootCertificatePEM: pki.rootPEM, applicationSigningPublicKeyPEM: applicationSigningPublicKeyPEM(applicationKey) },
      });
      await recordManufacturedDevice(admin, record, 'factory');
      await registerSecureElement(admin, {
        cin: record.appSE.cin, iin: record.appSE.iin, msi: msisdn, mno: MNO, profile: record.appSE.profile, seType: 'uicc', gpVersion: '2.3.1',
        javacardVersion: '3.0.5', certificationLevel: 'virtual', masterKeyIndex: record.appSE.masterKeyIndex, expiresAt: new Date(Date.now() + 365 * 86_400_000),
        domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: record.appSE.keyset }],
      }, 'factory');
      return { device: openDevice(deviceDirectory, { deviceKey, appSEFirmware: APP_SE_FIRMWARE, random }), record, directory: deviceDirectory };
    },
    client() {
      const client = new DeviceTsmClient({ url: tsm.otaUrl, ca: pki.rootPEM });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      bank.close();
      await tsm.stop();
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
