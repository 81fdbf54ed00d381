import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { fromHex, utf8 } from '../lib/bytes.js';
import { createDeterministicRandomSource, createSystemRandomSource } from '../lib/crypto/index.js';
import { migrate } from '../infra/db/index.js';
import { createLogger } from '../infra/log/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID } from '../card/client.js';
import { runCardAgent } from '../card/agent/index.js';
import { createModelFinger } from '../applets/crypto-se/client.js';
import {
  applicationSigningPublicKeyPEM, createFileKeyStore, loadOrCreateApplicationSigningKey, loadOrCreateTsmPki, publishApplication, recordManufacturedDevice,
  registerSecureElement, TSM_SCHEMA, tsmMigrations, type TsmContext, type TsmDatabase,
} from '../tsm/client.js';
import { createDevice, DeviceTsmClient, openDevice, PAYMENT_APPLICATION_AID, type Device, type DeviceStatus, type ModelFinger } from '../device/client.js';
import { DATA_DIR_DEFAULT, defaultCardDeviceKeyFile, loadCardDeviceKey } from './cardDeviceKey.js';
import { cardFirmware } from './firmware.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { tsmHome } from './tsm.js';

/**
 * `tessera device …`: the dual-secure-element phone of seed 000 (docs/device.md). A device lives in
 * a directory (two sealed card images, the sealed peripherals file, device.json). The keypad and
 * the fingerprint sensor are models: `--pin` and `--finger NAME` stand in for the person pressing
 * keys or a finger (the same NAME is the same modelled finger); what they produce is sealed for
 * the Crypto SE before this process relays it.
 */

interface CommonOptions {
  data?: string;
  deviceKeyFile?: string;
}

interface TsmOptions extends CommonOptions {
  tsm: string;
  ca?: string;
}

function dataDirOf(options: CommonOptions): string {
  return options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
}

function deviceKeyOf(options: CommonOptions, create: boolean): Uint8Array {
  // The key file sits in the data directory, as for `tessera card` (TESSERA_CARD_DEVICE_KEY wins).
  const keyFile = options.deviceKeyFile ?? (options.data === undefined ? undefined : defaultCardDeviceKeyFile({ ...process.env, TESSERA_DATA_DIR: options.data }));
  return loadCardDeviceKey({ env: process.env, create, notify: (message) => console.error(message), ...(keyFile === undefined ? {} : { keyFile }) }).key;
}

/** A modelled finger by name: the same name always gives the same finger (the sensor adds noise per capture). */
export function modelFinger(name: string): ModelFinger {
  return createModelFinger(createDeterministicRandomSource(utf8(`tessera.model-finger/${name}`)));
}

function digits(value: string): string {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('expected digits');
  return value;
}

/** Opens a device directory as every `tessera device` command does (also used by `tessera pos pay`). */
export function openDeviceDirectory(dir: string, options: { data?: string; deviceKeyFile?: string }): Device {
  return open(dir, options);
}

function open(dir: string, options: CommonOptions): Device {
  return openDevice(dir, { deviceKey: deviceKeyOf(options, false), appSEFirmware: cardFirmware() });
}

function tsmClient(options: TsmOptions): DeviceTsmClient {
  const ca = options.ca ?? join(tsmHome(dataDirOf(options)), 'pki', 'root-ca.pem');
  return new DeviceTsmClient({ url: options.tsm, ca: readFileSync(ca, 'utf8') });
}

function check(done: boolean): string {
  return done ? '[x]' : '[ ]';
}

/** The status as lines, one per step of the device's life (stable: tests read it). */
export function formatDeviceStatus(status: DeviceStatus): string {
  const lines = [`device ${status.deviceId} (MSISDN ${status.msisdn})`];
  const fingers = status.biometric.enrolledFingers;
  lines.push(`${check(fingers.length > 0)} finger enrolled     ${fingers.length > 0 ? `slots ${fingers.join(', ')}` : 'none'} (biometric tries left ${status.biometric.triesLeft})`);
  lines.push(`${check(status.pin.set)} PIN set             ${status.pin.set ? `tries left ${status.pin.triesLeft}${status.pin.triesLeft === 0 ? ' (BLOCKED: after the bank approves, tessera device unblock-pin)' : ''}` : 'no'}`);
  const certificate = status.certificate;
  lines.push(`${check(status.registered)} registered          ${certificate === null ? 'no device certificate' : `certificate ${certificate.subject}`}`);
  if (certificate !== null) {
    lines.push(`                        serial ${certificate.serialNumber}, issuer ${certificate.issuer}, valid until ${certificate.notAfter}`);
  }
  lines.push(`${check(status.applications.length > 0)} applications        ${status.applications.length === 0 ? 'none' : status.applications.map((application) => `${application.name} ${application.version} (${application.instanceAid}, TSM-signed)`).join('; ')}`);
  const credentials = status.credentials.map((credential) => `slot ${credential.slot} ${credential.origin}${credential.locked ? ' LOCKED (enrol a finger)' : ''}: ${credential.masked ?? 'masked PAN needs an App SE application the ACL allows'}`);
  lines.push(`${check(status.credentials.some((credential) => !credential.locked))} credentials         ${credentials.length === 0 ? 'none' : credentials[0] ?? ''}`);
  for (const line of credentials.slice(1)) lines.push(`                        ${line}`);
  const peripherals = status.peripherals;
  lines.push(`    peripherals         keypad ${peripherals.keypadPaired ? 'paired' : 'NOT paired'}, sensor ${peripherals.sensorPaired ? 'paired' : 'NOT paired'}, payment mode ${peripherals.paymentMode ? 'on' : 'off'}, NFC ${peripherals.nfc ? 'on' : 'off'}, cellular ${peripherals.cellular ? 'on' : 'off'}`);
  lines.push(`    payment reports     ${status.paymentReportsPending === 0 ? 'none pending' : `${status.paymentReportsPending} pending for the TSM's fraud feed (sent by the next update)`}`);
  return lines.join('\n');
}

function withDevice(command: Command): Command {
  return command
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR): the TSM's PKI and the card device key`)
    .option('--device-key-file <file>', 'the card device key file that seals the secure elements (default <data>/card-device.key)');
}

function withTsm(command: Command): Command {
  return withDevice(command)
    .requiredOption('--tsm <url>', 'the TSM\'s device endpoint (its OTA listener), e.g. https://127.0.0.1:9444')
    .option('--ca <pem>', 'the TSM root certificate (default <data>/tsm/pki/root-ca.pem)');
}

/** Runs `work` on the TSM's database (embedded under <data>, or PostgreSQL), migrated. */
async function withTsmDatabase<T>(options: CommonOptions & { databaseUrl?: string }, work: (context: TsmContext) => Promise<T>): Promise<T> {
  const dataDir = dataDirOf(options);
  const random = createSystemRandomSource();
  const handle = await openPlatformDatabase<TsmDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
  try {
    await migrate(handle.db, TSM_SCHEMA, tsmMigrations);
    return await work({
      db: handle.db, keyStore: createFileKeyStore(join(tsmHome(dataDir), 'kek.key'), { random }), cards: { linkFor: () => Promise.resolve(undefined) },
      random, now: Date.now, logger: createLogger({ level: 'silent' }), cardWaitMs: 0,
    });
  } finally {
    await handle.close();
  }
}

/** Records the new device with the TSM, as its maker would: the device table and the App SE's registry entry. */
async function handOver(options: CommonOptions & { databaseUrl?: string; mno?: string }, record: Awaited<ReturnType<typeof createDevice>>, msisdn: string): Promise<string> {
  return withTsmDatabase(options, async (context) => {
    await recordManufacturedDevice(context, record, 'factory');
    if (options.mno === undefined) return 'device recorded with the TSM; register its App SE with `tessera tsm se add --card <dir>/app-se.card` for updates';
    await registerSecureElement(context, {
      cin: record.appSE.cin, iin: record.appSE.iin, msi: msisdn, mno: options.mno, profile: record.appSE.profile, seType: 'uicc', gpVersion: '2.3.1',
      javacardVersion: '3.0.5 (modelled)', certificationLevel: 'none (virtual)', masterKeyIndex: record.appSE.masterKeyIndex,
      expiresAt: new Date(Date.now() + 5 * 365 * 86_400_000),
      domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: record.appSE.keyset }],
    }, 'factory');
    return `device recorded with the TSM; App SE ${record.appSE.cin} registered for MSI ${msisdn} on ${options.mno} (the TSM manages its central SD)`;
  });
}

export function registerDeviceCommands(program: Command): void {
  const device = program.command('device').description('the dual-secure-element phone: App SE + Crypto SE, secure keypad and sensor (docs/device.md)');

  withDevice(device.command('new <dir>').description('manufacture a device in DIR and hand it over to the TSM')
    .requiredOption('--msisdn <digits>', 'the SIM\'s number (the App SE\'s MSI at the TSM)', digits)
    .option('--mno <name>', 'the MNO whose OTA route reaches the App SE (registers the App SE with the TSM)')
    .option('--database-url <url>', 'the TSM\'s PostgreSQL (or DATABASE_URL); default the embedded database in <data>'))
    .action(async (dir: string, options: CommonOptions & { msisdn: string; mno?: string; databaseUrl?: string }) => {
      const random = createSystemRandomSource();
      const pkiDirectory = join(tsmHome(dataDirOf(options)), 'pki');
      const pki = await loadOrCreateTsmPki(pkiDirectory, { random, now: new Date() });
      const applicationKey = loadOrCreateApplicationSigningKey(pkiDirectory);
      const record = await createDevice(dir, {
        deviceKey: deviceKeyOf(options, true), msisdn: options.msisdn, appSEFirmware: cardFirmware(), random,
        tsm: { rootCertificatePEM: pki.rootPEM, applicationSigningPublicKeyPEM: applicationSigningPublicKeyPEM(applicationKey) },
      });
      console.log(`device ${record.deviceId} made in ${dir}`);
      console.log(`  App SE    ${record.appSECin} (UICC): applications domain ${record.appSEApplicationsDomainAid} verifies the TSM's DAP (key ${applicationKey.keyId})`);
      console.log(`  Crypto SE ${record.cryptoSECin} (embedded): applet personalized, TSM root CA stored, device key made on the card`);
      console.log('  keypad and fingerprint sensor paired with the Crypto SE; preloaded payment credential locked until a finger is enrolled');
      console.log(`  ${await handOver(options, record, options.msisdn)}`);
    });

  withDevice(device.command('enrol-finger <dir>').description('enrol a finger: the sensor captures it twice, the Crypto SE keeps the template')
    .requiredOption('--finger <name>', 'the modelled finger (the same name is the same finger)'))
    .action((dir: string, options: CommonOptions & { finger: string }) => {
      const opened = open(dir, options);
      try {
        const enrolled = opened.enrolFinger(modelFinger(options.finger));
        console.log(`finger "${options.finger}" enrolled in slot ${enrolled.slot} (${enrolled.rounds} round${enrolled.rounds === 1 ? '' : 's'} of two captures)`);
        const locked = opened.status().credentials.filter((credential) => credential.locked).length;
        console.log(locked === 0 ? 'preloaded payment credential unlocked' : `${locked} credential(s) still locked`);
      } finally {
        opened.close();
      }
    });

  withDevice(device.command('set-pin <dir>').description('set the PIN on the secure keypad (the first one, or a change with --old-pin)')
    .requiredOption('--pin <digits>', 'the new PIN, 4-12 digits (typed on the modelled keypad)', digits)
    .option('--old-pin <digits>', 'the current PIN, to change it', digits))
    .action((dir: string, options: CommonOptions & { pin: string; oldPin?: string }) => {
      const opened = open(dir, options);
      try {
        opened.setPIN(options.pin, options.oldPin);
        console.log(`PIN ${options.oldPin === undefined ? 'set' : 'changed'} (it reached the Crypto SE sealed by the keypad; the Crypto SE keeps only its HMAC)`);
      } finally {
        opened.close();
      }
    });

  withTsm(device.command('register <dir>').description('register with the TSM through the Crypto SE: certificate request for the on-card key, signed after a finger match')
    .requiredOption('--finger <name>', 'an enrolled modelled finger: it authorizes the Crypto SE to sign'))
    .action(async (dir: string, options: TsmOptions & { finger: string }) => {
      const opened = open(dir, options);
      const client = tsmClient(options);
      try {
        const certificate = await opened.register(client, modelFinger(options.finger));
        console.log(`registered: device certificate stored in the Crypto SE`);
        console.log(`  subject ${certificate?.subject ?? ''}`);
        console.log(`  serial  ${certificate?.serialNumber ?? ''}`);
        console.log(`  issuer  ${certificate?.issuer ?? ''}, valid until ${certificate?.notAfter ?? ''}`);
      } finally {
        client.close();
        opened.close();
      }
    });

  withTsm(device.command('update <dir>').description('ask the TSM for updates: TSM-signed App SE applications (installed over the air) and credential packages'))
    .action(async (dir: string, options: TsmOptions) => {
      const opened = open(dir, options);
      const client = tsmClient(options);
      try {
        const reports = await opened.flushPaymentReports(client);
        if (reports.delivered.length > 0) console.log(`payment reports delivered to the TSM's fraud feed: ${reports.delivered.length}`);
        for (const refused of reports.refused) console.log(`payment report ${refused.counter} REFUSED by the TSM (${refused.code}, dropped)`);
        if (reports.pending > 0) console.log(`payment reports still pending: ${reports.pending}`);
        const applications = await opened.update(client, (card, agentOptions) => runCardAgent(card, agentOptions));
        for (const application of applications.installed) console.log(`installed ${application.name} ${application.version} (${application.instanceAid}): the App SE verified the TSM's signature`);
        for (const refused of applications.failed) console.log(`REFUSED ${refused.packageAid}: ${refused.code} (nothing installed)`);
        if (applications.installed.length === 0 && applications.failed.length === 0) console.log('applications up to date');
        const credentials = await opened.receiveCredentials(client);
        for (const stored of credentials.stored) console.log(`credential stored in slot ${stored.slot} (package counter ${stored.counter}, TSM signature and counter checked by the Crypto SE)`);
        for (const refused of credentials.refused) console.log(`credential package ${refused.counter} REFUSED by the Crypto SE (${refused.sw})`);
        if (credentials.stored.length === 0 && credentials.refused.length === 0) console.log('no new credentials');
      } finally {
        client.close();
        opened.close();
      }
    });

  withTsm(device.command('unblock-pin <dir>').description('unblock a blocked PIN through the TSM, after the bank approved it (POST /v1/devices/{id}/pin-unblock-approvals): GET CHALLENGE, the TSM signs it, UNBLOCK PIN')
    .option('--new-pin <digits>', 'a new PIN, 4-12 digits (typed on the modelled keypad); without it the old PIN gets its tries back', digits))
    .action(async (dir: string, options: TsmOptions & { newPin?: string }) => {
      const opened = open(dir, options);
      const client = tsmClient(options);
      try {
        const pin = await opened.unblockPIN(client, options.newPin);
        console.log(`PIN unblocked: the Crypto SE checked the TSM's signature over its challenge; tries left ${pin.triesLeft}`);
        if (options.newPin !== undefined) console.log('new PIN set (it reached the Crypto SE sealed by the keypad)');
      } finally {
        client.close();
        opened.close();
      }
    });

  withDevice(device.command('key-in <dir>').description('key in a known card number on the secure keypad (after registration; Luhn-checked by the Crypto SE)')
    .requiredOption('--slot <n>', 'credential slot 1-4', (value) => Number(digits(value)))
    .requiredOption('--pan <digits>', 'card number', digits)
    .requiredOption('--expiry <yymm>', 'expiry YYMM', digits)
    .option('--cvv <digits>', 'CVV', digits))
    .action((dir: string, options: CommonOptions & { slot: number; pan: string; expiry: string; cvv?: string }) => {
      const opened = open(dir, options);
      try {
        opened.keyInCardNumber(options.slot, { pan: options.pan, expiry: options.expiry, ...(options.cvv === undefined ? {} : { cvv: options.cvv }) });
        console.log(`card number stored in slot ${options.slot}`);
      } finally {
        opened.close();
      }
    });

  withDevice(device.command('publish-app').description('TSM operator: sign an App SE application (DAP) and put it in the device catalogue')
    .requiredOption('--load-file <path>', 'a Tessera load file (docs/load-file-format.md)')
    .requiredOption('--module <aid>', 'the module to instantiate (hex)')
    .option('--instance <aid>', 'the instance AID on the App SE (hex)', PAYMENT_APPLICATION_AID)
    .option('--name <name>', 'the application\'s name', 'Tessera Pay')
    .option('--install-parameters <hex>', 'application-specific install parameters (C9 value), e.g. the payment application\'s DF01 slot and DF02 key id')
    .option('--database-url <url>', 'the TSM\'s PostgreSQL (or DATABASE_URL); default the embedded database in <data>'))
    .action(async (options: CommonOptions & { loadFile: string; module: string; instance: string; name: string; installParameters?: string; databaseUrl?: string }) => {
      const key = loadOrCreateApplicationSigningKey(join(tsmHome(dataDirOf(options)), 'pki'));
      const published = await withTsmDatabase(options, (context) => publishApplication(context, key, {
        name: options.name, loadFile: new Uint8Array(readFileSync(options.loadFile)), moduleAid: options.module, instanceAid: options.instance,
        ...(options.installParameters === undefined ? {} : { installParameters: fromHex(options.installParameters) }),
      }));
      console.log(`published ${published.name} ${published.version}: package ${published.packageAid}, instance ${published.instanceAid}, DAP by TSM key ${published.signingKeyId}`);
    });

  withDevice(device.command('status <dir>').description('each step: finger, PIN, registration (certificate), applications, credentials (masked)')
    .option('--json', 'one JSON object'))
    .action((dir: string, options: CommonOptions & { json?: boolean }) => {
      const opened = open(dir, options);
      try {
        const status = opened.status();
        console.log(options.json === true ? JSON.stringify(status) : formatDeviceStatus(status));
      } finally {
        opened.close();
      }
    });
}
