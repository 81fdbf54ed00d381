import type { Kysely } from 'kysely';
import { normalizeMSISDN } from './accounts.js';
import { smscError, SmscErrorCode } from './errors.js';
import { SmscLimits } from './limits.js';
import type { SmscDatabase } from './schema.js';

export interface InboxEntry {
  readonly id: string;
  readonly from: string;
  readonly text: string;
  readonly parts: number;
  readonly receivedAt: Date;
}

/** What a handset has received (acknowledged), newest first. */
export async function listInbox(db: Kysely<SmscDatabase>, msisdn: string, options: { limit?: number } = {}): Promise<InboxEntry[]> {
  const normalized = normalizeMSISDN(msisdn);
  if (normalized === undefined) throw smscError(SmscErrorCode.invalid, 'an MSISDN is 5-15 digits, optionally after a +');
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? SmscLimits.INBOX_PAGE_MAX)), SmscLimits.INBOX_PAGE_MAX);
  const rows = await db.selectFrom('smsc.inbox').select(['id', 'source_addr', 'text', 'parts', 'received_at'])
    .where('msisdn', '=', normalized).orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, from: row.source_addr, text: row.text, parts: row.parts, receivedAt: row.received_at }));
}

export interface MessageStatus {
  readonly id: string;
  readonly state: SmscDatabase['smsc.messages']['state'];
  readonly transitions: readonly { from: string | null; to: string; at: Date; reason: string }[];
}

/** A message's state and its recorded transitions (operators, tests). */
export async function messageStatus(db: Kysely<SmscDatabase>, id: string): Promise<MessageStatus | undefined> {
  const row = await db.selectFrom('smsc.messages').select(['id', 'state']).where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const transitions = await db.selectFrom('smsc.message_transitions').select(['from_state', 'to_state', 'at', 'reason'])
    .where('message_id', '=', id).orderBy('id').execute();
  return { id: row.id, state: row.state, transitions: transitions.map((t) => ({ from: t.from_state, to: t.to_state, at: t.at, reason: t.reason })) };
}
