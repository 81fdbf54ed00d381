import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import type { GatewayContext } from './context.js';
import { newId } from './ids.js';
import { OUTBOX_BATCH_ROWS_MAX, OUTBOX_LEASE_MS, WEBHOOK_ATTEMPTS_MAX, WEBHOOK_TIMEOUT_MS } from './limits.js';
import { webhookSecretOf } from './partners.js';
import type { GatewayDatabase } from './schema.js';
import { SIGNATURE_HEADER, signWebhook } from './webhookSignature.js';

/**
 * The outbox (DESIGN.md §4): notifications are rows written in the same transaction as the
 * business change, delivered afterwards by a worker, at least once, with a stable event id and
 * jittered exponential backoff. Several instances may run workers: a row is leased by moving
 * its next_attempt_at forward under FOR UPDATE SKIP LOCKED before it is sent.
 */

export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly data: Record<string, unknown>;
}

export async function enqueueWebhook(trx: Transaction<GatewayDatabase>, context: GatewayContext, input: { merchantId: string; url: string; type: string; data: Record<string, unknown> }): Promise<string> {
  const eventId = `evt_${newId(context.random).replaceAll('-', '')}`;
  const event: WebhookEvent = { id: eventId, type: input.type, created: Math.floor(context.now() / 1000), data: input.data };
  await trx.insertInto('gateway.outbox').values({
    id: newId(context.random), event_id: eventId, kind: 'webhook', partner_id: input.merchantId, destination: input.url,
    body: JSON.stringify(event), attempts: 0, next_attempt_at: new Date(context.now()), delivered_at: null, failed_at: null, last_error: null,
    created_at: new Date(context.now()),
  }).execute();
  return eventId;
}

export async function enqueueSMS(trx: Transaction<GatewayDatabase>, context: GatewayContext, input: { to: string; text: string }): Promise<void> {
  await trx.insertInto('gateway.outbox').values({
    id: newId(context.random), event_id: `sms_${newId(context.random).replaceAll('-', '')}`, kind: 'sms', partner_id: null, destination: input.to,
    body: input.text, attempts: 0, next_attempt_at: new Date(context.now()), delivered_at: null, failed_at: null, last_error: null,
    created_at: new Date(context.now()),
  }).execute();
}

export interface OutboxTransport {
  sendSMS(to: string, text: string): Promise<void>;
  /** POSTs a webhook; resolves with the HTTP status. */
  postWebhook(url: string, body: string, headers: Record<string, string>): Promise<number>;
}

/** Jittered exponential backoff: between half and all of base·2^attempt, capped (never zero, so a dead receiver is not hammered). */
export function retryDelayMs(context: GatewayContext, attempt: number): number {
  const ceiling = Math.min(context.policy.webhookRetryDelayMsMax, context.policy.webhookRetryDelayMsBase * 2 ** Math.min(attempt, 30));
  const bytes = context.random.bytes(4);
  const fraction = (((bytes[0] ?? 0) << 24 >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0)) / 2 ** 32;
  return Math.max(1, Math.floor(ceiling / 2 + (ceiling / 2) * fraction));
}

/** One delivery round: leases due rows, sends each, records the outcome. Returns how many were attempted. */
export async function deliverOutboxOnce(context: GatewayContext, transport: OutboxTransport): Promise<number> {
  const nowMs = context.now();
  const due = await inTransaction(context.db, async (trx) => {
    const rows = await trx.selectFrom('gateway.outbox').selectAll()
      .where('delivered_at', 'is', null).where('failed_at', 'is', null).where('next_attempt_at', '<=', new Date(nowMs))
      .orderBy('next_attempt_at').limit(OUTBOX_BATCH_ROWS_MAX).forUpdate().skipLocked().execute();
    if (rows.length > 0) {
      await trx.updateTable('gateway.outbox').set({ next_attempt_at: new Date(nowMs + OUTBOX_LEASE_MS), attempts: sql<number>`attempts + 1` })
        .where('id', 'in', rows.map((row) => row.id)).execute();
    }
    return rows;
  }, { isolation: 'read committed' });
  for (const row of due) {
    let error: string | undefined;
    try {
      if (row.kind === 'sms') {
        await transport.sendSMS(row.destination, row.body);
      } else {
        const secret = await webhookSecretOf(context, row.partner_id ?? '');
        const signature = signWebhook(secret, row.body, Math.floor(context.now() / 1000));
        const status = await transport.postWebhook(row.destination, row.body, {
          'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'tessera-event-id': row.event_id,
        });
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      }
    } catch (cause) {
      error = cause instanceof Error ? cause.message.slice(0, 200) : 'delivery failed';
    }
    const attempts = row.attempts + 1;
    if (error === undefined) {
      await context.db.updateTable('gateway.outbox').set({ delivered_at: new Date(context.now()), last_error: null }).where('id', '=', row.id).execute();
    } else if (attempts >= WEBHOOK_ATTEMPTS_MAX) {
      await context.db.updateTable('gateway.outbox').set({ failed_at: new Date(context.now()), last_error: error }).where('id', '=', row.id).execute();
      context.logger.error({ eventId: row.event_id, attempts }, 'notification abandoned');
    } else {
      await context.db.updateTable('gateway.outbox').set({ next_attempt_at: new Date(context.now() + retryDelayMs(context, attempts - 1)), last_error: error }).where('id', '=', row.id).execute();
      context.logger.warn({ eventId: row.event_id, attempts, error }, 'notification will be retried');
    }
  }
  return due.length;
}

/**
 * A transport over an SMPP client and HTTP(S) POSTs (with a timeout; redirects are not followed).
 * `extraCA` is trusted for https notify URLs besides the public roots (the demo shop is served
 * under the gateway's own CA).
 */
export function createOutboxTransport(sms: { sendText(input: { from?: string; to: string; text: string }): Promise<string[]> }, from: string, extraCA?: string): OutboxTransport {
  const agent = new HttpsAgent({ ca: extraCA === undefined ? [...rootCertificates] : [...rootCertificates, extraCA] });
  return {
    async sendSMS(to, text) {
      await sms.sendText({ from, to, text });
    },
    postWebhook(url, body, headers) {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<number>((resolve, reject) => {
        const request = send(target, {
          method: 'POST', timeout: WEBHOOK_TIMEOUT_MS, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          ...(target.protocol === 'https:' ? { agent } : {}),
        }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        });
        request.on('timeout', () => request.destroy(new Error('webhook timed out')));
        request.on('error', reject);
        request.end(body);
      });
    },
  };
}

export interface OutboxWorker {
  /** Runs a round now (tests); resolves when it is done. */
  kick(): Promise<void>;
  stop(): Promise<void>;
}

export function startOutboxWorker(context: GatewayContext, transport: OutboxTransport, intervalMs: number): OutboxWorker {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await deliverOutboxOnce(context, transport);
      } catch (error) {
        context.logger.warn({ err: error }, 'outbox round failed');
      }
    });
    return running;
  };
  const timer = setInterval(() => { void round(); }, intervalMs);
  timer.unref();
  return {
    kick: round,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
