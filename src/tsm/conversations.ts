import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { queryTemplate } from '../infra/db/index.js';
import type { TsmContext } from './context.js';
import { TsmLimits } from './context.js';
import { auditEachRow } from './audit.js';
import { tsmError, TsmErrorCode } from './errors.js';
import type { TsmDatabase } from './schema.js';

/** Seed 001 fig. 3 "manage communication": what an SP asks for when it starts a conversation. */
export interface ConversationRequest {
  readonly cin: string;
  readonly msi: string;
  readonly serviceId: string;
  readonly serviceVersion: string;
  /** SP name + payment reference number (PRN). */
  readonly serviceQualifier: { readonly spName: string; readonly prn: string };
  readonly targetAid: string;
  readonly scriptFormat: string;
  readonly scriptBytes: number;
  readonly requestedOperation: string;
}

export interface Conversation {
  readonly conversationId: string;
  readonly cin: string;
  readonly otaCarrier: string;
  readonly scriptsMax: number;
  readonly scriptsUsed: number;
  readonly scriptBytesMax: number;
  readonly state: 'open' | 'ended';
  readonly endStatus: string | null;
  readonly expiresAt: string;
}

export const SCRIPT_FORMATS = ['apdu-list'] as const;
export const REQUESTED_OPERATIONS = ['personalization', 'key-rotation', 'post-personalization', 'content-management', 'lock'] as const;

type ConversationRow = Selectable<TsmDatabase['tsm.conversations']>;

function conversationFromRow(row: ConversationRow): Conversation {
  return {
    conversationId: row.id,
    cin: row.cin,
    otaCarrier: row.ota_carrier,
    scriptsMax: row.scripts_max,
    scriptsUsed: row.scripts_used,
    scriptBytesMax: row.script_bytes_max,
    state: row.state,
    endStatus: row.end_status,
    expiresAt: row.expires_at.toISOString(),
  };
}

interface ConversationValues {
  readonly id: string;
  readonly spName: string;
  readonly cin: string;
  readonly msi: string;
  readonly serviceId: string;
  readonly serviceVersion: string;
  readonly serviceQualifier: string;
  readonly prn: string;
  readonly targetAid: string;
  readonly scriptFormat: string;
  readonly scriptBytesMax: number;
  readonly requestedOperation: string;
  readonly expiresAt: Date;
}

/**
 * One statement: reads what every check needs (the element with its OTA route, the service, the
 * caller's domain on the element) and, when the service is the caller's, writes the conversation,
 * the PRN on the caller's service instance and the audit line. The caller checks the rest and,
 * refusing, rolls its transaction back, conversation included.
 */
const startConversationStatement = queryTemplate((db: Kysely<TsmDatabase>, v: ConversationValues) => db
  .with('found', (qb) => qb.selectFrom('tsm.secure_elements as se')
    .innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno')
    .leftJoin('tsm.services as s', (join) => join.on('s.service_id', '=', v.serviceId).on('s.version', '=', v.serviceVersion))
    .leftJoin('tsm.security_domains as d', (join) => join.onRef('d.cin', '=', 'se.cin').on('d.sp_name', '=', v.spName))
    .select(['se.msi', 'se.state', 'se.expires_at', 'r.ota_carrier', 's.sp_name as service_sp_name', 's.instance_aid', 'd.aid as domain_aid'])
    .where('se.cin', '=', v.cin))
  .with('conversation', (qb) => qb.insertInto('tsm.conversations')
    .columns([
      'id', 'sp_name', 'cin', 'msi', 'service_id', 'service_version', 'service_qualifier', 'target_aid', 'script_format', 'script_bytes_max',
      'requested_operation', 'ota_carrier', 'scripts_max', 'state', 'expires_at',
    ])
    .expression((eb) => eb.selectFrom('found').select([
      sql<string>`${v.id}::uuid`.as('id'), sql<string>`${v.spName}::text`.as('sp_name'), sql<string>`${v.cin}::text`.as('cin'),
      sql<string>`${v.msi}::text`.as('msi'), sql<string>`${v.serviceId}::text`.as('service_id'), sql<string>`${v.serviceVersion}::text`.as('service_version'),
      sql<string>`${v.serviceQualifier}::text`.as('service_qualifier'), sql<string>`${v.targetAid}::text`.as('target_aid'),
      sql<string>`${v.scriptFormat}::text`.as('script_format'), sql<number>`${v.scriptBytesMax}::integer`.as('script_bytes_max'),
      sql<string>`${v.requestedOperation}::text`.as('requested_operation'), 'found.ota_carrier',
      sql<number>`${TsmLimits.CONVERSATION_SCRIPTS_MAX}::integer`.as('scripts_max'), sql<'open'>`'open'`.as('state'),
      sql<Date>`${v.expiresAt}::timestamptz`.as('expires_at'),
    ]).where('found.service_sp_name', '=', v.spName))
    .returning(['id', 'cin', 'requested_operation', 'ota_carrier']))
  .with('instance', (qb) => qb.updateTable('tsm.service_instances').set({ prn: v.prn })
    .where('cin', '=', v.cin).where('service_id', '=', v.serviceId).where('sp_name', '=', v.spName)
    .where((eb) => eb.exists(eb.selectFrom('conversation').select('conversation.id'))))
  .with('audit', () => sql<Record<string, never>>`(insert into tsm.audit_log (actor, action, cin, details)
    select ${v.spName}::text, 'conversation.start', cin, jsonb_build_object('conversationId', id, 'operation', requested_operation, 'otaCarrier', ota_carrier)
    from conversation)`)
  .selectFrom('found').leftJoin('conversation', (join) => join.onTrue())
  .select(['found.msi', 'found.state', 'found.expires_at', 'found.ota_carrier', 'found.service_sp_name', 'found.instance_aid', 'found.domain_aid', 'conversation.id as conversation_id']));

/**
 * Starts a conversation (seed 001 fig. 3): the SE must be the MSI's, the service the caller's, the
 * qualifier the caller's name, and the target AID the caller's domain or service instance. The
 * answer carries the OTA carrier chosen from the SE's MNO and the limits of this conversation.
 */
export async function startConversation(context: TsmContext, db: Transaction<TsmDatabase>, spName: string, request: ConversationRequest): Promise<Conversation> {
  const id = randomUUID();
  const nowMs = context.now();
  const scriptBytesMax = Math.min(request.scriptBytes, TsmLimits.SCRIPT_BYTES_MAX);
  const expiresAt = new Date(nowMs + TsmLimits.CONVERSATION_TTL_MS);
  const found = (await startConversationStatement.execute(db, {
    id,
    spName,
    cin: request.cin,
    msi: request.msi,
    serviceId: request.serviceId,
    serviceVersion: request.serviceVersion,
    serviceQualifier: `${request.serviceQualifier.spName}:${request.serviceQualifier.prn}`,
    prn: request.serviceQualifier.prn,
    targetAid: request.targetAid,
    scriptFormat: request.scriptFormat,
    scriptBytesMax,
    requestedOperation: request.requestedOperation,
    expiresAt,
  })).rows[0];
  // A refusal from here rolls the caller's transaction back, the conversation with it.
  if (found === undefined || found.msi !== request.msi) throw tsmError(TsmErrorCode.notFound, 'no secure element with this CIN and MSI');
  if (found.state !== 'active' || found.expires_at.getTime() <= nowMs) throw tsmError(TsmErrorCode.notEligible, `the secure element is ${found.state === 'active' ? 'expired' : found.state}`);
  if (found.service_sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such service of yours');
  if (request.serviceQualifier.spName !== spName) throw tsmError(TsmErrorCode.forbidden, 'the service qualifier names another service provider');
  if (request.targetAid !== found.instance_aid && request.targetAid !== found.domain_aid) {
    throw tsmError(TsmErrorCode.forbidden, 'the target AID is not your security domain or service instance on this element');
  }
  assert.equal(found.conversation_id, id, 'the statement wrote the conversation, since the service is the caller\'s');
  // The conversation as written: nothing to read back.
  return {
    conversationId: id, cin: request.cin, otaCarrier: found.ota_carrier, scriptsMax: TsmLimits.CONVERSATION_SCRIPTS_MAX, scriptsUsed: 0,
    scriptBytesMax, state: 'open', endStatus: null, expiresAt: expiresAt.toISOString(),
  };
}

export async function getConversation(db: Kysely<TsmDatabase>, spName: string, id: string): Promise<Conversation> {
  const row = await db.selectFrom('tsm.conversations').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined || row.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such conversation of yours');
  return conversationFromRow(row);
}

/** The update is the check: only the caller's open conversation ends, and only then is it audited. */
const endOpenConversation = queryTemplate((db: Kysely<TsmDatabase>, v: { id: string; spName: string; status: string; endedAt: Date; auditDetails: string }) => db
  .with('ended', (qb) => qb.updateTable('tsm.conversations').set({ state: 'ended', end_status: v.status, ended_at: v.endedAt })
    .where('id', '=', v.id).where('sp_name', '=', v.spName).where('state', '=', 'open')
    .returningAll())
  .with('audit', () => auditEachRow('ended', { actor: v.spName, action: 'conversation.end', detailsJson: v.auditDetails }))
  .selectFrom('ended').selectAll());

/** Ends the caller's conversation (once: ending an ended one answers it as it is). */
export async function endConversation(context: TsmContext, trx: Transaction<TsmDatabase>, spName: string, id: string, status: string): Promise<Conversation> {
  const ended = (await endOpenConversation.execute(trx, {
    id, spName, status, endedAt: new Date(context.now()), auditDetails: JSON.stringify({ conversationId: id, status }),
  })).rows[0];
  if (ended !== undefined) return conversationFromRow(ended);
  return getConversation(trx, spName, id);
}

export interface OpenConversation {
  readonly cin: string;
  readonly otaCarrier: string;
  readonly scriptBytesMax: number;
  readonly sequence: number;
  readonly scriptsMax: number;
}

/** The open, unexpired conversation of this SP, locked for the caller's transaction. */
export async function requireOpenConversation(trx: Transaction<TsmDatabase>, now: number, spName: string, id: string): Promise<OpenConversation> {
  const row = await trx.selectFrom('tsm.conversations').select(['sp_name', 'state', 'cin', 'ota_carrier', 'script_bytes_max', 'scripts_used', 'scripts_max', 'expires_at'])
    .where('id', '=', id).forUpdate().executeTakeFirst();
  if (row === undefined || row.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such conversation of yours');
  if (row.state !== 'open') throw tsmError(TsmErrorCode.conversationClosed, 'the conversation has ended');
  if (row.expires_at.getTime() <= now) throw tsmError(TsmErrorCode.conversationClosed, 'the conversation has expired');
  if (row.scripts_used >= row.scripts_max) throw tsmError(TsmErrorCode.scriptLimit, `the conversation allows ${row.scripts_max} scripts`);
  return { cin: row.cin, otaCarrier: row.ota_carrier, scriptBytesMax: row.script_bytes_max, sequence: row.scripts_used, scriptsMax: row.scripts_max };
}
