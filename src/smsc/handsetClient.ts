import { TesseraError } from '../lib/errors.js';
import { connectFramed, type FramedConnection } from '../infra/net/index.js';
import { smscError, SmscErrorCode } from './errors.js';
import { encodeHandsetFrame, parseHandsetEvent, type HandsetEvent, type HandsetRequest } from './handsetProtocol.js';
import { SmscLimits } from './limits.js';

/** A message a handset received. */
export interface HandsetMessage {
  readonly id: string;
  readonly from: string;
  readonly text: string;
  readonly parts: number;
  readonly submittedAt: string;
}

export interface HandsetClientOptions {
  readonly host: string;
  readonly port: number;
  readonly msisdn: string;
  readonly secret: string;
  /** Acknowledge every delivered message at once (a phone that stores everything). Default true. */
  readonly autoAck?: boolean;
  /** Called for each new message (a redelivery of one already seen is acknowledged, not repeated). */
  readonly onMessage?: (message: HandsetMessage) => void;
}

export interface HandsetClient {
  readonly msisdn: string;
  /** The next message received (queued ones first); fails after `timeoutMs`. */
  nextMessage(timeoutMs?: number): Promise<HandsetMessage>;
  /** Sends a mobile-originated message; resolves with the SMSC's message id. */
  submit(to: string, text: string): Promise<string>;
  ack(id: string): Promise<void>;
  reject(id: string, reason?: string): Promise<void>;
  /** Detaches politely and closes. */
  detach(): Promise<void>;
  /** Drops the connection (a phone losing coverage). */
  destroy(): void;
  readonly closed: Promise<void>;
}

const NEXT_MESSAGE_TIMEOUT_MS_DEFAULT = 10_000;
/** Ids remembered to spot redeliveries (delivery is at least once). */
const SEEN_IDS_MAX = 1_000;

/**
 * A handset (or a device's SMS modem) speaking the SMSC's handset protocol (docs/smsc.md). Used by
 * tests, by `tessera up` for simulated phones, and by the device when it has a modem.
 */
export async function connectHandset(options: HandsetClientOptions): Promise<HandsetClient> {
  const connection = await connectFramed({ host: options.host, port: options.port, payloadBytesMax: SmscLimits.HANDSET_FRAME_BYTES_MAX });
  const send = (request: HandsetRequest) => connection.send(encodeHandsetFrame(request));
  await send({ type: 'attach', msisdn: options.msisdn, secret: options.secret });
  const answer = await receiveEvent(connection);
  if (answer?.type !== 'attached') {
    connection.destroy();
    throw smscError(SmscErrorCode.attachRefused, answer?.type === 'error' ? answer.message : 'the SMSC did not answer the attach');
  }
  const received = new ReceivedMessages(options.onMessage);
  const submits = new Map<string, { resolve(id: string): void; reject(error: unknown): void }>();
  let nextRef = 0;

  void (async () => {
    let failure: Error | undefined;
    try {
      for (;;) {
        const event = await receiveEvent(connection);
        if (event === undefined) break;
        if (event.type === 'deliver') {
          const { type: _type, ...message } = event;
          if (options.autoAck ?? true) await send({ type: 'ack', id: message.id });
          received.add(message);
        } else if (event.type === 'submitted' || (event.type === 'error' && event.ref !== undefined)) {
          const pending = submits.get(event.ref ?? '');
          submits.delete(event.ref ?? '');
          if (event.type === 'submitted') pending?.resolve(event.id);
          else pending?.reject(new TesseraError(event.code, event.message));
        }
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    failure ??= smscError(SmscErrorCode.deliveryFailed, 'the handset connection closed');
    received.fail(failure);
    for (const pending of submits.values()) pending.reject(failure);
    submits.clear();
  })();

  return {
    msisdn: options.msisdn,
    nextMessage: (timeoutMs = NEXT_MESSAGE_TIMEOUT_MS_DEFAULT) => received.next(timeoutMs),
    submit(to, text) {
      const ref = String(++nextRef);
      return new Promise((resolve, reject) => {
        submits.set(ref, { resolve, reject });
        send({ type: 'submit', ref, to, text }).catch((error: unknown) => {
          submits.delete(ref);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      });
    },
    ack: (id) => send({ type: 'ack', id }),
    reject: (id, reason) => send({ type: 'reject', id, ...(reason === undefined ? {} : { reason }) }),
    async detach() {
      await send({ type: 'detach' }).catch(() => undefined);
      await connection.close();
    },
    destroy: () => connection.destroy(),
    closed: connection.closed,
  };
}

async function receiveEvent(connection: FramedConnection): Promise<HandsetEvent | undefined> {
  const frame = await connection.receive();
  return frame === undefined ? undefined : parseHandsetEvent(frame);
}

/** Messages received and not yet taken, the callers waiting for one, and the ids seen (redeliveries). */
class ReceivedMessages {
  private readonly queue: HandsetMessage[] = [];
  private readonly waiters: ((message: HandsetMessage | Error) => void)[] = [];
  private readonly seen = new Set<string>();
  private failure: Error | undefined;

  constructor(private readonly onMessage: ((message: HandsetMessage) => void) | undefined) {}

  add(message: HandsetMessage): void {
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    if (this.seen.size > SEEN_IDS_MAX) this.seen.delete(this.seen.values().next().value ?? '');
    this.onMessage?.(message);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(message);
    else this.queue.push(message);
  }

  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter(error);
  }

  next(timeoutMs: number): Promise<HandsetMessage> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = (message: HandsetMessage | Error) => {
        clearTimeout(timer);
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(smscError(SmscErrorCode.deliveryFailed, `no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
