import { once } from 'node:events';
import smpp, { type PDU, type Session } from 'smpp';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { createLogger } from '../../src/infra/log/index.js';
import { startSMSC, type RunningSMSC, type SmscDatabase } from '../../src/smsc/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

export const START_MS = Date.parse('2026-11-21T12:00:00.000Z');

export interface TestSMSC {
  readonly db: TestDatabase<SmscDatabase>;
  readonly smsc: RunningSMSC;
  readonly clock: { nowMs: number };
  close(): Promise<void>;
}

/** An SMSC on 127.0.0.1, ephemeral ports, a pinned clock the test moves, short timeouts. */
export async function startTestSMSC(options: { deliveryAttemptsMax?: number } = {}): Promise<TestSMSC> {
  const db = await openTestDatabase<SmscDatabase>();
  const clock = { nowMs: START_MS };
  const smsc = await startSMSC({
    host: '127.0.0.1', smppPort: 0, handsetPort: 0, workerIntervalMs: 100, handsetAckTimeoutMs: 300, deliverSmTimeoutMs: 1_000,
    ...(options.deliveryAttemptsMax === undefined ? {} : { deliveryAttemptsMax: options.deliveryAttemptsMax }),
  }, { db: db.db, random: createSystemRandomSource(), now: () => clock.nowMs, logger: createLogger({ level: (process.env['SMSC_TEST_LOG'] ?? 'silent') as 'silent' }) });
  return {
    db, smsc, clock,
    async close() {
      await smsc.stop();
      await db.close();
    },
  };
}

/** An ESME built on the independent `smpp` package: connects and collects every deliver_sm (answering ESME_ROK). */
export interface TestESME {
  readonly session: Session;
  readonly delivered: PDU[];
  request(command: string, fields: Record<string, unknown>): Promise<PDU>;
  nextDeliver(predicate?: (pdu: PDU) => boolean, timeoutMs?: number): Promise<PDU>;
  close(): Promise<void>;
}

export async function connectESME(port: number): Promise<TestESME> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  session.on('error', () => undefined);
  let closed = false;
  session.on('close', () => { closed = true; });
  await once(session, 'connect');
  const delivered: PDU[] = [];
  session.on('deliver_sm', (pdu: PDU) => {
    delivered.push(pdu);
    session.send(pdu.response());
  });
  return {
    session,
    delivered,
    request(command, fields) {
      return new Promise((resolve) => {
        session.send(new smpp.PDU(command, fields), resolve);
      });
    },
    async nextDeliver(predicate = () => true, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = delivered.findIndex(predicate);
        if (index >= 0) return delivered.splice(index, 1)[0] as PDU;
        if (Date.now() > deadline) throw new Error('no matching deliver_sm in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      return closed ? Promise.resolve() : new Promise<void>((resolve) => session.destroy(() => resolve()));
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
