import { Command } from 'commander';
import { isTesseraError } from '../lib/errors.js';
import { addServeBankCommand, registerBankCommands } from './bank.js';
import { buildCardCommand } from './card.js';
import { registerDemoCommand } from './demo.js';
import { registerDeviceCommands } from './device.js';
import { registerEMVCommands } from './emv.js';
import { registerGatewayCommands } from './gateway.js';
import { addServeGatewayCommand } from './gatewayService.js';
import { registerISO8583Commands } from './iso8583.js';
import { registerPhoneCommands } from './phone.js';
import { registerPOSCommands } from './pos.js';
import { addServeSMSCCommand } from './smsc.js';
import { buildServeCommand, buildTsmCommand } from './tsm.js';
import { formatPlatform, loadUpConfig, startPlatform, type UpConfig } from './up.js';
import { TESSERA_VERSION } from './version.js';
import { portOption } from './options.js';

interface UpOptions {
  data?: string;
  databaseUrl?: string;
  host?: string;
  consolePort?: number;
  tsmPort?: number;
  tsmOtaPort?: number;
  issuerPort?: number;
  acquirerPort?: number;
  smppPort?: number;
  handsetPort?: number;
  gatewayPort?: number;
  checkoutPort?: number;
  demo?: boolean;
  config?: string;
  json?: boolean;
}

async function up(options: UpOptions): Promise<void> {
  const overrides: Partial<UpConfig> = {
    ...(options.data === undefined ? {} : { dataDir: options.data }),
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.consolePort === undefined ? {} : { consolePort: options.consolePort }),
    ...(options.tsmPort === undefined ? {} : { tsmPort: options.tsmPort }),
    ...(options.tsmOtaPort === undefined ? {} : { tsmOtaPort: options.tsmOtaPort }),
    ...(options.issuerPort === undefined ? {} : { issuerPort: options.issuerPort }),
    ...(options.acquirerPort === undefined ? {} : { acquirerPort: options.acquirerPort }),
    ...(options.smppPort === undefined ? {} : { smppPort: options.smppPort }),
    ...(options.handsetPort === undefined ? {} : { handsetPort: options.handsetPort }),
    ...(options.gatewayPort === undefined ? {} : { gatewayPort: options.gatewayPort }),
    ...(options.checkoutPort === undefined ? {} : { checkoutPort: options.checkoutPort }),
    ...(options.demo === false ? { demo: false } : {}),
  };
  const config = loadUpConfig(process.env, overrides, options.config);
  const platform = await startPlatform(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (options.json !== true) console.log(`\n${signal}: stopping…`);
    platform.stop().then(() => process.exit(0), (error: unknown) => {
      console.error('stop failed:', error);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Printed only once the signal handlers are in place: a script that reads this line may stop us at once.
  if (options.json === true) {
    console.log(JSON.stringify({ version: TESSERA_VERSION, database: platform.database, start: platform.start, services: platform.services, demo: platform.demo ?? null }));
  } else {
    console.log(formatPlatform(platform));
  }
}

export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera: an open secure mobile-payment platform')
    .version(TESSERA_VERSION)
    .showHelpAfterError();

  program.command('up')
    .description('run every service that exists in one process on the embedded database (or --database-url), until Ctrl-C')
    .option('--data <dir>', 'data directory for the embedded database, keys and logs (default ./.tessera)')
    .option('--database-url <url>', 'use this PostgreSQL server instead of the embedded database (or DATABASE_URL)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--console-port <port>', 'console port (default 8080; 0 picks a free one)', portOption)
    .option('--tsm-port <port>', 'TSM SP-TSM API port (default 9443)', portOption)
    .option('--tsm-ota-port <port>', 'TSM OTA endpoint port (default 9444)', portOption)
    .option('--issuer-port <port>', 'issuer ISO 8583 port (default 8583)', portOption)
    .option('--acquirer-port <port>', 'acquirer ISO 8583 port (default 8584)', portOption)
    .option('--smpp-port <port>', 'SMSC SMPP port (default 2775)', portOption)
    .option('--handset-port <port>', 'SMSC handset port (default 2776)', portOption)
    .option('--gateway-port <port>', 'gateway partner API port, mutual TLS (default 8443)', portOption)
    .option('--checkout-port <port>', 'gateway hosted checkout and demo shop port (default 8444)', portOption)
    .option('--no-demo', 'do not set up the demo bank, merchant, customer and phone on the first start')
    .option('--config <file>', 'JSON file of settings')
    .option('--json', 'print what runs where as one JSON line')
    .action(up);

  program.addCommand(buildCardCommand());
  program.addCommand(buildTsmCommand());
  const serve = buildServeCommand();
  addServeBankCommand(serve);
  addServeSMSCCommand(serve);
  addServeGatewayCommand(serve);
  program.addCommand(serve);
  registerBankCommands(program);
  registerDeviceCommands(program);
  registerPhoneCommands(program);
  registerPOSCommands(program);
  registerDemoCommand(program);
  registerGatewayCommands(program);
  registerEMVCommands(program);
  registerISO8583Commands(program);

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (isTesseraError(error)) {
    console.error(`tessera: ${error.message} (${error.code})`);
  } else {
    console.error('tessera: unexpected failure:', error);
  }
  process.exit(1);
}
