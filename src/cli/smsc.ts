import type { Command } from 'commander';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { createLogger } from '../infra/log/index.js';
import { startSMSC, type SmscDatabase } from '../smsc/client.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { portOption } from './options.js';

/** `tessera serve smsc`: the SMS center alone (SMPP for applications, the handset protocol for phones). */
export function addServeSMSCCommand(serve: Command): void {
  serve.command('smsc').description('the SMS center: SMPP 3.4 for applications and the handset protocol for phones (docs/smsc.md)')
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database (or DATABASE_URL)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--smpp-port <port>', 'SMPP port', portOption, 2775)
    .option('--handset-port <port>', 'handset port', portOption, 2776)
    .action(async (options: { data?: string; databaseUrl?: string; host: string; smppPort: number; handsetPort: number }) => {
      const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
      const handle = await openPlatformDatabase<SmscDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
      const smsc = await startSMSC({ host: options.host, smppPort: options.smppPort, handsetPort: options.handsetPort }, {
        db: handle.db, random: createSystemRandomSource(), now: Date.now, logger: createLogger({ level: 'info', name: 'smsc' }),
      });
      const stop = (): void => {
        void smsc.stop().then(() => handle.close()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      console.log(`SMSC SMPP 3.4: ${smsc.host}:${smsc.smppPort}`);
      console.log(`SMSC handsets: ${smsc.host}:${smsc.handsetPort}`);
    });
}
