import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { migrate } from '../infra/db/index.js';
import type { Logger } from '../infra/log/index.js';
import { DeliveryEngine } from './delivery.js';
import { HandsetServer } from './handsetServer.js';
import { listInbox, type InboxEntry } from './inbox.js';
import { SmscLimits } from './limits.js';
import { SMSC_SCHEMA, smscMigrations, type SmscDatabase } from './schema.js';
import { SMPPServer } from './smppServer.js';
import { acceptText, type TextMessage } from './submit.js';

export interface SMSCConfig {
  readonly host: string;
  /** SMPP 3.4 for applications (ESMEs); 0 picks a free port (the IANA port is 2775). */
  readonly smppPort: number;
  /** The handset protocol (docs/smsc.md); 0 picks a free port. */
  readonly handsetPort: number;
  /** system_id in bind responses. Default "TESSERA". */
  readonly systemId?: string;
  readonly workerIntervalMs?: number;
  readonly handsetAckTimeoutMs?: number;
  readonly deliverSmTimeoutMs?: number;
  readonly deliveryAttemptsMax?: number;
}

export interface SMSCDeps {
  readonly db: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface RunningSMSC {
  readonly host: string;
  readonly smppPort: number;
  readonly handsetPort: number;
  /** In-process submit (no SMPP): to the handset with that MSISDN, or to the ESME owning `to`. */
  sendSMS(message: TextMessage): Promise<{ messageId: string }>;
  listInbox(msisdn: string, options?: { limit?: number }): Promise<InboxEntry[]>;
  /** One store-and-forward round now (tests pin the clock, then call this). */
  runWorkerOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the SMS center: migrations, the SMPP server, the handset server and the delivery engine.
 * State lives in the database; attached handsets and bound ESMEs are per instance, and each
 * instance delivers to the ones connected to it.
 */
export async function startSMSC(config: SMSCConfig, deps: SMSCDeps): Promise<RunningSMSC> {
  await migrate(deps.db, SMSC_SCHEMA, smscMigrations);
  // The servers tell the engine about new work; the engine needs the servers: a late-bound reference.
  const wiring: { engine: DeliveryEngine | undefined } = { engine: undefined };
  const onWork = () => wiring.engine?.kick();
  const smppServer = new SMPPServer({
    db: deps.db, random: deps.random, now: deps.now, logger: deps.logger, systemId: config.systemId ?? 'TESSERA',
    deliverTimeoutMs: config.deliverSmTimeoutMs ?? SmscLimits.DELIVER_SM_RESPONSE_TIMEOUT_MS, onWork,
  });
  const handsetServer = new HandsetServer({
    db: deps.db, random: deps.random, now: deps.now, logger: deps.logger, ackTimeoutMs: config.handsetAckTimeoutMs ?? SmscLimits.HANDSET_ACK_TIMEOUT_MS, onWork,
  });
  const running = new DeliveryEngine({
    db: deps.db, random: deps.random, now: deps.now, logger: deps.logger, attemptsMax: config.deliveryAttemptsMax ?? SmscLimits.DELIVERY_ATTEMPTS_MAX,
  }, handsetServer, smppServer);
  wiring.engine = running;
  let smppPort: number;
  let handsetPort: number;
  try {
    smppPort = await smppServer.listen(config.host, config.smppPort);
    handsetPort = await handsetServer.listen(config.host, config.handsetPort);
  } catch (error) {
    await smppServer.close();
    throw error;
  }
  running.start(config.workerIntervalMs ?? SmscLimits.WORKER_INTERVAL_MS);
  deps.logger.info({ smppPort, handsetPort }, 'SMSC listening');
  return {
    host: config.host,
    smppPort,
    handsetPort,
    async sendSMS(message) {
      const { messageId } = await acceptText(deps, message);
      running.kick();
      return { messageId };
    },
    listInbox: (msisdn, options) => listInbox(deps.db, msisdn, options),
    runWorkerOnce: () => running.runNow(),
    async stop() {
      await running.stop();
      await Promise.all([smppServer.close(), handsetServer.close()]);
    },
  };
}
