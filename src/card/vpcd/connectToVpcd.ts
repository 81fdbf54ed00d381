import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { TesseraError } from '../../lib/errors.js';
import { statusWordToHex } from '../../lib/status-words.js';
import type { Logger } from '../../infra/log/index.js';
import type { SmartCard } from '../types.js';
import {
  VPCD_CONNECT_ATTEMPTS_MAX,
  VPCD_CONNECT_TIMEOUT_MS,
  VPCD_KEEPALIVE_DELAY_MS,
  VPCD_RECONNECT_DELAY_MS_MAX,
  VPCD_RECONNECT_DELAY_MS_MIN,
  VPCD_SEND_QUEUE_BYTES_MAX,
} from './constants.js';
import { VpcdErrorCode } from './errors.js';
import { VpcdFrameDecoder, encodeVpcdFrame } from './frame.js';
import { handleVpcdMessage } from './handleVpcdMessage.js';
import type { VpcdMessageOutcome } from './handleVpcdMessage.js';

/** The part of the platform logger the bridge writes to (a pino `Logger` fits). */
export type VpcdLogger = Pick<Logger, 'trace' | 'debug' | 'info' | 'warn' | 'error'>;

export interface VpcdBridgeOptions {
  /** Host where pcscd with the vpcd driver listens. */
  readonly host: string;
  /** vpcd's port for the wanted slot (35963 for slot 0 of Debian's reader.conf, 35964 for slot 1). */
  readonly port: number;
  readonly logger?: VpcdLogger;
  /** Ceiling of the reconnect backoff; default VPCD_RECONNECT_DELAY_MS_MAX. */
  readonly reconnectDelayMsMax?: number;
  /** First reconnect delay; default VPCD_RECONNECT_DELAY_MS_MIN. */
  readonly reconnectDelayMsMin?: number;
  /** Consecutive failed attempts before giving up; default VPCD_CONNECT_ATTEMPTS_MAX. */
  readonly connectAttemptsMax?: number;
  /** Limit on one connection attempt; default VPCD_CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
}

export interface VpcdBridge {
  /**
   * Settles the first time the bridge reaches vpcd. Rejects with ERR_CARD_VPCD_UNREACHABLE when it
   * gives up first, or ERR_CARD_VPCD_STOPPED when stopped first.
   */
  readonly connected: Promise<void>;
  /**
   * Settles when the bridge has ended: resolves after `stop()`, rejects with
   * ERR_CARD_VPCD_UNREACHABLE when it gave up reconnecting.
   */
  readonly closed: Promise<void>;
  /** True while a TCP connection to vpcd is open (the card is "in the reader"). */
  isConnected(): boolean;
  /** Closes the connection (the card leaves the reader, losing power) and stops reconnecting. */
  stop(): Promise<void>;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Marked handled so a caller who never awaits one of them gets no unhandled rejection; a caller
  // who does await still sees the rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const silentLogger: VpcdLogger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Puts `card` into the virtual reader of a running pcscd: connects out to the vsmartcard `vpcd`
 * driver over TCP (vpcd listens; the card is the client, as VirtualSmartcard.py is) and serves its
 * commands until stopped. When vpcd is not there yet or the connection drops, the bridge retries
 * with exponential backoff (bounded delay, bounded consecutive attempts).
 *
 * Closing the connection is what removing a card from a reader is: the card is powered off
 * (sessions and logical channels end) and pcscd reports the reader empty.
 */
export function connectToVpcd(card: SmartCard, options: VpcdBridgeOptions): VpcdBridge {
  const delayMsMin = options.reconnectDelayMsMin ?? VPCD_RECONNECT_DELAY_MS_MIN;
  const delayMsMax = options.reconnectDelayMsMax ?? VPCD_RECONNECT_DELAY_MS_MAX;
  const attemptsMax = options.connectAttemptsMax ?? VPCD_CONNECT_ATTEMPTS_MAX;
  const connectTimeoutMs = options.connectTimeoutMs ?? VPCD_CONNECT_TIMEOUT_MS;
  // Options come from code or validated config (parseVpcdAddress for the CLI): programmer errors.
  assert.ok(options.host.length > 0, 'host must not be empty');
  assert.ok(Number.isInteger(options.port), 'port must be an integer');
  assert.ok(options.port >= 1 && options.port <= 0xffff, 'port must be in 1..65535');
  assert.ok(Number.isInteger(delayMsMin), 'reconnectDelayMsMin must be an integer');
  assert.ok(delayMsMin >= 1, 'reconnectDelayMsMin must be positive');
  assert.ok(Number.isInteger(delayMsMax), 'reconnectDelayMsMax must be an integer');
  assert.ok(delayMsMax >= delayMsMin, 'reconnectDelayMsMax must be at least reconnectDelayMsMin');
  assert.ok(Number.isInteger(attemptsMax), 'connectAttemptsMax must be an integer');
  assert.ok(attemptsMax >= 1, 'connectAttemptsMax must be positive');
  assert.ok(Number.isInteger(connectTimeoutMs), 'connectTimeoutMs must be an integer');
  assert.ok(connectTimeoutMs >= 1, 'connectTimeoutMs must be positive');

  const logger = options.logger ?? silentLogger;
  const address = { host: options.host, port: options.port };
  const connected = deferred();
  const closed = deferred();
  let stopped = false;
  let socket: Socket | undefined;
  let socketOpen = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  let delayMs = delayMsMin;

  function attempt(): void {
    reconnectTimer = undefined;
    if (stopped) return;
    const current = connect({ host: options.host, port: options.port });
    socket = current;
    let lastError: unknown;
    // Whether vpcd has said anything on this connection: only then does it count as a success
    // that resets the backoff, so a peer that accepts and hangs up at once still backs off.
    const link = { heard: false };
    const connectTimer = setTimeout(() => current.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    current.on('connect', () => {
      clearTimeout(connectTimer);
      socketOpen = true;
      current.setNoDelay(true);
      current.setKeepAlive(true, VPCD_KEEPALIVE_DELAY_MS);
      logger.info({ vpcd: address }, 'card inserted into the vpcd reader');
      serve(current, link);
      connected.resolve();
    });
    current.on('error', (error) => {
      lastError = error;
    });
    current.on('close', () => {
      clearTimeout(connectTimer);
      if (socket === current) socket = undefined;
      const wasOpen = socketOpen;
      socketOpen = false;
      if (wasOpen) removeCard(lastError);
      if (!link.heard) failedAttempts += 1;
      scheduleNext(link.heard, lastError);
    });
  }

  function serve(current: Socket, link: { heard: boolean }): void {
    const decoder = new VpcdFrameDecoder();
    current.on('data', (chunk: Buffer) => {
      if (!link.heard) {
        link.heard = true;
        failedAttempts = 0;
        delayMs = delayMsMin;
      }
      let messages: Uint8Array[];
      try {
        messages = decoder.push(chunk);
      } catch (error) {
        logger.warn({ vpcd: address, err: error }, 'vpcd sent a malformed frame; dropping the connection');
        current.destroy();
        return;
      }
      for (const message of messages) {
        if (current.destroyed) return;
        let answer: Uint8Array | undefined;
        try {
          const outcome = handleVpcdMessage(card, message);
          logOutcome(message, outcome);
          if (outcome.kind === 'apdu' || outcome.kind === 'getATR') answer = encodeVpcdFrame(outcome.response);
        } catch (error) {
          // Only a broken card runtime gets here (power control threw, or an ATR too long to
          // frame): a card that misbehaves like that is as good as pulled from the reader.
          logger.error({ vpcd: address, err: error }, 'the card failed a power or ATR request; removing it');
          current.destroy();
          return;
        }
        if (answer === undefined) continue;
        current.write(answer);
        if (current.writableLength > VPCD_SEND_QUEUE_BYTES_MAX) {
          logger.warn({ vpcd: address, queuedBytes: current.writableLength }, 'vpcd is not reading its answers; dropping the connection');
          current.destroy();
          return;
        }
      }
    });
  }

  function logOutcome(message: Uint8Array, outcome: VpcdMessageOutcome): void {
    switch (outcome.kind) {
      case 'getATR':
        // pcscd polls card presence with get ATR several times a second.
        logger.trace({ vpcd: address }, 'vpcd get ATR');
        return;
      case 'powerOff':
      case 'powerOn':
      case 'reset':
        logger.debug({ vpcd: address, control: outcome.kind }, 'vpcd power control');
        return;
      case 'ignored':
        logger.warn({ vpcd: address, reason: outcome.reason }, 'vpcd message ignored');
        return;
      case 'apdu': {
        // Header and status word only: command data may carry a PIN or key material.
        const sw = outcome.response.length >= 2 ? statusWordToHex(((outcome.response.at(-2) as number) << 8) | (outcome.response.at(-1) as number)) : undefined;
        const fields = {
          vpcd: address,
          ins: (message[1] ?? 0).toString(16).toUpperCase().padStart(2, '0'),
          commandBytes: message.length,
          responseBytes: outcome.response.length,
          sw,
        };
        if (outcome.failure === undefined) logger.debug(fields, 'APDU');
        else logger.error({ ...fields, failure: outcome.failure, err: outcome.error }, 'the card failed an APDU; answered 6F00');
        return;
      }
      default: {
        const unexpected: never = outcome;
        throw new Error(`unhandled outcome ${String(unexpected)}`);
      }
    }
  }

  function removeCard(cause: unknown): void {
    logger.info({ vpcd: address, cause: cause instanceof Error ? cause.message : undefined }, 'card removed from the vpcd reader');
    try {
      card.powerOff();
    } catch (error) {
      logger.error({ err: error }, 'the card failed to power off');
    }
  }

  function scheduleNext(wasServing: boolean, lastError: unknown): void {
    if (stopped) {
      closed.resolve();
      return;
    }
    if (failedAttempts >= attemptsMax) {
      stopped = true;
      const error = new TesseraError(VpcdErrorCode.unreachable, `vpcd at ${options.host}:${options.port} unreachable after ${failedAttempts} attempts`, {
        cause: lastError,
      });
      logger.error({ vpcd: address, attempts: failedAttempts }, 'giving up on vpcd');
      connected.reject(error);
      closed.reject(error);
      return;
    }
    // After a working link drops, come back at once (pcscd restarted, or the link blinked); after
    // a failed attempt, back off exponentially up to the ceiling.
    const waitMs = wasServing ? delayMsMin : delayMs;
    if (!wasServing) {
      logger.debug({ vpcd: address, attempt: failedAttempts, waitMs, cause: lastError instanceof Error ? lastError.message : undefined }, 'vpcd not reachable yet');
      delayMs = Math.min(delayMs * 2, delayMsMax);
    }
    reconnectTimer = setTimeout(attempt, waitMs);
  }

  async function stop(): Promise<void> {
    if (!stopped) {
      stopped = true;
      connected.reject(new TesseraError(VpcdErrorCode.stopped, 'the vpcd bridge was stopped'));
      if (reconnectTimer !== undefined) {
        clearTimeout(reconnectTimer);
        reconnectTimer = undefined;
      }
      if (socket === undefined) closed.resolve();
      else socket.destroy();
    }
    // After giving up, `closed` is rejected; stopping then is still a clean, successful stop.
    await closed.promise.catch(() => undefined);
  }

  attempt();
  return {
    connected: connected.promise,
    closed: closed.promise,
    isConnected: () => socketOpen,
    stop,
  };
}
