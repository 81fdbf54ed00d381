import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import { createGatewayPki, startGateway, type GatewayDatabase, type GatewayPki, type RunningGateway } from '../gateway/client.js';
import { migrate } from '../infra/db/index.js';
import { createLogger } from '../infra/log/index.js';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { createESMEAccount, SMSC_SCHEMA, smscMigrations, type SmscDatabase } from '../smsc/client.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { hostPortOption, portOption } from './options.js';

/** The gateway's SMS short code (its ESME's address at the SMSC). */
export const GATEWAY_SMS_FROM = '95500';
const GATEWAY_SYSTEM_ID = 'gateway';
const SECRET_KEY_BYTES = 32;
/** Random bytes of the gateway's SMPP password: 8 hex characters, the most SMPP 3.4 §4.1.1 allows (9 octets with the NUL). */
const SMPP_PASSWORD_BYTES = 4;

/** Writes a file only if it does not exist yet, readable by its owner only. */
function createPrivateFile(path: string, content: string | Uint8Array): void {
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      if (typeof content === 'string') writeSync(fd, content);
      else writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new TesseraError('ERR_GATEWAY_SECRET_FILE', `${path} must be readable by its owner only (chmod 600)`);
}

/**
 * The gateway's CA and server certificate (`<data>/gateway/pki.json`) and its secret key
 * (`<data>/gateway/secret.key`: authorization-code HMAC and webhook-secret sealing), made on the
 * first start and kept, so merchants' certificates stay valid across restarts.
 */
async function loadOrCreateGatewaySecrets(home: string, random: RandomSource): Promise<{ pki: GatewayPki; secretKey: Uint8Array; smppPassword: string }> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const pkiFile = join(home, 'pki.json');
  if (!existsSync(pkiFile)) {
    const pki = await createGatewayPki({ now: new Date(), random, hosts: ['localhost', '127.0.0.1'] });
    createPrivateFile(pkiFile, `${JSON.stringify(pki, null, 2)}\n`);
  }
  const keyFile = join(home, 'secret.key');
  createPrivateFile(keyFile, random.bytes(SECRET_KEY_BYTES));
  const secretKey = new Uint8Array(readFileSync(keyFile));
  if (secretKey.length !== SECRET_KEY_BYTES) throw new TesseraError('ERR_GATEWAY_SECRET_FILE', `${keyFile} must hold ${SECRET_KEY_BYTES} bytes`);
  // The ESME password is kept too: every instance sharing this directory binds with the same one,
  // so one instance starting does not lock out another's reconnect (docs/operations.md "Scaling out").
  const passwordFile = join(home, 'smpp.password');
  createPrivateFile(passwordFile, toHex(random.bytes(SMPP_PASSWORD_BYTES)));
  const smppPassword = readFileSync(passwordFile, 'utf8').trim();
  return { pki: JSON.parse(readFileSync(pkiFile, 'utf8')) as GatewayPki, secretKey, smppPassword };
}

export interface GatewayServiceOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly partnerPort: number;
  readonly publicPort: number;
  readonly gatewayDb: Kysely<GatewayDatabase>;
  readonly smscDb: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly smsc: { readonly host: string; readonly smppPort: number };
  readonly acquirer: { readonly host: string; readonly port: number };
}

/** Starts the gateway with its ESME account at the SMSC and its kept secrets (`<data>/gateway`, shared by every instance). */
export async function startGatewayService(options: GatewayServiceOptions): Promise<{ gateway: RunningGateway; pki: GatewayPki }> {
  const { pki, secretKey, smppPassword: password } = await loadOrCreateGatewaySecrets(join(options.dataDir, 'gateway'), options.random);
  await createESMEAccount(options.smscDb, { systemId: GATEWAY_SYSTEM_ID, password, addresses: [GATEWAY_SMS_FROM], replace: true }, options.random);
  const gateway = await startGateway({ host: options.host, partnerPort: options.partnerPort, publicPort: options.publicPort, smsFrom: GATEWAY_SMS_FROM }, {
    db: options.gatewayDb, random: options.random, now: Date.now, logger: options.logger, secretKey, pki,
    smpp: { host: options.smsc.host, port: options.smsc.smppPort, systemId: GATEWAY_SYSTEM_ID, password },
    acquirer: { host: options.acquirer.host, port: options.acquirer.port, dialect: 'bcd' },
  });
  return { gateway, pki };
}

/** `tessera serve gateway`: the online payment gateway alone, against a running SMSC and acquirer. */
export function addServeGatewayCommand(serve: Command): void {
  serve.command('gateway').description('the online payment gateway: partner API (mutual TLS) and hosted checkout (docs/gateway.md)')
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR): the gateway's CA and secret key live in <data>/gateway`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database (or DATABASE_URL)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'partner API port (mutual TLS)', portOption, 8443)
    .option('--checkout-port <port>', 'hosted checkout port', portOption, 8444)
    .option('--smsc <host:port>', 'the SMSC\'s SMPP address', hostPortOption, { host: '127.0.0.1', port: 2775 })
    .option('--acquirer <host:port>', 'the acquirer\'s ISO 8583 address', hostPortOption, { host: '127.0.0.1', port: 8584 })
    .action(async (options: { data?: string; databaseUrl?: string; host: string; port: number; checkoutPort: number; smsc: { host: string; port: number }; acquirer: { host: string; port: number } }) => {
      const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
      const handle = await openPlatformDatabase<GatewayDatabase & SmscDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
      await migrate(handle.db, SMSC_SCHEMA, smscMigrations);
      const { gateway } = await startGatewayService({
        dataDir, host: options.host, partnerPort: options.port, publicPort: options.checkoutPort, random: createSystemRandomSource(),
        logger: createLogger({ level: 'info', name: 'gateway' }), gatewayDb: handle.db as unknown as Kysely<GatewayDatabase>,
        smscDb: handle.db as unknown as Kysely<SmscDatabase>, smsc: { host: options.smsc.host, smppPort: options.smsc.port }, acquirer: options.acquirer,
      });
      const stop = (): void => {
        void gateway.stop().then(() => handle.close()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      console.log(`gateway partner API: ${gateway.partnerUrl} (mutual TLS; OpenAPI at ${gateway.partnerUrl}/docs)`);
      console.log(`gateway hosted checkout: ${gateway.publicUrl}`);
    });
}
