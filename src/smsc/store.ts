import type { Kysely, Transaction } from 'kysely';
import { toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { encodeGSM7 } from '../lib/sms/index.js';
import { inTransaction } from '../infra/db/index.js';
import { decodeContent } from './content.js';
import { SmscLimits } from './limits.js';
import { formatReceipt } from './receipt.js';
import type { DestinationKind, MessageKind, MessageState, SmscDatabase } from './schema.js';

/** A stored message row as the SMSC works with it (camelCase at the store boundary). */
export interface StoredMessage {
  readonly id: string;
  readonly kind: MessageKind;
  readonly originSystemId: string | null;
  readonly sourceAddr: string;
  readonly destinationKind: DestinationKind;
  readonly destinationAddr: string;
  readonly destinationSystemId: string | null;
  readonly dataCoding: number;
  readonly payload: Uint8Array;
  readonly concatKey: string | null;
  readonly concatTotal: number | null;
  readonly concatSequence: number | null;
  readonly registeredDelivery: number;
  readonly receiptedMessageId: string | null;
  readonly receiptedState: MessageState | null;
  readonly state: MessageState;
  readonly attempts: number;
  readonly submittedAt: Date;
  readonly expiresAt: Date;
}

type Row = SmscDatabase['smsc.messages'];
type SelectedRow = { [K in keyof Row]: Row[K] };

export function toStored(row: SelectedRow): StoredMessage {
  return {
    id: row.id, kind: row.kind, originSystemId: row.origin_system_id, sourceAddr: row.source_addr, destinationKind: row.destination_kind,
    destinationAddr: row.destination_addr, destinationSystemId: row.destination_system_id, dataCoding: row.data_coding, payload: row.payload,
    concatKey: row.concat_key, concatTotal: row.concat_total, concatSequence: row.concat_sequence, registeredDelivery: row.registered_delivery,
    receiptedMessageId: row.receipted_message_id, receiptedState: row.receipted_state, state: row.state, attempts: row.attempts,
    submittedAt: row.submitted_at, expiresAt: row.expires_at,
  };
}

/** SMPP message ids here: 8 random bytes as 16 upper-case hex digits (§5.2.23 allows up to 64). */
export function newMessageId(random: RandomSource): string {
  return toHex(random.bytes(8));
}

export interface NewMessage {
  readonly kind: MessageKind;
  readonly originSystemId: string | null;
  readonly sourceAddr: string;
  readonly destinationKind: DestinationKind;
  readonly destinationAddr: string;
  readonly destinationSystemId: string | null;
  readonly dataCoding: number;
  readonly payload: Uint8Array;
  readonly concat?: { key: string; total: number; sequence: number };
  readonly registeredDelivery: number;
  readonly receipted?: { messageId: string; state: MessageState };
  readonly notBeforeMs: number;
  readonly expiresMs: number;
}

/** Writes a new ENROUTE message and its first transition; the caller owns the transaction. */
export async function insertMessage(trx: Transaction<SmscDatabase>, id: string, message: NewMessage, nowMs: number, reason: string): Promise<void> {
  const now = new Date(nowMs);
  await trx.insertInto('smsc.messages').values({
    id, kind: message.kind, origin_system_id: message.originSystemId, source_addr: message.sourceAddr,
    destination_kind: message.destinationKind, destination_addr: message.destinationAddr, destination_system_id: message.destinationSystemId,
    data_coding: message.dataCoding, payload: message.payload,
    concat_key: message.concat?.key ?? null, concat_total: message.concat?.total ?? null, concat_sequence: message.concat?.sequence ?? null,
    registered_delivery: message.registeredDelivery,
    receipted_message_id: message.receipted?.messageId ?? null, receipted_state: message.receipted?.state ?? null,
    state: 'ENROUTE', attempts: 0, next_attempt_at: new Date(message.notBeforeMs), lease_expires_at: null,
    submitted_at: now, expires_at: new Date(message.expiresMs), done_at: null, error_code: null,
  }).execute();
  await trx.insertInto('smsc.message_transitions').values({ message_id: id, from_state: null, to_state: 'ENROUTE', at: now, reason }).execute();
}

export async function storeMessage(db: Kysely<SmscDatabase>, random: RandomSource, message: NewMessage, nowMs: number, reason: string): Promise<string> {
  const id = newMessageId(random);
  await inTransaction(db, (trx) => insertMessage(trx, id, message, nowMs, reason));
  return id;
}

/** SMPP 3.4 §5.2.17 registered_delivery bits 0-1: 1 = receipt on success and failure, 2 = on failure only. */
function wantsReceipt(registeredDelivery: number, state: MessageState): boolean {
  const mode = registeredDelivery & 0x03;
  return mode === 1 || (mode === 2 && state !== 'DELIVERED');
}

/** err:NNN of the receipt for each final state (network-specific codes of this SMSC; docs/smsc.md). */
export const RECEIPT_ERROR_CODE: Readonly<Record<MessageState, number>> = {
  ENROUTE: 0, DELIVERED: 0, EXPIRED: 1, UNDELIVERABLE: 2, REJECTED: 3,
};

/**
 * Moves ENROUTE messages to a final state with their transitions, and queues the delivery
 * receipts their submitters asked for. Rows that are no longer ENROUTE are left alone (another
 * instance got there first). Returns the rows it moved.
 */
export async function finishMessages(
  trx: Transaction<SmscDatabase>, ids: readonly string[], state: Exclude<MessageState, 'ENROUTE'>, reason: string, nowMs: number, random: RandomSource,
): Promise<StoredMessage[]> {
  if (ids.length === 0) return [];
  const now = new Date(nowMs);
  const rows = await trx.updateTable('smsc.messages')
    .set({ state, done_at: now, lease_expires_at: null, error_code: RECEIPT_ERROR_CODE[state] })
    .where('id', 'in', ids).where('state', '=', 'ENROUTE').returningAll().execute();
  for (const row of rows) {
    await trx.insertInto('smsc.message_transitions').values({ message_id: row.id, from_state: 'ENROUTE', to_state: state, at: now, reason }).execute();
    if (row.kind !== 'message' || row.origin_system_id === null || !wantsReceipt(row.registered_delivery, state)) continue;
    const text = formatReceipt({
      messageId: row.id, submitted: 1, delivered: state === 'DELIVERED' ? 1 : 0, submitMs: row.submitted_at.getTime(), doneMs: nowMs,
      state, errorCode: RECEIPT_ERROR_CODE[state], text: receiptText(row.data_coding, row.payload),
    });
    await insertMessage(trx, newMessageId(random), {
      kind: 'receipt', originSystemId: null, sourceAddr: row.destination_addr, destinationKind: 'esme',
      destinationAddr: row.source_addr, destinationSystemId: row.origin_system_id, dataCoding: 0x00, payload: encodeGSM7(text),
      registeredDelivery: 0, receipted: { messageId: row.id, state }, notBeforeMs: nowMs, expiresMs: nowMs + SmscLimits.RECEIPT_VALIDITY_MS,
    }, nowMs, `receipt for ${row.id}`);
  }
  return rows.map(toStored);
}

/** The start of the text for a receipt, in characters whose GSM 7-bit and ASCII codes agree. */
function receiptText(dataCoding: number, payload: Uint8Array): string {
  let text: string;
  try {
    text = decodeContent(dataCoding, payload);
  } catch {
    return '';
  }
  return text.replace(/[^A-Za-z0-9 .,:;!?'()+\-/]/g, '?');
}

/** Claims rows for one delivery (a lease); all or nothing. */
export async function claimMessages(db: Kysely<SmscDatabase>, ids: readonly string[], nowMs: number): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const claimed = await trx.updateTable('smsc.messages').set({ lease_expires_at: new Date(nowMs + SmscLimits.DELIVERY_LEASE_MS) })
      .where('id', 'in', ids).where('state', '=', 'ENROUTE')
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', new Date(nowMs))]))
      .returning('id').execute();
    if (claimed.length === ids.length) return true;
    if (claimed.length > 0) await trx.updateTable('smsc.messages').set({ lease_expires_at: null }).where('id', 'in', claimed.map((row) => row.id)).execute();
    return false;
  });
}

export function retryDelayMs(attempt: number): number {
  return Math.min(SmscLimits.RETRY_DELAY_MS_BASE * 2 ** Math.max(0, attempt - 1), SmscLimits.RETRY_DELAY_MS_MAX);
}

/** A failed attempt: back off, or give up after DELIVERY_ATTEMPTS_MAX. */
export async function recordFailedAttempt(
  db: Kysely<SmscDatabase>, ids: readonly string[], reason: string, nowMs: number, random: RandomSource, attemptsMax: number,
): Promise<'retry' | 'undeliverable'> {
  return inTransaction(db, async (trx) => {
    const rows = await trx.updateTable('smsc.messages').set((eb) => ({ attempts: eb('attempts', '+', 1), lease_expires_at: null }))
      .where('id', 'in', ids).where('state', '=', 'ENROUTE').returning(['id', 'attempts']).execute();
    const attempts = Math.max(0, ...rows.map((row) => row.attempts));
    if (attempts >= attemptsMax) {
      await finishMessages(trx, ids, 'UNDELIVERABLE', `${reason}; ${attempts} attempts`, nowMs, random);
      return 'undeliverable';
    }
    await trx.updateTable('smsc.messages').set({ next_attempt_at: new Date(nowMs + retryDelayMs(attempts)) }).where('id', 'in', ids).execute();
    return 'retry';
  });
}

/** Expires one batch of ENROUTE messages past their validity; returns how many. */
export async function expireDue(db: Kysely<SmscDatabase>, nowMs: number, random: RandomSource, batchMax: number): Promise<number> {
  const now = new Date(nowMs);
  const due = await db.selectFrom('smsc.messages').select('id').where('state', '=', 'ENROUTE').where('expires_at', '<=', now)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
    .orderBy('expires_at').limit(batchMax).execute();
  if (due.length === 0) return 0;
  const moved = await inTransaction(db, (trx) => finishMessages(trx, due.map((row) => row.id), 'EXPIRED', 'validity period elapsed', nowMs, random));
  return moved.length;
}

/**
 * A destination just became reachable (a handset attached, an ESME bound a receiver): messages
 * waiting out a backoff go at once, as an SMSC retries when the HLR alerts it (GSM 03.40 "ready
 * for SM"). Messages never tried yet keep their time (a schedule_delivery_time in the future).
 */
export async function alertReachable(db: Kysely<SmscDatabase>, kind: DestinationKind, target: string, nowMs: number): Promise<void> {
  const now = new Date(nowMs);
  await db.updateTable('smsc.messages').set({ next_attempt_at: now })
    .where('state', '=', 'ENROUTE').where('destination_kind', '=', kind)
    .where(kind === 'handset' ? 'destination_addr' : 'destination_system_id', '=', target)
    .where('attempts', '>', 0).where('next_attempt_at', '>', now).execute();
}
