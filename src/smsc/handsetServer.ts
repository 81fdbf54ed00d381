import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { isTesseraError } from '../lib/errors.js';
import { createFramedServer, type FramedConnection, type FramedServer } from '../infra/net/index.js';
import type { Logger } from '../infra/log/index.js';
import { checkHandsetSecret, normalizeMSISDN } from './accounts.js';
import type { HandsetDelivery, HandsetDirectory } from './delivery.js';
import { smscError, SmscErrorCode } from './errors.js';
import { encodeHandsetFrame, parseHandsetRequest, type HandsetEvent } from './handsetProtocol.js';
import { SmscLimits } from './limits.js';
import type { SmscDatabase } from './schema.js';
import { alertReachable } from './store.js';
import { acceptText } from './submit.js';

export interface HandsetServerContext {
  readonly db: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  readonly ackTimeoutMs: number;
  readonly onWork: () => void;
}

interface AwaitedAck {
  readonly id: string;
  resolve(outcome: 'ack' | 'rejected'): void;
  reject(error: unknown): void;
  readonly timer: NodeJS.Timeout;
}

/** One attached phone. Deliveries to it go one at a time: the engine awaits each acknowledgement. */
class HandsetSession {
  msisdn: string | undefined;
  private awaited: AwaitedAck | undefined;

  constructor(readonly connection: FramedConnection, private readonly context: HandsetServerContext, private readonly server: HandsetServer) {}

  async run(): Promise<void> {
    try {
      for await (const frame of this.connection) {
        const request = parseHandsetRequest(frame);
        if (this.msisdn === undefined && request.type !== 'attach') throw smscError(SmscErrorCode.handsetProtocol, 'attach first');
        switch (request.type) {
          case 'attach': {
            if (this.msisdn !== undefined) throw smscError(SmscErrorCode.handsetProtocol, 'already attached');
            const msisdn = normalizeMSISDN(request.msisdn);
            if (msisdn === undefined || !(await checkHandsetSecret(this.context.db, msisdn, request.secret))) {
              await this.send({ type: 'error', code: SmscErrorCode.attachRefused, message: 'unknown MSISDN or wrong secret' });
              await this.connection.close();
              return;
            }
            this.msisdn = msisdn;
            await this.context.db.updateTable('smsc.handsets').set({ last_attached_at: new Date(this.context.now()) }).where('msisdn', '=', msisdn).execute();
            await alertReachable(this.context.db, 'handset', msisdn, this.context.now());
            // `attached` goes out before the engine can see this handset, so it is always the first frame.
            await this.send({ type: 'attached', msisdn });
            this.server.attach(this);
            this.context.onWork();
            break;
          }
          case 'ping':
            await this.send({ type: 'pong' });
            break;
          case 'detach':
            await this.send({ type: 'detached' });
            await this.connection.close();
            return;
          case 'ack':
          case 'reject':
            this.settle(request.id, request.type === 'ack' ? 'ack' : 'rejected');
            break;
          case 'submit':
            await this.submit(request.ref, request.to, request.text);
            break;
        }
      }
    } catch (error) {
      const code = isTesseraError(error) && error.code === SmscErrorCode.handsetProtocol ? error.code : undefined;
      if (code !== undefined && this.connection.isOpen) {
        await this.send({ type: 'error', code, message: error instanceof Error ? error.message : 'protocol error' }).catch(() => undefined);
      } else if (code === undefined && !isTesseraError(error)) {
        this.context.logger.error({ err: error }, 'handset session failed');
      }
      await this.connection.close();
    } finally {
      this.detached();
    }
  }

  private async submit(ref: string, to: string, text: string): Promise<void> {
    if (this.msisdn === undefined) throw smscError(SmscErrorCode.handsetProtocol, 'attach first');
    try {
      const { messageId } = await acceptText(this.context, { from: this.msisdn, to, text });
      await this.send({ type: 'submitted', ref, id: messageId });
      this.context.onWork();
    } catch (error) {
      if (!isTesseraError(error) || !error.code.startsWith('ERR_SMS')) throw error;
      await this.send({ type: 'error', ref, code: error.code, message: error.message });
    }
  }

  private send(event: HandsetEvent): Promise<void> {
    return this.connection.send(encodeHandsetFrame(event));
  }

  deliver(delivery: HandsetDelivery): Promise<'ack' | 'rejected'> {
    if (this.awaited !== undefined) return Promise.reject(smscError(SmscErrorCode.deliveryFailed, 'a delivery to this handset is in progress'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.awaited = undefined;
        reject(smscError(SmscErrorCode.deliveryFailed, 'the handset did not acknowledge in time'));
      }, this.context.ackTimeoutMs);
      this.awaited = { id: delivery.id, resolve, reject, timer };
      this.send({ type: 'deliver', ...delivery }).catch((error: unknown) => this.fail(error));
    });
  }

  private settle(id: string, outcome: 'ack' | 'rejected'): void {
    const awaited = this.awaited;
    // An ack for something else (a late one after a timeout) is harmless: delivery is at least once.
    if (awaited?.id !== id) return;
    this.awaited = undefined;
    clearTimeout(awaited.timer);
    awaited.resolve(outcome);
  }

  private fail(error: unknown): void {
    const awaited = this.awaited;
    if (awaited === undefined) return;
    this.awaited = undefined;
    clearTimeout(awaited.timer);
    awaited.reject(error);
  }

  private detached(): void {
    this.fail(smscError(SmscErrorCode.deliveryFailed, 'the handset detached'));
    this.server.detach(this);
  }
}

/** Accepts handset connections; the directory of handsets attached to this instance. */
export class HandsetServer implements HandsetDirectory {
  private readonly byMSISDN = new Map<string, HandsetSession>();
  private server: FramedServer | undefined;

  constructor(private readonly context: HandsetServerContext) {}

  async listen(host: string, port: number): Promise<number> {
    this.server = await createFramedServer({
      host, port, payloadBytesMax: SmscLimits.HANDSET_FRAME_BYTES_MAX, idleTimeoutMs: SmscLimits.IDLE_TIMEOUT_MS,
      onConnection: (connection) => {
        void new HandsetSession(connection, this.context, this).run();
      },
    });
    return this.server.port;
  }

  /** A second attach of one MSISDN replaces the first (the phone reconnected). */
  attach(session: HandsetSession): void {
    if (session.msisdn === undefined) return;
    const previous = this.byMSISDN.get(session.msisdn);
    this.byMSISDN.set(session.msisdn, session);
    if (previous !== undefined && previous !== session) previous.connection.destroy();
  }

  detach(session: HandsetSession): void {
    if (session.msisdn !== undefined && this.byMSISDN.get(session.msisdn) === session) this.byMSISDN.delete(session.msisdn);
  }

  attached(): readonly string[] {
    return [...this.byMSISDN.keys()];
  }

  deliver(msisdn: string, delivery: HandsetDelivery): Promise<'ack' | 'rejected'> {
    const session = this.byMSISDN.get(msisdn);
    if (session === undefined) return Promise.reject(smscError(SmscErrorCode.deliveryFailed, 'the handset is not attached'));
    return session.deliver(delivery);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
