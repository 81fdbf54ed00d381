import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { fromHex } from '../lib/bytes.js';
import { migrate } from '../infra/db/index.js';
import { createLogger } from '../infra/log/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID, readCardImageFile } from '../card/client.js';
import {
  addMnoRoute, addServiceProvider, createFileKeyStore, issueSPCredential, loadOrCreateTsmPki, registerSecureElement, startTsm,
  otaPath, TSM_SCHEMA, tsmMigrations, type SecurityDomainRole, type TsmContext, type TsmDatabase,
} from '../tsm/client.js';
import { defaultCardDeviceKeyFile, DATA_DIR_DEFAULT, loadCardDeviceKey } from './cardDeviceKey.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { portOption } from './options.js';

/** Where the TSM keeps its key-encryption key, PKI and issued SP credentials, under the data directory. */
export function tsmHome(dataDir: string): string {
  return resolve(join(dataDir, 'tsm'));
}

interface CommonOptions {
  data?: string;
  databaseUrl?: string;
}

function dataDirOf(options: CommonOptions): string {
  return options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
}

/** Opens what every TSM command needs: database (migrated), key store, PKI. */
async function openTsm(options: CommonOptions): Promise<{ context: TsmContext; pki: Awaited<ReturnType<typeof loadOrCreateTsmPki>>; close(): Promise<void>; home: string }> {
  const dataDir = dataDirOf(options);
  const home = tsmHome(dataDir);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const random = createSystemRandomSource();
  const keyStore = createFileKeyStore(join(home, 'kek.key'), { random });
  const pki = await loadOrCreateTsmPki(join(home, 'pki'), { random, now: new Date() });
  const handle = await openPlatformDatabase<TsmDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
  await migrate(handle.db, TSM_SCHEMA, tsmMigrations);
  const context: TsmContext = {
    db: handle.db, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger: createLogger({ level: 'silent' }), cardWaitMs: 0,
  };
  return { context, pki, home, close: () => handle.close() };
}

function withCommon(command: Command): Command {
  return command
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database (or DATABASE_URL)');
}

export function buildTsmCommand(): Command {
  const tsm = new Command('tsm').description('the central TSM: service providers, MNO routes, secure elements');

  withCommon(tsm.command('mno').command('add <mno>').description('add (or change) an MNO\'s OTA route')
    .requiredOption('--carrier <label>', 'the OTA carrier label its cards\' agents use'))
    .action(async (mno: string, options: CommonOptions & { carrier: string }) => {
      const opened = await openTsm(options);
      try {
        await addMnoRoute(opened.context, mno, options.carrier, 'operator');
        console.log(`MNO ${mno}: OTA carrier ${options.carrier}; its agents post to ${otaPath(options.carrier)}`);
      } finally {
        await opened.close();
      }
    });

  withCommon(tsm.command('sp').command('add <name>').description('add a service provider and issue its client certificate (mutual TLS)')
    .option('--out <dir>', 'where to write NAME.pem and NAME.key.pem (default <data>/tsm/sp)'))
    .action(async (name: string, options: CommonOptions & { out?: string }) => {
      const opened = await openTsm(options);
      try {
        const provider = await addServiceProvider(opened.context, name, 'operator');
        const credential = await issueSPCredential(opened.pki, name, { random: opened.context.random, now: new Date() });
        const out = resolve(options.out ?? join(opened.home, 'sp'));
        mkdirSync(out, { recursive: true, mode: 0o700 });
        writeFileSync(join(out, `${name}.pem`), credential.certificatePEM, { mode: 0o644 });
        writeFileSync(join(out, `${name}.key.pem`), credential.privateKeyPEM, { mode: 0o600 });
        console.log(`service provider ${name}: security domain AID ${provider.securityDomainAid} on every card it provisions`);
        console.log(`client certificate: ${join(out, `${name}.pem`)}`);
        console.log(`private key:        ${join(out, `${name}.key.pem`)} (mode 0600)`);
        console.log(`TSM root (trust it for the TSM's HTTPS certificate): ${join(opened.home, 'pki', 'root-ca.pem')}`);
      } finally {
        await opened.close();
      }
    });

  withCommon(tsm.command('se').command('add').description('register a card image\'s secure element, as its issuer would at manufacturing')
    .requiredOption('--card <file>', 'the card image')
    .requiredOption('--msi <digits>', 'the mobile subscription identifier (MSISDN)')
    .requiredOption('--mno <name>', 'the MNO (must have an OTA route)')
    .option('--device-key-file <file>', 'the card device key file (default <data>/card-device.key)')
    .option('--expires <date>', 'expiry of the secure element (ISO date)', '2031-12-31'))
    .action(async (options: CommonOptions & { card: string; msi: string; mno: string; deviceKeyFile?: string; expires: string }) => {
      const deviceKey = loadCardDeviceKey({ env: process.env, keyFile: options.deviceKeyFile ?? defaultCardDeviceKeyFile(process.env), create: false, notify: (message) => console.error(message) });
      const state = readCardImageFile(options.card, deviceKey.key);
      const opened = await openTsm(options);
      try {
        const hasCentral = state.registry.some((entry) => entry.aid === CENTRAL_SD_AID);
        // The TSM manages the central SD (on an embedded SE the ISD plays that part, seed 001 fig. 5).
        const managedAid = hasCentral ? CENTRAL_SD_AID : ISD_AID;
        const managed = state.securityDomains.find((domain) => domain.aid === managedAid);
        const keyset = managed?.keysets[0];
        const key = (id: number): Uint8Array => fromHex(keyset?.keys.find((candidate) => candidate.id === id)?.valueHex ?? '');
        const roles = new Map<string, SecurityDomainRole>([[ISD_AID, 'isd'], [MNO_SD_AID, 'mno'], [CENTRAL_SD_AID, 'central']]);
        await registerSecureElement(opened.context, {
          cin: state.cinHex, iin: state.iinHex, msi: options.msi, mno: options.mno, profile: state.profile,
          seType: state.profile.startsWith('uicc') ? 'uicc' : 'embedded', gpVersion: '2.3.1', javacardVersion: '3.0.5 (modelled)',
          certificationLevel: 'none (virtual)', masterKeyIndex: state.masterKeyIndex, expiresAt: new Date(options.expires),
          domains: state.registry.filter((entry) => roles.has(entry.aid)).map((entry) => ({
            aid: entry.aid,
            role: entry.aid === managedAid ? 'central' : roles.get(entry.aid) ?? 'isd',
            ...(entry.aid === managedAid && keyset !== undefined ? { keyset: { version: keyset.version, enc: key(1), mac: key(2), dek: key(3) } } : {}),
          })),
        }, 'operator');
        console.log(`secure element ${state.cinHex} (${state.profile}) registered for MSI ${options.msi} on ${options.mno}; the TSM manages ${managedAid}`);
      } finally {
        await opened.close();
      }
    });

  return tsm;
}

export function buildServeCommand(): Command {
  const serve = new Command('serve').description('run one service alone (scale out: several instances against one PostgreSQL)');
  withCommon(serve.command('tsm').description('the central TSM: SP-TSM API (HTTPS, mutual TLS) and OTA endpoint for card agents')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'SP-TSM API port', portOption, 9443)
    .option('--ota-port <port>', 'OTA endpoint port', portOption, 9444))
    .action(async (options: CommonOptions & { host: string; port: number; otaPort: number }) => {
      const opened = await openTsm(options);
      const tsmServer = await startTsm({ host: options.host, port: options.port, otaPort: options.otaPort }, {
        db: opened.context.db, keyStore: opened.context.keyStore, pki: opened.pki, random: opened.context.random, now: Date.now,
        logger: createLogger({ level: 'info', name: 'tsm' }),
      });
      const stop = (): void => {
        void tsmServer.stop().then(() => opened.close()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      console.log(`TSM SP-TSM API: ${tsmServer.url} (mutual TLS; OpenAPI at ${tsmServer.url}/docs)`);
      console.log(`TSM OTA endpoint: ${tsmServer.otaUrl} (agents: ${[...tsmServer.gateways.keys()].map((carrier) => `${tsmServer.otaUrl}${otaPath(carrier)}`).join(', ') || 'no MNO routes yet'})`);
      console.log(`TSM root certificate: ${join(opened.home, 'pki', 'root-ca.pem')}`);
    });
  return serve;
}
