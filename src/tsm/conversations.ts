import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { TsmContext } from './context.js';
import { TsmLimits } from './context.js';
import { auditEachRow, auditRow } from './audit.js';
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

/**
 * Starts a conversation (seed 001 fig. 3): the SE must be the MSI's, the service the caller's, the
 * qualifier the caller's name, and the target AID the caller's domain or service instance. The
 * answer carries the OTA carrier chosen from the SE's MNO and the limits of this conversation.
 */
export async function startConversation(context: TsmContext, db: Transaction<TsmDatabase>, spName: string, request: ConversationRequest): Promise<Conversation> {
  // One read for every check: the element with its OTA route, the service, the caller's domain on it.
  const found = await db.selectFrom('tsm.secure_elements as se')
    .innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno')
    .leftJoin('tsm.services as s', (join) => join.on('s.service_id', '=', request.serviceId).on('s.version', '=', request.serviceVersion))
    .leftJoin('tsm.security_domains as d', (join) => join.onRef('d.cin', '=', 'se.cin').on('d.sp_name', '=', spName))
    .select(['se.msi', 'se.state', 'se.expires_at', 'r.ota_carrier', 's.sp_name as service_sp_name', 's.instance_aid', 'd.aid as domain_aid'])
    .where('se.cin', '=', request.cin)
    .executeTakeFirst();
  if (found === undefined || found.msi !== request.msi) throw tsmError(TsmErrorCode.notFound, 'no secure element with this CIN and MSI');
  if (found.state !== 'active' || found.expires_at.getTime() <= context.now()) throw tsmError(TsmErrorCode.notEligible, `the secure element is ${found.state === 'active' ? 'expired' : found.state}`);
  if (found.service_sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such service of yours');
  if (request.serviceQualifier.spName !== spName) throw tsmError(TsmErrorCode.forbidden, 'the service qualifier names another service provider');
  if (request.targetAid !== found.instance_aid && request.targetAid !== found.domain_aid) {
    throw tsmError(TsmErrorCode.forbidden, 'the target AID is not your security domain or service instance on this element');
  }
  const id = randomUUID();
  // The conversation, the PRN on the caller's service instance and the audit line: one statement.
  const row = await db
    .with('conversation', (qb) => qb.insertInto('tsm.conversations').values({
      id,
      sp_name: spName,
      cin: request.cin,
      msi: request.msi,
      service_id: request.serviceId,
      service_version: request.serviceVersion,
      service_qualifier: `${request.serviceQualifier.spName}:${request.serviceQualifier.prn}`,
      target_aid: request.targetAid,
      script_format: request.scriptFormat,
      script_bytes_max: Math.min(request.scriptBytes, TsmLimits.SCRIPT_BYTES_MAX),
      requested_operation: request.requestedOperation,
      ota_carrier: found.ota_carrier,
      scripts_max: TsmLimits.CONVERSATION_SCRIPTS_MAX,
      state: 'open',
      expires_at: new Date(context.now() + TsmLimits.CONVERSATION_TTL_MS),
      ended_at: null,
      end_status: null,
    }).returningAll())
    .with('instance', (qb) => qb.updateTable('tsm.service_instances').set({ prn: request.serviceQualifier.prn })
      .where('cin', '=', request.cin).where('service_id', '=', request.serviceId).where('sp_name', '=', spName))
    .with('audit', (qb) => qb.insertInto('tsm.audit_log').values(auditRow({
      actor: spName, action: 'conversation.start', cin: request.cin, details: { conversationId: id, operation: request.requestedOperation, otaCarrier: found.ota_carrier },
    })))
    .selectFrom('conversation').selectAll()
    .executeTakeFirstOrThrow();
  return conversationFromRow(row);
}

export async function getConversation(db: Kysely<TsmDatabase>, spName: string, id: string): Promise<Conversation> {
  const row = await db.selectFrom('tsm.conversations').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined || row.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such conversation of yours');
  return conversationFromRow(row);
}

/** Ends the caller's conversation (once: ending an ended one answers it as it is). */
export async function endConversation(context: TsmContext, trx: Transaction<TsmDatabase>, spName: string, id: string, status: string): Promise<Conversation> {
  // The update is the check: only the caller's open conversation ends, and only then is it audited.
  const ended = await trx
    .with('ended', (qb) => qb.updateTable('tsm.conversations').set({ state: 'ended', end_status: status, ended_at: new Date(context.now()) })
      .where('id', '=', id).where('sp_name', '=', spName).where('state', '=', 'open')
      .returningAll())
    .with('audit', () => auditEachRow('ended', { actor: spName, action: 'conversation.end', details: { conversationId: id, status } }))
    .selectFrom('ended').selectAll()
    .executeTakeFirst();
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

/** The conversation's facts a script run needs (fixed for its lifetime), and the element's OTA route. */
export interface ScriptSlot extends OpenConversation {
  readonly serviceId: string;
  readonly requestedOperation: string;
  /** The caller's security domain on the element; null when it has none (not pre-personalized yet). */
  readonly domainAid: string | null;
  readonly tsmHoldsKeys: boolean;
  /** The carrier the element's MNO route names now (the conversation records the one at its start). */
  readonly routeCarrier: string;
}

/**
 * Takes the next script slot of the caller's open, unexpired conversation, in one statement that
 * also reads the caller's security domain on the element and the element's OTA route: the
 * conditions of requireOpenConversation are the update's, so the row is locked and counted only
 * if they hold. Undefined when they do not; requireOpenConversation then says which. (Scalar
 * subqueries rather than UPDATE … FROM joins: a third cheaper to plan on PGlite.)
 */
export async function takeScriptSlot(trx: Transaction<TsmDatabase>, now: number, spName: string, id: string): Promise<ScriptSlot | undefined> {
  const row = await trx.updateTable('tsm.conversations as c')
    .set((eb) => ({ scripts_used: eb('c.scripts_used', '+', 1) }))
    .where('c.id', '=', id).where('c.sp_name', '=', spName).where('c.state', '=', 'open').where('c.expires_at', '>', new Date(now))
    .whereRef('c.scripts_used', '<', 'c.scripts_max')
    .returning((eb) => [
      'c.cin', 'c.ota_carrier', 'c.script_bytes_max', 'c.scripts_used', 'c.scripts_max', 'c.service_id', 'c.requested_operation',
      eb.selectFrom('tsm.security_domains as d').select('d.aid').whereRef('d.cin', '=', 'c.cin').where('d.sp_name', '=', spName).as('domain_aid'),
      eb.selectFrom('tsm.security_domains as d').select(sql<boolean>`d.keyset_sealed is not null`.as('held')).whereRef('d.cin', '=', 'c.cin').where('d.sp_name', '=', spName).as('tsm_holds_keys'),
      eb.selectFrom('tsm.secure_elements as se').innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno').select('r.ota_carrier').whereRef('se.cin', '=', 'c.cin').as('route_carrier'),
    ])
    .executeTakeFirst();
  if (row === undefined) return undefined;
  assert.ok(row.route_carrier !== null, 'every secure element has an MNO with a route (foreign keys)');
  return {
    cin: row.cin, otaCarrier: row.ota_carrier, scriptBytesMax: row.script_bytes_max, sequence: row.scripts_used - 1, scriptsMax: row.scripts_max,
    serviceId: row.service_id, requestedOperation: row.requested_operation, domainAid: row.domain_aid, tsmHoldsKeys: row.tsm_holds_keys === true, routeCarrier: row.route_carrier,
  };
}
