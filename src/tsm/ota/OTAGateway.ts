import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../lib/errors.js';
import {
  ADMIN_AGENT_ID_PATTERN, badFormatOf, decodeResponseScript, encodeCommandScript, type ResponseScript,
} from '../../lib/ram/index.js';
import type { CardLink, CardLinkProvider } from '../types.js';
import { checkBatchAnswer } from './checkBatchAnswer.js';
import { OTAErrorCode } from './errors.js';

/** How long an agent's POST waits for a batch before it is answered 204 No Content (long poll). */
export const OTA_POLL_WAIT_MS = 20_000;
/** How long a batch may take from `exchange` to the agent's answer, delivery included. */
export const OTA_EXCHANGE_TIMEOUT_MS = 60_000;
/** An agent seen this recently counts as connected even between two polls. */
export const OTA_AGENT_PRESENCE_MS = 5_000;
/** A card with nothing pending and no request for this long is forgotten. */
export const OTA_CARD_IDLE_MS = 120_000;
/** Most cards tracked at once: the gateway's memory stays flat however many cards come and go. */
export const OTA_CARDS_MAX = 100_000;
/** Most `linkFor` callers waiting for one card at once. */
export const OTA_LINK_WAITERS_MAX = 64;
/** How often idle cards are swept out. */
export const OTA_SWEEP_INTERVAL_MS = 30_000;
/** Batch ids travel in X-Admin-Next-URI; the route accepts only this shape. */
export const OTA_BATCH_ID_PATTERN = '^[0-9A-Za-z_-]{1,64}$';

const CIN_PATTERN = new RegExp(ADMIN_AGENT_ID_PATTERN);

/** Where the gateway logs: a pino logger fits. */
export interface OTALogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

const SILENT_LOGGER: OTALogger = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** What the gateway reports about every finished batch, for the TSM to record (audit, statistics). */
export interface OTAExchangeRecord {
  readonly cin: string;
  /** The carrier label the gateway was built with: the OTA route the TSM chose for this card's MNO. */
  readonly carrier: string;
  readonly batchId: string;
  readonly commandCount: number;
  /** Responses received; 0 when the batch failed. */
  readonly responseCount: number;
  readonly outcome: 'completed' | 'failed';
  /** The TesseraError code when the batch failed. */
  readonly errorCode?: string;
  readonly durationMs: number;
}

export interface OTAGatewayOptions {
  /** Label of the OTA carrier this gateway stands for (e.g. `mno-a-https`); recorded with every exchange. */
  readonly carrier: string;
  readonly logger?: OTALogger;
  readonly pollWaitMs?: number;
  readonly exchangeTimeoutMs?: number;
  readonly presenceMs?: number;
  readonly idleMs?: number;
  readonly cardsMax?: number;
  readonly now?: () => number;
  /** Called once per finished batch, completed or failed. Must not throw. */
  readonly onExchange?: (record: OTAExchangeRecord) => void;
}

/** A link to one card through its admin agent. */
export interface OTACardLink extends CardLink {
  readonly cin: string;
  readonly carrier: string;
}

/** One POST of an admin agent, as the route hands it over. */
export interface AgentRequest {
  /** X-Admin-From: the card's CIN, hex. */
  readonly cin: string;
  /** The response script to the previous batch; empty or absent on a session's first POST. */
  readonly body: Uint8Array | undefined;
  /** The batch id from the X-Admin-Next-URI the agent followed, if any. */
  readonly batchId: string | undefined;
  /** Aborted when the agent's connection closes before it is answered. */
  readonly signal: AbortSignal;
}

export type AgentAnswer =
  | { readonly kind: 'script'; readonly script: Uint8Array; readonly batchId: string }
  | { readonly kind: 'none' };

interface Batch {
  readonly id: string;
  readonly commandCount: number;
  readonly script: Uint8Array;
  readonly queuedAtMs: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (responses: Uint8Array[]) => void;
  readonly reject: (error: TesseraError) => void;
  delivered: boolean;
}

interface Poll {
  readonly timer: NodeJS.Timeout;
  readonly answer: (answer: AgentAnswer) => void;
}

interface LinkWaiter {
  readonly timer: NodeJS.Timeout;
  readonly settle: (present: boolean) => void;
}

interface CardSession {
  readonly cin: string;
  /** When the agent last made a request; 0 when it never has. */
  lastSeenMs: number;
  poll: Poll | undefined;
  batch: Batch | undefined;
  readonly waiters: Set<LinkWaiter>;
}

function normalizeCIN(cin: string): string {
  if (typeof cin !== 'string' || !CIN_PATTERN.test(cin)) {
    throw new TesseraError(OTAErrorCode.cinInvalid, 'a CIN is 1 to 32 bytes written as hex digits', { httpStatus: 400 });
  }
  return cin.toUpperCase();
}

/**
 * The TSM's end of RAM over HTTP (GlobalPlatform Amendment B): cards' admin agents poll it, and
 * the TSM reaches a card through `linkFor(cin).exchange(commands)`. One batch per card at a
 * time; every wait is bounded; idle cards are forgotten. Transport-agnostic: registerOTARoutes
 * puts it on HTTP. docs/ota.md describes the protocol and the security model.
 */
export class OTAGateway implements CardLinkProvider {
  readonly carrier: string;
  private readonly logger: OTALogger;
  private readonly pollWaitMs: number;
  private readonly exchangeTimeoutMs: number;
  private readonly presenceMs: number;
  private readonly idleMs: number;
  private readonly cardsMax: number;
  private readonly now: () => number;
  private readonly onExchange: ((record: OTAExchangeRecord) => void) | undefined;
  /** In order of last activity, oldest first (re-inserted on every request). */
  private readonly cards = new Map<string, CardSession>();
  private readonly batchIdPrefix = randomBytes(6).toString('base64url');
  private batchSequence = 0;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: OTAGatewayOptions) {
    assert.ok(/^[\x21-\x7e]{1,64}$/.test(options.carrier), 'the carrier label is 1 to 64 printable ASCII characters');
    this.carrier = options.carrier;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.pollWaitMs = options.pollWaitMs ?? OTA_POLL_WAIT_MS;
    this.exchangeTimeoutMs = options.exchangeTimeoutMs ?? OTA_EXCHANGE_TIMEOUT_MS;
    this.presenceMs = options.presenceMs ?? OTA_AGENT_PRESENCE_MS;
    this.idleMs = options.idleMs ?? OTA_CARD_IDLE_MS;
    this.cardsMax = options.cardsMax ?? OTA_CARDS_MAX;
    this.now = options.now ?? Date.now;
    this.onExchange = options.onExchange;
    for (const [name, value] of Object.entries({ pollWaitMs: this.pollWaitMs, exchangeTimeoutMs: this.exchangeTimeoutMs, idleMs: this.idleMs })) {
      assert.ok(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer`);
    }
    assert.ok(Number.isSafeInteger(this.presenceMs) && this.presenceMs >= 0, 'presenceMs must be a non-negative integer');
    assert.ok(Number.isSafeInteger(this.cardsMax) && this.cardsMax > 0, 'cardsMax must be a positive integer');
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(OTA_SWEEP_INTERVAL_MS, this.idleMs));
    this.sweepTimer.unref();
  }

  /** How many cards the gateway tracks now (for tests and metrics). */
  get trackedCards(): number {
    return this.cards.size;
  }

  /**
   * The link to the card with this CIN once its agent is polling, or undefined if it does not
   * connect within `waitMs`. A link does not hold the card: each exchange finds it again.
   */
  async linkFor(cin: string, waitMs: number): Promise<OTACardLink | undefined> {
    const expectedCIN = normalizeCIN(cin);
    assert.ok(Number.isSafeInteger(waitMs) && waitMs >= 0, 'waitMs must be a non-negative integer');
    if (this.closed) return undefined;
    const existing = this.cards.get(expectedCIN);
    if (existing !== undefined && this.isPresent(existing)) return this.linkTo(expectedCIN);
    if (waitMs === 0) return undefined;
    const card = existing ?? this.admitCard(expectedCIN);
    if (card.waiters.size >= OTA_LINK_WAITERS_MAX) {
      throw new TesseraError(OTAErrorCode.capacity, `more than ${OTA_LINK_WAITERS_MAX} callers wait for card ${expectedCIN}`, { httpStatus: 503 });
    }
    const present = await new Promise<boolean>((resolve) => {
      const waiter: LinkWaiter = {
        timer: setTimeout(() => waiter.settle(false), waitMs),
        settle: (value) => {
          clearTimeout(waiter.timer);
          card.waiters.delete(waiter);
          resolve(value);
        },
      };
      card.waiters.add(waiter);
    });
    return present ? this.linkTo(expectedCIN) : undefined;
  }

  /**
   * Handles one agent POST: settles the batch its body answers (or fails the batch it abandoned),
   * then answers with the next batch, or parks the request until one arrives or `pollWaitMs`
   * passes. Throws TesseraErrors for the route to map (400 malformed, 503 closed or full).
   */
  async handleAgentRequest(request: AgentRequest): Promise<AgentAnswer> {
    if (this.closed) throw new TesseraError(OTAErrorCode.gatewayClosed, 'the OTA gateway is shutting down', { httpStatus: 503 });
    const cin = normalizeCIN(request.cin);
    const card = this.cards.get(cin) ?? this.admitCard(cin);
    if (!this.isPresent(card)) this.logger.info({ cin, carrier: this.carrier }, 'admin agent connected');
    this.markSeen(card);

    if (request.body !== undefined && request.body.length > 0) {
      this.settleFromBody(card, request.body, request.batchId);
    } else if (card.batch?.delivered === true) {
      this.finishBatch(card, new TesseraError(
        OTAErrorCode.sessionRestarted,
        `the agent of card ${cin} began a new admin session before answering batch ${card.batch.id}; its commands may have run partly or not at all`,
        { httpStatus: 502 },
      ));
    }

    // An older request of the same card is still parked (the agent restarted, or a second agent
    // claims this CIN): only the newest one is served.
    card.poll?.answer({ kind: 'none' });
    for (const waiter of [...card.waiters]) waiter.settle(true);
    if (card.batch !== undefined && !card.batch.delivered) return this.deliver(card);
    return this.park(card, request.signal);
  }

  /** Answers every parked request 204, fails every pending batch and wait; the gateway then refuses work. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const card of this.cards.values()) {
      card.poll?.answer({ kind: 'none' });
      for (const waiter of [...card.waiters]) waiter.settle(false);
      if (card.batch !== undefined) {
        this.finishBatch(card, new TesseraError(OTAErrorCode.gatewayClosed, 'the OTA gateway shut down before the card answered', { httpStatus: 503 }));
      }
    }
    this.cards.clear();
  }

  private linkTo(cin: string): OTACardLink {
    return { cin, carrier: this.carrier, exchange: (commands) => this.exchange(cin, commands) };
  }

  private isPresent(card: CardSession): boolean {
    if (card.poll !== undefined || card.batch?.delivered === true) return true;
    return card.lastSeenMs > 0 && this.now() - card.lastSeenMs <= this.presenceMs;
  }

  private markSeen(card: CardSession): void {
    card.lastSeenMs = this.now();
    // Re-insert so that iteration order stays "least recently active first".
    this.cards.delete(card.cin);
    this.cards.set(card.cin, card);
  }

  private async exchange(cin: string, commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (this.closed) throw new TesseraError(OTAErrorCode.gatewayClosed, 'the OTA gateway is shutting down', { httpStatus: 503 });
    // Refuses more than RAM_SCRIPT_COMMANDS_MAX commands or RAM_SCRIPT_BYTES_MAX bytes (ERR_RAM_LIMIT).
    const script = encodeCommandScript(commands);
    if (commands.length === 0) return [];
    const card = this.cards.get(cin) ?? this.admitCard(cin);
    if (card.batch !== undefined) {
      throw new TesseraError(OTAErrorCode.cardBusy, `card ${cin} already has batch ${card.batch.id} in flight; send one batch at a time`, { httpStatus: 409 });
    }
    return new Promise<Uint8Array[]>((resolve, reject) => {
      const batch: Batch = {
        id: `${this.batchIdPrefix}-${++this.batchSequence}`,
        commandCount: commands.length,
        script,
        queuedAtMs: this.now(),
        timer: setTimeout(() => this.finishBatch(card, new TesseraError(
          OTAErrorCode.cardUnreachable,
          `card ${cin} did not answer within ${this.exchangeTimeoutMs} ms (carrier ${this.carrier})`,
          { httpStatus: 504 },
        )), this.exchangeTimeoutMs),
        resolve,
        reject,
        delivered: false,
      };
      card.batch = batch;
      this.logger.debug({ cin, carrier: this.carrier, batchId: batch.id, commandCount: batch.commandCount }, 'batch queued');
      card.poll?.answer(this.deliver(card));
    });
  }

  private deliver(card: CardSession): AgentAnswer {
    const batch = card.batch;
    assert.ok(batch !== undefined && !batch.delivered, 'deliver needs an undelivered batch');
    batch.delivered = true;
    this.logger.debug({ cin: card.cin, batchId: batch.id }, 'batch delivered');
    return { kind: 'script', script: batch.script, batchId: batch.id };
  }

  private park(card: CardSession, signal: AbortSignal): Promise<AgentAnswer> {
    return new Promise<AgentAnswer>((resolve) => {
      const onAbort = (): void => {
        if (card.poll !== poll) return;
        // The agent hung up while waiting: it is gone until it polls again.
        clearTimeout(poll.timer);
        card.poll = undefined;
        card.lastSeenMs = this.now();
        resolve({ kind: 'none' });
      };
      const poll: Poll = {
        timer: setTimeout(() => poll.answer({ kind: 'none' }), this.pollWaitMs),
        answer: (answer) => {
          clearTimeout(poll.timer);
          signal.removeEventListener('abort', onAbort);
          if (card.poll === poll) card.poll = undefined;
          card.lastSeenMs = this.now();
          resolve(answer);
        },
      };
      card.poll = poll;
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private settleFromBody(card: CardSession, body: Uint8Array, batchId: string | undefined): void {
    const batch = card.batch;
    const answersBatch = batch !== undefined && batch.delivered && batch.id === batchId;
    let received: ResponseScript;
    try {
      received = decodeResponseScript(body);
    } catch (error) {
      const failure = new TesseraError(OTAErrorCode.scriptMalformed, 'the request body is not a well-formed Response Scripting template', {
        httpStatus: 400,
        cause: error,
        details: { badFormat: badFormatOf(error), offset: error instanceof TesseraError ? error.details?.['offset'] : undefined },
      });
      if (answersBatch) this.finishBatch(card, new TesseraError(OTAErrorCode.responseInvalid, `the agent of card ${card.cin} answered with a malformed response script`, { httpStatus: 502, cause: error }));
      throw failure;
    }
    if (!answersBatch) {
      // A late answer to a batch that already timed out, or a replay: nothing waits for it.
      this.logger.warn({ cin: card.cin, batchId: batchId ?? null }, 'response script for no batch in flight; ignored');
      return;
    }
    try {
      this.finishBatch(card, checkBatchAnswer(batch.commandCount, received));
    } catch (error) {
      assert.ok(error instanceof TesseraError, 'checkBatchAnswer throws TesseraErrors');
      this.finishBatch(card, error);
    }
  }

  private finishBatch(card: CardSession, outcome: Uint8Array[] | TesseraError): void {
    const batch = card.batch;
    assert.ok(batch !== undefined, 'finishBatch needs a batch');
    clearTimeout(batch.timer);
    card.batch = undefined;
    const failed = outcome instanceof TesseraError;
    const record: OTAExchangeRecord = {
      cin: card.cin,
      carrier: this.carrier,
      batchId: batch.id,
      commandCount: batch.commandCount,
      responseCount: failed ? 0 : outcome.length,
      outcome: failed ? 'failed' : 'completed',
      ...(failed ? { errorCode: outcome.code } : {}),
      durationMs: this.now() - batch.queuedAtMs,
    };
    if (failed) this.logger.warn({ ...record, reason: outcome.message }, 'batch failed');
    else this.logger.info({ ...record }, 'batch completed');
    this.onExchange?.(record);
    if (failed) batch.reject(outcome);
    else batch.resolve(outcome);
  }

  /** A new card entry, making room by forgetting the least recently active idle card if the table is full. */
  private admitCard(cin: string): CardSession {
    if (this.cards.size >= this.cardsMax) this.sweep();
    if (this.cards.size >= this.cardsMax) {
      const evictable = this.findEvictable();
      if (evictable === undefined) {
        throw new TesseraError(OTAErrorCode.capacity, `the OTA gateway tracks its maximum of ${this.cardsMax} busy cards`, { httpStatus: 503 });
      }
      this.cards.delete(evictable.cin);
    }
    const card: CardSession = { cin, lastSeenMs: 0, poll: undefined, batch: undefined, waiters: new Set() };
    this.cards.set(cin, card);
    return card;
  }

  private findEvictable(): CardSession | undefined {
    for (const card of this.cards.values()) if (this.isIdle(card)) return card;
    return undefined;
  }

  private isIdle(card: CardSession): boolean {
    return card.poll === undefined && card.batch === undefined && card.waiters.size === 0;
  }

  private sweep(): void {
    const now = this.now();
    for (const card of this.cards.values()) {
      if (this.isIdle(card) && now - card.lastSeenMs > this.idleMs) this.cards.delete(card.cin);
    }
  }
}
