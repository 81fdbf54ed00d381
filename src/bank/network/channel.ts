import assert from 'node:assert/strict';
import { TesseraError, isTesseraError } from '../../lib/errors.js';
import {
  buildEchoRequest, buildResponse, decodeISO8583, encodeISO8583, formatTransmissionDateTime, NetworkManagementCode, parseMTI,
  responseMTI, type ISO8583Dialect, type ISO8583Message,
} from '../../lib/iso8583/index.js';
import { connectFramed, createFramedServer, type FramedConnection, type FramedServer } from '../../infra/net/index.js';

/**
 * ISO 8583 over TCP (docs/iso8583.md "Network"): every message is one frame with a 2-byte
 * big-endian length header (src/infra/net). A client may have many requests in flight on one
 * connection; answers come back in any order and are matched on response MTI + STAN (field 11)
 * + terminal id (field 41). A request unanswered in time is reversed: an 0100/0200 timeout sends
 * an 0400 with field 90 (original data elements) and retries it until an 0410 comes back or the
 * attempts run out. 0800/0810 network management (echo, sign-on) is answered by the server itself.
 */

export const ISO8583_REQUEST_TIMEOUT_MS = 10_000;
export const ISO8583_REVERSAL_ATTEMPTS_MAX = 3;
export const ISO8583_IN_FLIGHT_MAX = 1_000;
/** Requests one server connection works on at once; further frames wait (TCP backpressure). */
export const ISO8583_SERVER_CONCURRENCY_MAX = 64;

export const ISO8583ChannelErrorCode = {
  timeout: 'ERR_ISO8583_TIMEOUT',
  closed: 'ERR_ISO8583_CHANNEL_CLOSED',
  busy: 'ERR_ISO8583_CHANNEL_BUSY',
  duplicate: 'ERR_ISO8583_DUPLICATE_REQUEST',
} as const;

function channelError(code: string, message: string, cause?: unknown): TesseraError {
  return new TesseraError(code, message, cause === undefined ? {} : { cause });
}

function text(message: ISO8583Message, field: number): string {
  const value = message.fields.get(field);
  return typeof value === 'string' ? value : '';
}

/** The key an answer is matched on: its MTI, STAN and terminal id. */
function matchKey(mti: string, message: ISO8583Message): string {
  return `${mti}|${text(message, 11)}|${text(message, 41)}`;
}

/** Fields of a financial request that an 0400 reversal repeats (ISO 8583:1987 §4.3.6). */
const REVERSAL_COPIED_FIELDS = [2, 3, 4, 7, 11, 12, 13, 14, 18, 22, 23, 32, 37, 41, 42, 43, 49, 55];

/**
 * The 0400 for an unanswered request: same STAN and terminal, and field 90 original data elements
 * = original MTI (4) ‖ STAN (6) ‖ transmission date and time (10) ‖ acquirer id (11, zeros) ‖
 * forwarding id (11, zeros).
 */
export function buildReversal(original: ISO8583Message): ISO8583Message {
  const fields = new Map<number, string | Uint8Array>();
  for (const field of REVERSAL_COPIED_FIELDS) {
    const value = original.fields.get(field);
    if (value !== undefined) fields.set(field, value);
  }
  const originalData = `${original.mti}${text(original, 11).padStart(6, '0')}${text(original, 7).padStart(10, '0')}${'0'.repeat(22)}`;
  fields.set(90, originalData);
  return { mti: '0400', fields };
}

interface Pending {
  readonly resolve: (message: ISO8583Message) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface ISO8583ClientOptions {
  readonly host: string;
  readonly port: number;
  readonly dialect: ISO8583Dialect;
  readonly requestTimeoutMs?: number;
  readonly now?: () => Date;
  /** Told about reversals that were never acknowledged (for logs and reconciliation). */
  readonly onReversalFailed?: (reversal: ISO8583Message, error: unknown) => void;
  /** The last STAN this sender used (a terminal keeps it across runs); the next is one more. */
  readonly lastSTAN?: number;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  /** Reverse a financial request that times out (default true for 01xx and 02xx requests). */
  readonly reverseOnTimeout?: boolean;
}

/** One connection to an ISO 8583 host, with requests matched to answers and timeouts reversed. */
export class ISO8583Client {
  readonly #connection: FramedConnection;
  readonly #dialect: ISO8583Dialect;
  readonly #pending = new Map<string, Pending>();
  readonly #options: ISO8583ClientOptions;
  readonly #reading: Promise<void>;
  #stan = 0;

  private constructor(connection: FramedConnection, options: ISO8583ClientOptions) {
    this.#connection = connection;
    this.#dialect = options.dialect;
    this.#options = options;
    this.#stan = (options.lastSTAN ?? 0) % 999_999;
    this.#reading = this.#read();
  }

  static async connect(options: ISO8583ClientOptions): Promise<ISO8583Client> {
    return new ISO8583Client(await connectFramed({ host: options.host, port: options.port }), options);
  }

  async #read(): Promise<void> {
    let failure: unknown;
    try {
      for await (const frame of this.#connection) {
        let message: ISO8583Message;
        try {
          message = decodeISO8583(frame, this.#dialect);
        } catch {
          continue; // an undecodable answer cannot be matched; its request will time out and be reversed
        }
        const key = matchKey(message.mti, message);
        const pending = this.#pending.get(key);
        if (pending === undefined) continue; // a late answer to a request we already gave up on
        this.#pending.delete(key);
        clearTimeout(pending.timer);
        pending.resolve(message);
      }
    } catch (error) {
      failure = error;
    }
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(channelError(ISO8583ChannelErrorCode.closed, 'the ISO 8583 connection closed before the answer', failure));
    }
    this.#pending.clear();
  }

  /** The next system trace audit number (field 11), 000001-999999, cycling. */
  nextSTAN(): string {
    this.#stan = (this.#stan % 999_999) + 1;
    return String(this.#stan).padStart(6, '0');
  }

  #exchange(message: ISO8583Message, timeoutMs: number): Promise<ISO8583Message> {
    const key = matchKey(responseMTI(message.mti), message);
    if (this.#pending.has(key)) return Promise.reject(channelError(ISO8583ChannelErrorCode.duplicate, `a request with STAN ${text(message, 11)} is already in flight`));
    if (this.#pending.size >= ISO8583_IN_FLIGHT_MAX) return Promise.reject(channelError(ISO8583ChannelErrorCode.busy, 'too many requests in flight'));
    const encoded = encodeISO8583(message, this.#dialect);
    return new Promise<ISO8583Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(channelError(ISO8583ChannelErrorCode.timeout, `no answer to ${message.mti} STAN ${text(message, 11)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(key, { resolve, reject, timer });
      this.#connection.send(encoded).catch((error: unknown) => {
        if (this.#pending.get(key)?.timer !== timer) return;
        this.#pending.delete(key);
        clearTimeout(timer);
        reject(channelError(ISO8583ChannelErrorCode.closed, 'the request could not be sent', error));
      });
    });
  }

  /**
   * Sends a request and waits for its answer. A financial request (01xx/02xx) that times out is
   * reversed before the timeout error reaches the caller, so the caller never has to wonder
   * whether funds are held.
   */
  async request(message: ISO8583Message, options: RequestOptions = {}): Promise<ISO8583Message> {
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? ISO8583_REQUEST_TIMEOUT_MS;
    const parts = parseMTI(message.mti);
    const financial = parts.messageClass === '1' || parts.messageClass === '2';
    try {
      return await this.#exchange(message, timeoutMs);
    } catch (error) {
      if (isTesseraError(error) && error.code === ISO8583ChannelErrorCode.timeout && financial && options.reverseOnTimeout !== false) {
        await this.reverse(message, timeoutMs);
      }
      throw error;
    }
  }

  /** Sends the 0400 for `original` until an 0410 answers (at most ISO8583_REVERSAL_ATTEMPTS_MAX times). */
  async reverse(original: ISO8583Message, timeoutMs = this.#options.requestTimeoutMs ?? ISO8583_REQUEST_TIMEOUT_MS): Promise<ISO8583Message | undefined> {
    const reversal = buildReversal(original);
    let lastError: unknown;
    for (let attempt = 1; attempt <= ISO8583_REVERSAL_ATTEMPTS_MAX; attempt++) {
      try {
        // A repeat is the same 0400 marked as a repeat: 0401 (ISO 8583:1987 message function "repeat").
        return await this.#exchange(attempt === 1 ? reversal : { ...reversal, mti: '0401' }, timeoutMs);
      } catch (error) {
        lastError = error;
        if (!isTesseraError(error) || error.code !== ISO8583ChannelErrorCode.timeout) break;
      }
    }
    this.#options.onReversalFailed?.(reversal, lastError);
    return undefined;
  }

  /** 0800 echo test; resolves with the 0810's response code. */
  async echo(timeoutMs?: number): Promise<string> {
    const request = buildEchoRequest(this.nextSTAN(), (this.#options.now ?? (() => new Date()))());
    const answer = await this.#exchange(request, timeoutMs ?? this.#options.requestTimeoutMs ?? ISO8583_REQUEST_TIMEOUT_MS);
    return text(answer, 39);
  }

  async close(): Promise<void> {
    await this.#connection.close();
    await this.#reading;
  }
}

export interface ISO8583ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dialect: ISO8583Dialect;
  /** Answers one request (never 08xx: the server answers those). Throwing answers '96' (system malfunction). */
  readonly handle: (request: ISO8583Message) => Promise<ISO8583Message>;
  readonly onError?: (error: unknown) => void;
}

export interface ISO8583Server {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function systemMalfunction(request: ISO8583Message): ISO8583Message | undefined {
  try {
    return buildResponse(request, { responseCode: '96' });
  } catch {
    return undefined;
  }
}

/** Answers requests on every connection, several at a time, each answer sent when it is ready. */
export async function startISO8583Server(options: ISO8583ServerOptions): Promise<ISO8583Server> {
  const answer = async (connection: FramedConnection, request: ISO8583Message): Promise<void> => {
    let response: ISO8583Message | undefined;
    if (request.mti === '0800') {
      response = buildResponse(request, { responseCode: '00' });
    } else {
      try {
        response = await options.handle(request);
      } catch (error) {
        options.onError?.(error);
        response = systemMalfunction(request);
      }
    }
    if (response !== undefined && connection.isOpen) await connection.send(encodeISO8583(response, options.dialect));
  };

  const serve = async (connection: FramedConnection): Promise<void> => {
    const working = new Set<Promise<void>>();
    for await (const frame of connection) {
      let request: ISO8583Message;
      try {
        request = decodeISO8583(frame, options.dialect);
        parseMTI(request.mti);
      } catch (error) {
        // Nothing to answer: without a decodable MTI, STAN and terminal the sender could not match it.
        options.onError?.(error);
        continue;
      }
      const job = answer(connection, request).catch((error: unknown) => options.onError?.(error));
      working.add(job);
      void job.finally(() => working.delete(job));
      if (working.size >= ISO8583_SERVER_CONCURRENCY_MAX) await Promise.race(working);
    }
    await Promise.all(working);
  };

  const server: FramedServer = await createFramedServer({
    host: options.host,
    port: options.port,
    onConnection: (connection) => {
      serve(connection).catch((error: unknown) => options.onError?.(error));
    },
  });
  return { host: server.host, port: server.port, close: () => server.close() };
}

/** Field 7 for a request made now. */
export function transmissionDateTime(now: Date): string {
  assert.ok(!Number.isNaN(now.getTime()), 'a valid date');
  return formatTransmissionDateTime(now);
}

export { NetworkManagementCode };
