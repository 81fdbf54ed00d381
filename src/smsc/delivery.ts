import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { concatBytes } from '../lib/bytes.js';
import { encodeGSM7, segmentText } from '../lib/sms/index.js';
import { inTransaction } from '../infra/db/index.js';
import type { Logger } from '../infra/log/index.js';
import { decodeContent } from './content.js';
import { SmscLimits } from './limits.js';
import { MESSAGE_STATE_VALUE } from './receipt.js';
import type { SmscDatabase } from './schema.js';
import { claimMessages, expireDue, finishMessages, recordFailedAttempt, toStored, type StoredMessage } from './store.js';

/** What the handset server offers the delivery engine: the handsets attached to this instance. */
export interface HandsetDirectory {
  attached(): readonly string[];
  /** Sends one deliver frame and waits for the handset's answer; throws when it does not answer. */
  deliver(msisdn: string, delivery: HandsetDelivery): Promise<'ack' | 'rejected'>;
}

export interface HandsetDelivery {
  readonly id: string;
  readonly from: string;
  readonly text: string;
  readonly parts: number;
  readonly submittedAt: string;
}

/** What the SMPP server offers: ESMEs with a receiver or transceiver session on this instance. */
export interface ESMEDirectory {
  boundReceivers(): readonly string[];
  /** Sends one deliver_sm and resolves with the command_status of its response; throws on timeout or close. */
  deliverSm(systemId: string, fields: DeliverSmFields): Promise<number>;
}

export interface DeliverSmFields {
  readonly sourceAddr: string;
  readonly destinationAddr: string;
  readonly esmClass: number;
  readonly dataCoding: number;
  readonly shortMessage: Uint8Array;
  readonly receiptedMessageId?: string;
  readonly messageState?: number;
}

export interface DeliveryContext {
  readonly db: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  readonly attemptsMax: number;
}

/** esm_class of a deliver_sm (SMPP 3.4 §5.2.12): 0x04 = SMSC delivery receipt, 0x40 = UDH present. */
const ESM_CLASS_RECEIPT = 0x04;
const ESM_CLASS_UDHI = 0x40;
const EXPIRE_BATCHES_PER_ROUND_MAX = 10;

/**
 * Store and forward: each round expires what outlived its validity, then delivers ENROUTE messages
 * whose destination is reachable from this instance (an attached handset, a bound receiver).
 * Messages for unreachable destinations simply wait; a failed attempt backs off; the round's work
 * is bounded. Concatenated parts reach a handset only together, once every part has arrived.
 */
export class DeliveryEngine {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: DeliveryContext, private readonly handsets: HandsetDirectory, private readonly esmes: ESMEDirectory) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  /** Runs a round soon (a handset attached, a receiver bound, a message arrived); rounds never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.runOnce().catch((error: unknown) => {
      this.context.logger.error({ err: error }, 'SMSC delivery round failed');
    }).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Waits for the round in progress (tests; stop). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
  }

  /** Runs one round now, after the one in progress; rounds still never overlap. */
  async runNow(): Promise<void> {
    // The check and the assignment below run in one synchronous step, so no kick slips between.
    while (this.running !== undefined) await this.running.catch(() => undefined);
    const round = this.runOnce().finally(() => {
      if (this.running === round) this.running = undefined;
    });
    this.running = round;
    await round;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.idle();
  }

  async runOnce(): Promise<void> {
    const { db, random, now } = this.context;
    // Expiry goes batch by batch; a backlog bigger than a few batches waits for the next rounds.
    for (let batch = 0; batch < EXPIRE_BATCHES_PER_ROUND_MAX && !this.stopped; batch++) {
      if ((await expireDue(db, now(), random, SmscLimits.EXPIRE_BATCH_MAX)) < SmscLimits.EXPIRE_BATCH_MAX) break;
    }
    await Promise.all([this.deliverToHandsets(), this.deliverToESMEs()]);
  }

  private async due(kind: 'handset' | 'esme', targets: readonly string[]): Promise<StoredMessage[]> {
    if (targets.length === 0) return [];
    const now = new Date(this.context.now());
    const rows = await this.context.db.selectFrom('smsc.messages').selectAll()
      .where('state', '=', 'ENROUTE').where('destination_kind', '=', kind)
      .where(kind === 'handset' ? 'destination_addr' : 'destination_system_id', 'in', [...targets])
      .where('next_attempt_at', '<=', now).where('expires_at', '>', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('submitted_at').orderBy('id').limit(SmscLimits.DELIVERY_BATCH_MAX).execute();
    return rows.map(toStored);
  }

  /** Groups due rows into deliveries: a single message, or every part of a complete concatenated one. */
  private async deliveriesOf(rows: readonly StoredMessage[]): Promise<StoredMessage[][]> {
    const units: StoredMessage[][] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.concatKey === null) {
        units.push([row]);
        continue;
      }
      if (seen.has(row.concatKey)) continue;
      seen.add(row.concatKey);
      const parts = (await this.context.db.selectFrom('smsc.messages').selectAll()
        .where('state', '=', 'ENROUTE').where('concat_key', '=', row.concatKey)
        .orderBy('concat_sequence').orderBy('submitted_at').limit(SmscLimits.DELIVERY_BATCH_MAX).execute()).map(toStored);
      const sequences = new Set(parts.map((part) => part.concatSequence));
      if (sequences.size === row.concatTotal) units.push(parts);
    }
    return units;
  }

  private async deliverToHandsets(): Promise<void> {
    const units = await this.deliveriesOf(await this.due('handset', this.handsets.attached()));
    await this.perDestination(units, (unit) => this.deliverToHandset(unit));
  }

  private async deliverToESMEs(): Promise<void> {
    const rows = await this.due('esme', this.esmes.boundReceivers());
    await this.perDestination(rows.map((row) => [row]), (unit) => this.deliverToESME(unit));
  }

  /** Destinations in parallel, each destination's deliveries in order. */
  private async perDestination(units: readonly StoredMessage[][], deliver: (unit: StoredMessage[]) => Promise<void>): Promise<void> {
    const queues = new Map<string, StoredMessage[][]>();
    for (const unit of units) {
      const first = unit[0];
      if (first === undefined) continue;
      const key = first.destinationSystemId ?? first.destinationAddr;
      queues.set(key, [...(queues.get(key) ?? []), unit]);
    }
    await Promise.all([...queues.values()].map(async (queue) => {
      for (const unit of queue) {
        if (this.stopped) return;
        await deliver(unit);
      }
    }));
  }

  private async deliverToHandset(unit: StoredMessage[]): Promise<void> {
    const { db, random, now } = this.context;
    const ids = unit.map((part) => part.id);
    if (!(await claimMessages(db, ids, now()))) return;
    // One part per sequence number (an ESME may have resent one); the rest are delivered with it.
    const parts = [...new Map(unit.map((part) => [part.concatSequence ?? 1, part])).values()].sort((a, b) => (a.concatSequence ?? 1) - (b.concatSequence ?? 1));
    const first = parts[0] ?? unit[0];
    if (first === undefined) return;
    const text = parts.every((part) => part.dataCoding === first.dataCoding)
      ? decodeContent(first.dataCoding, concatBytes(...parts.map((part) => part.payload)))
      : parts.map((part) => decodeContent(part.dataCoding, part.payload)).join('');
    const delivery: HandsetDelivery = { id: first.id, from: first.sourceAddr, text, parts: parts.length, submittedAt: first.submittedAt.toISOString() };
    let outcome: 'ack' | 'rejected';
    try {
      outcome = await this.handsets.deliver(first.destinationAddr, delivery);
    } catch (error) {
      await recordFailedAttempt(db, ids, 'handset did not acknowledge', now(), random, this.context.attemptsMax);
      this.context.logger.info({ err: error, messageId: first.id }, 'SMSC delivery to handset failed; will retry');
      return;
    }
    const doneMs = now();
    await inTransaction(db, async (trx) => {
      if (outcome === 'ack') {
        await trx.insertInto('smsc.inbox').values({
          id: delivery.id, msisdn: first.destinationAddr, source_addr: delivery.from, text, parts: parts.length,
          message_ids: JSON.stringify(ids), received_at: new Date(doneMs),
        }).onConflict((oc) => oc.column('id').doNothing()).execute();
      }
      await finishMessages(trx, ids, outcome === 'ack' ? 'DELIVERED' : 'REJECTED', outcome === 'ack' ? 'handset acknowledged' : 'handset rejected', doneMs, random);
    });
  }

  private async deliverToESME(unit: StoredMessage[]): Promise<void> {
    const { db, random, now } = this.context;
    const message = unit[0];
    if (message?.destinationSystemId === null || message === undefined) return;
    if (!(await claimMessages(db, [message.id], now()))) return;
    const requests = esmeRequests(message, random);
    let status = 0;
    try {
      for (const request of requests) {
        status = await this.esmes.deliverSm(message.destinationSystemId, request);
        if (status !== 0) break;
      }
    } catch (error) {
      await recordFailedAttempt(db, [message.id], 'ESME did not answer deliver_sm', now(), random, this.context.attemptsMax);
      this.context.logger.info({ err: error, messageId: message.id }, 'SMSC deliver_sm failed; will retry');
      return;
    }
    if (status !== 0) {
      await recordFailedAttempt(db, [message.id], `deliver_sm_resp status 0x${status.toString(16)}`, now(), random, this.context.attemptsMax);
      return;
    }
    await inTransaction(db, (trx) => finishMessages(trx, [message.id], 'DELIVERED', 'deliver_sm_resp ESME_ROK', now(), random));
  }
}

/** The deliver_sm PDUs for one message to an ESME: a receipt (esm_class 0x04), or text split into parts. */
export function esmeRequests(message: StoredMessage, random: RandomSource): DeliverSmFields[] {
  if (message.kind === 'receipt') {
    return [{
      sourceAddr: message.sourceAddr, destinationAddr: message.destinationAddr, esmClass: ESM_CLASS_RECEIPT, dataCoding: 0x00,
      shortMessage: message.payload.length > 0 ? message.payload : encodeGSM7(''),
      ...(message.receiptedMessageId === null ? {} : { receiptedMessageId: message.receiptedMessageId }),
      ...(message.receiptedState === null ? {} : { messageState: MESSAGE_STATE_VALUE[message.receiptedState] }),
    }];
  }
  const text = decodeContent(message.dataCoding, message.payload);
  const { segments, withHeader, dataCoding } = segmentText(text, { reference: random.bytes(1)[0] ?? 0 });
  return segments.map((segment) => ({
    sourceAddr: message.sourceAddr, destinationAddr: message.destinationAddr, esmClass: withHeader ? ESM_CLASS_UDHI : 0, dataCoding, shortMessage: segment,
  }));
}
