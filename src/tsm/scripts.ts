import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { queryTemplate } from '../infra/db/index.js';
import { fromHex, toHex } from '../lib/bytes.js';
import { decodeCLA, encodeResponseAPDU, parseCommandAPDU, type CommandAPDU } from '../lib/apdu.js';
import { isTesseraError } from '../lib/errors.js';
import { responseContinuesScript } from '../lib/ram/index.js';
import { asCardError, withSecurityDomain } from './cardDriver.js';
import { TsmLimits, type TsmContext } from './context.js';
import { tsmError, TsmErrorCode } from './errors.js';
import { openKeyset } from './keys.js';
import { requireOpenConversation } from './conversations.js';
import type { CardLink } from './types.js';
import type { ScriptExecutionState, ScriptWrapping, TsmDatabase } from './schema.js';

const INS = { select: 0xa4, manageChannel: 0x70, initializeUpdate: 0x50, externalAuthenticate: 0x82, putKey: 0xd8, storeData: 0xe2, install: 0xe6 } as const;
const STORE_DATA_LAST_BLOCK = 0x80;

export interface ScriptRequest {
  /**
   * 'tsm': the TSM opens SCP03 to the SP's domain with the keys it holds and wraps each command.
   * 'sp': the SP runs its own secure channel (after it rotated the keys the TSM can no longer use);
   * the TSM relays the commands as they are, selecting the SP's domain before an INITIALIZE UPDATE.
   */
  readonly wrapping: ScriptWrapping;
  readonly commands: readonly string[];
}

export interface ScriptExecution {
  readonly executionId: string;
  readonly state: ScriptExecutionState;
  readonly securityDomainAid: string;
  readonly otaCarrier: string;
  readonly responses: string[];
  readonly failedCommandIndexes: number[];
  readonly errorCode: string | null;
  readonly expiresAt: string;
}

/**
 * Checks a script against what an SP may send: parseable APDUs within the conversation's limits,
 * on the basic channel, never selecting another application or opening channels (the TSM
 * addresses the SP's domain itself), and, when the TSM wraps, no secure-channel commands of its own.
 */
export function validateScript(request: ScriptRequest, scriptBytesMax: number): CommandAPDU[] {
  if (request.commands.length === 0 || request.commands.length > TsmLimits.SCRIPT_COMMANDS_MAX) {
    throw tsmError(TsmErrorCode.scriptLimit, `a script has 1 to ${TsmLimits.SCRIPT_COMMANDS_MAX} commands`);
  }
  let bytes = 0;
  return request.commands.map((hex, index) => {
    let command: CommandAPDU;
    try {
      const raw = fromHex(hex);
      bytes += raw.length;
      command = parseCommandAPDU(raw);
    } catch {
      throw tsmError(TsmErrorCode.scriptInvalid, `command ${index} is not a command APDU`, { index });
    }
    if (bytes > scriptBytesMax) throw tsmError(TsmErrorCode.scriptLimit, `the script exceeds ${scriptBytesMax} bytes`, { index });
    const classByte = decodeCLA(command.cla);
    if (classByte === undefined || classByte.logicalChannel !== 0) throw tsmError(TsmErrorCode.scriptInvalid, `command ${index} is not on the basic channel`, { index });
    if (command.ins === INS.select || command.ins === INS.manageChannel) {
      throw tsmError(TsmErrorCode.forbidden, `command ${index}: the TSM selects your domain itself; SELECT and MANAGE CHANNEL are not allowed`, { index });
    }
    if (request.wrapping === 'tsm') {
      if (command.ins === INS.initializeUpdate || command.ins === INS.externalAuthenticate || classByte.secureMessaging !== 'none') {
        throw tsmError(TsmErrorCode.scriptInvalid, `command ${index}: with wrapping 'tsm' the TSM runs the secure channel; send plain commands`, { index });
      }
    }
    return command;
  });
}

/**
 * A script as its recording left it, with what running it needs: the conversation's fixed facts
 * and the element's OTA route, read in the statement that took the script's slot.
 */
export interface RecordedScript {
  readonly executionId: string;
  readonly cin: string;
  readonly spName: string;
  readonly serviceId: string;
  readonly requestedOperation: string;
  readonly securityDomain: string;
  readonly wrapping: ScriptWrapping;
  /** Upper-case hex, as stored. */
  readonly commands: readonly string[];
  readonly otaCarrier: string;
  /** Set when the script was recorded leased to the recording call (`runNow`): the lease's end. */
  readonly leaseExpiresAt: Date | undefined;
}

/** Records a script for the SP's domain in the conversation (the intent), inside the caller's transaction. */
export async function createScriptExecution(trx: Transaction<TsmDatabase>, context: TsmContext, spName: string, conversationId: string, request: ScriptRequest): Promise<string> {
  return (await recordScriptExecution(trx, context, spName, conversationId, request)).executionId;
}

interface ScriptExecutionValues {
  readonly id: string;
  readonly conversationId: string;
  readonly spName: string;
  readonly now: Date;
  readonly wrapping: ScriptWrapping;
  /** The upper-case hex commands, as JSON text. */
  readonly commandsJson: string;
  readonly state: ScriptExecutionState;
  readonly expiresAt: Date;
  readonly leaseExpiresAt: Date | null;
  readonly auditDetails: string;
}

/**
 * One statement: takes the next script slot of the caller's open, unexpired conversation (the
 * conditions of requireOpenConversation are the update's, so the row is locked and counted only if
 * they hold), reads the caller's security domain on the element and the element's OTA route, and,
 * when the caller has a domain there, writes the execution and its audit line. (Scalar subqueries
 * rather than UPDATE … FROM joins: a third cheaper to plan on PGlite.)
 */
const recordScriptStatement = queryTemplate((db: Kysely<TsmDatabase>, v: ScriptExecutionValues) => db
  .with('slot', (qb) => qb.updateTable('tsm.conversations as c')
    .set((eb) => ({ scripts_used: eb('c.scripts_used', '+', 1) }))
    .where('c.id', '=', v.conversationId).where('c.sp_name', '=', v.spName).where('c.state', '=', 'open').where('c.expires_at', '>', v.now)
    .whereRef('c.scripts_used', '<', 'c.scripts_max')
    .returning((eb) => [
      'c.cin', 'c.ota_carrier', 'c.script_bytes_max', 'c.scripts_used', 'c.service_id', 'c.requested_operation',
      eb.selectFrom('tsm.security_domains as d').select('d.aid').whereRef('d.cin', '=', 'c.cin').where('d.sp_name', '=', v.spName).as('domain_aid'),
      eb.selectFrom('tsm.security_domains as d').select(sql<boolean>`d.keyset_sealed is not null`.as('held')).whereRef('d.cin', '=', 'c.cin').where('d.sp_name', '=', v.spName).as('tsm_holds_keys'),
      eb.selectFrom('tsm.secure_elements as se').innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno').select('r.ota_carrier').whereRef('se.cin', '=', 'c.cin').as('route_carrier'),
    ]))
  .with('execution', (qb) => qb.insertInto('tsm.script_executions')
    .columns(['id', 'conversation_id', 'sequence', 'security_domain', 'wrapping', 'commands', 'state', 'ota_carrier', 'expires_at', 'lease_expires_at'])
    .expression((eb) => eb.selectFrom('slot').select([
      sql<string>`${v.id}::uuid`.as('id'), sql<string>`${v.conversationId}::uuid`.as('conversation_id'), sql<number>`slot.scripts_used - 1`.as('sequence'),
      sql<string>`slot.domain_aid`.as('security_domain'), sql<ScriptWrapping>`${v.wrapping}::text`.as('wrapping'), sql<string[]>`${v.commandsJson}::jsonb`.as('commands'),
      sql<ScriptExecutionState>`${v.state}::text`.as('state'), 'slot.ota_carrier', sql<Date>`${v.expiresAt}::timestamptz`.as('expires_at'),
      sql<Date | null>`${v.leaseExpiresAt}::timestamptz`.as('lease_expires_at'),
    ]).where('slot.domain_aid', 'is not', null))
    .returning('id'))
  .with('audit', () => sql<Record<string, never>>`(insert into tsm.audit_log (actor, action, cin, details)
    select ${v.spName}::text, 'script.queue', slot.cin, ${v.auditDetails}::jsonb from slot where exists (select from execution))`)
  .selectFrom('slot').leftJoin('execution', (join) => join.onTrue())
  .select([
    'slot.cin', 'slot.script_bytes_max', 'slot.service_id', 'slot.requested_operation', 'slot.domain_aid', 'slot.tsm_holds_keys', 'slot.route_carrier',
    'execution.id as execution_id',
  ]));

/**
 * Records a script in one statement: it takes the conversation's next slot (which also finds the
 * caller's domain) and writes the execution and its audit line. A refusal rolls the caller's
 * transaction back, slot and execution included; the checks keep the order of
 * requireOpenConversation, then validateScript, then the caller's domain and keys.
 * With `runNow` the script is recorded running, leased to the caller, which then runs it with
 * runRecordedScript (no claim of its own); otherwise it is queued for whoever claims it.
 */
export async function recordScriptExecution(
  trx: Transaction<TsmDatabase>,
  context: TsmContext,
  spName: string,
  conversationId: string,
  request: ScriptRequest,
  options: { readonly runNow?: boolean } = {},
): Promise<RecordedScript> {
  const nowMs = context.now();
  const id = randomUUID();
  const commands = request.commands.map((hex) => hex.toUpperCase());
  const leaseExpiresAt = options.runNow === true ? new Date(nowMs + TsmLimits.LEASE_MS) : undefined;
  const slot = (await recordScriptStatement.execute(trx, {
    id,
    conversationId,
    spName,
    now: new Date(nowMs),
    wrapping: request.wrapping,
    commandsJson: JSON.stringify(commands),
    state: leaseExpiresAt === undefined ? 'queued' : 'running',
    expiresAt: new Date(nowMs + TsmLimits.QUEUE_TTL_MS),
    leaseExpiresAt: leaseExpiresAt ?? null,
    auditDetails: JSON.stringify({ executionId: id, conversationId, commands: request.commands.length, wrapping: request.wrapping }),
  })).rows[0];
  if (slot === undefined) {
    await requireOpenConversation(trx, nowMs, spName, conversationId);
    assert.fail('the slot is refused only for what requireOpenConversation refuses');
  }
  // Any refusal from here on rolls the caller's transaction back, the slot and the execution with it.
  validateScript(request, slot.script_bytes_max);
  if (slot.domain_aid === null) throw tsmError(TsmErrorCode.notFound, 'you have no security domain on this element yet (pre-personalize first)');
  if (request.wrapping === 'tsm' && slot.tsm_holds_keys !== true) {
    throw tsmError(TsmErrorCode.keysNotHeld, 'the TSM holds no keys for your domain (you rotated them); send scripts with wrapping "sp"');
  }
  assert.equal(slot.execution_id, id, 'the statement wrote the execution, since the caller has a domain on the element');
  assert.ok(slot.route_carrier !== null, 'every secure element has an MNO with a route (foreign keys)');
  return {
    executionId: id, cin: slot.cin, spName, serviceId: slot.service_id, requestedOperation: slot.requested_operation,
    securityDomain: slot.domain_aid, wrapping: request.wrapping, commands, otaCarrier: slot.route_carrier, leaseExpiresAt,
  };
}

const EXECUTION_COLUMNS = ['e.id', 'e.state', 'e.security_domain', 'e.ota_carrier', 'e.responses', 'e.failed_indexes', 'e.error_code', 'e.expires_at'] as const;

function executionFromRow(row: {
  id: string; state: ScriptExecutionState; security_domain: string; ota_carrier: string; responses: string[] | null;
  failed_indexes: number[] | null; error_code: string | null; expires_at: Date;
}): ScriptExecution {
  return {
    executionId: row.id,
    state: row.state,
    securityDomainAid: row.security_domain,
    otaCarrier: row.ota_carrier,
    responses: row.responses ?? [],
    failedCommandIndexes: row.failed_indexes ?? [],
    errorCode: row.error_code,
    expiresAt: row.expires_at.toISOString(),
  };
}

export async function getScriptExecution(context: TsmContext, spName: string, id: string): Promise<ScriptExecution> {
  const row = await context.db.selectFrom('tsm.script_executions as e').innerJoin('tsm.conversations as c', 'c.id', 'e.conversation_id')
    .select([...EXECUTION_COLUMNS, 'c.sp_name'])
    .where('e.id', '=', id).executeTakeFirst();
  if (row === undefined || row.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such script of yours');
  return executionFromRow(row);
}

/** A script this run holds the lease of, with what running it needs. */
interface ClaimedScript {
  readonly id: string;
  readonly cin: string;
  readonly sp_name: string;
  readonly service_id: string;
  readonly requested_operation: string;
  readonly security_domain: string;
  readonly wrapping: ScriptWrapping;
  readonly commands: readonly string[];
  /** The element's OTA route. */
  readonly ota_carrier: string;
}

/**
 * Runs one queued script against its card, if the card is reachable now: claims it (a lease, so
 * one instance runs it), talks to the card outside any transaction, then records the responses and
 * what they mean for the TSM's registry (a rotated keyset it must forget, a personalized instance).
 * Returns the execution as this run left it, or undefined when it did not run it (someone else
 * has it, it is done or expired, or the card is not reachable).
 */
export async function runScriptExecution(context: TsmContext, id: string, waitMs: number): Promise<ScriptExecution | undefined> {
  const found = await context.db.selectFrom('tsm.script_executions as e').innerJoin('tsm.conversations as c', 'c.id', 'e.conversation_id')
    .select('c.cin').where('e.id', '=', id).executeTakeFirst();
  if (found === undefined) return undefined;
  return underCardLock(context, found.cin, async () => {
    const claimed = await claimScriptExecution(context, id);
    return claimed === undefined ? undefined : runClaimedScript(context, claimed, waitMs);
  });
}

/**
 * Runs a script the caller has just recorded (same contract as runScriptExecution), with what the
 * recording read. Recorded with `runNow`, it is leased to the caller already: the lease is renewed
 * (if still the caller's) only after a wait for the card's lock. Otherwise it is claimed.
 */
export async function runRecordedScript(context: TsmContext, recorded: RecordedScript, waitMs: number): Promise<ScriptExecution | undefined> {
  return underCardLock(context, recorded.cin, async () => {
    if (!await holdRecordedLease(context, recorded)) return undefined;
    return runClaimedScript(context, {
      id: recorded.executionId, cin: recorded.cin, sp_name: recorded.spName, service_id: recorded.serviceId, requested_operation: recorded.requestedOperation,
      security_domain: recorded.securityDomain, wrapping: recorded.wrapping, commands: recorded.commands, ota_carrier: recorded.otaCarrier,
    }, waitMs);
  });
}

/** True when the caller holds the recorded script's lease now, with at least LEASE_MS - LEASE_RENEW_AFTER_MS of it left. */
async function holdRecordedLease(context: TsmContext, recorded: RecordedScript): Promise<boolean> {
  const nowMs = context.now();
  const { leaseExpiresAt } = recorded;
  const leaseStillFresh = leaseExpiresAt !== undefined && leaseExpiresAt.getTime() - nowMs >= TsmLimits.LEASE_MS - TsmLimits.LEASE_RENEW_AFTER_MS;
  if (leaseStillFresh) return true;
  // A renewal conditional on the lease being the recorded one (nobody took it over), or the claim of a queued script.
  const held = await context.db.updateTable('tsm.script_executions')
    .set({ state: 'running', lease_expires_at: new Date(nowMs + TsmLimits.LEASE_MS) })
    .where('id', '=', recorded.executionId).where('expires_at', '>', new Date(nowMs))
    .where((eb) => leaseExpiresAt === undefined
      ? eb('state', '=', 'queued')
      : eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '=', leaseExpiresAt)]))
    .returning('id')
    .executeTakeFirst();
  return held !== undefined;
}

/** Card work is serialized per card (CardLocks), when the context has the locks. */
function underCardLock<T>(context: TsmContext, cin: string, work: () => Promise<T>): Promise<T> {
  return context.cardLocks === undefined ? work() : context.cardLocks.run(cin, work);
}

/**
 * The claim, in one statement: the lease on the execution, and everything running it needs — its
 * conversation and the element's OTA route as it is now.
 */
async function claimScriptExecution(context: TsmContext, id: string): Promise<ClaimedScript | undefined> {
  const now = new Date(context.now());
  const row = await context.db.updateTable('tsm.script_executions as e')
    .from(['tsm.conversations as c', 'tsm.secure_elements as se', 'tsm.mno_routes as r'])
    .set({ state: 'running', lease_expires_at: new Date(context.now() + TsmLimits.LEASE_MS) })
    .where('e.id', '=', id)
    .where((eb) => eb.or([eb('e.state', '=', 'queued'), eb.and([eb('e.state', '=', 'running'), eb('e.lease_expires_at', '<', now)])]))
    .where('e.expires_at', '>', now)
    .whereRef('c.id', '=', 'e.conversation_id').whereRef('se.cin', '=', 'c.cin').whereRef('r.mno', '=', 'se.mno')
    .returning(['e.security_domain', 'e.wrapping', 'e.commands', 'c.cin', 'c.sp_name', 'c.service_id', 'c.requested_operation', 'r.ota_carrier'])
    .executeTakeFirst();
  return row === undefined ? undefined : { id, ...row };
}

async function runClaimedScript(context: TsmContext, claimed: ClaimedScript, waitMs: number): Promise<ScriptExecution | undefined> {
  const { id } = claimed;
  const link = await context.cards.linkFor(claimed.cin, waitMs, { otaCarrier: claimed.ota_carrier });
  if (link === undefined) {
    await context.db.updateTable('tsm.script_executions').set({ state: 'queued', lease_expires_at: null }).where('id', '=', id).execute();
    return undefined;
  }
  const commands = claimed.commands.map((hex) => fromHex(hex));
  let responses: Uint8Array[] = [];
  let errorCode: string | null = null;
  try {
    responses = claimed.wrapping === 'tsm' ? await runWrappedByTsm(context, link, claimed, commands) : await relay(link, claimed.security_domain, commands);
  } catch (error) {
    const mapped = asCardError(error);
    errorCode = isTesseraError(mapped) ? mapped.code : 'ERR_INTERNAL';
    context.logger.warn({ executionId: id, errorCode }, 'script failed');
  }
  return completeScript(context, claimed, commands, responses, errorCode);
}

/** The TSM's own secure channel to the domain, with the keys it holds: the commands wrapped and sent as one batch. */
async function runWrappedByTsm(context: TsmContext, link: CardLink, claimed: ClaimedScript, commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
  // Read now, under the card's lock: a PUT KEY the SP ran since recording makes the TSM forget them.
  const domain = await context.db.selectFrom('tsm.security_domains').select(['key_version', 'keyset_sealed'])
    .where('cin', '=', claimed.cin).where('aid', '=', claimed.security_domain).executeTakeFirstOrThrow();
  if (domain.keyset_sealed === null || domain.key_version === null) throw tsmError(TsmErrorCode.keysNotHeld, 'the TSM no longer holds keys for this domain');
  const keyset = openKeyset(context.keyStore, claimed.cin, claimed.security_domain, domain.key_version, domain.keyset_sealed);
  return withSecurityDomain(link, claimed.security_domain, keyset, context.random, async (gp) =>
    (await gp.sendAll(commands.map((command) => parseCommandAPDU(command)))).map((response) => encodeResponseAPDU(response)));
}

/** The SP's own secure channel: select its domain before a new handshake, relay the rest as they are. */
async function relay(link: CardLink, securityDomain: string, commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const first = commands[0];
  const startsHandshake = first !== undefined && first[1] === INS.initializeUpdate;
  const select = fromHex(`00A40400${(securityDomain.length / 2).toString(16).padStart(2, '0')}${securityDomain}00`);
  const batch = startsHandshake ? [select, ...commands] : commands;
  const answers = await link.exchange(batch);
  if (startsHandshake) {
    const selected = answers.shift();
    if (selected === undefined || !responseContinuesScript(selected)) throw tsmError(TsmErrorCode.cardRefused, 'the card did not select your domain');
  }
  return answers;
}

/**
 * Records how the script went, in one statement: the execution's responses, the keyset the TSM
 * must forget after the SP's PUT KEY (seed 001), the instance a last STORE DATA personalized, and
 * the audit lines. Returns the execution as recorded.
 */
async function completeScript(
  context: TsmContext,
  claimed: ClaimedScript,
  commands: readonly Uint8Array[],
  responses: readonly Uint8Array[],
  errorCode: string | null,
): Promise<ScriptExecution> {
  const { id } = claimed;
  const failed: number[] = [];
  responses.forEach((response, index) => { if (!responseContinuesScript(response)) failed.push(index); });
  // Commands never reached (the card stopped at a failure, or the link broke) count as failed.
  for (let index = responses.length; index < commands.length; index++) failed.push(index);
  const succeeded = (index: number): boolean => index < responses.length && !failed.includes(index);
  const rotated = commands.some((command, index) => command[1] === INS.putKey && succeeded(index));
  // A personalization conversation whose last STORE DATA block (P1 b8) the card accepted has
  // personalized the instance (the data itself may be encrypted end to end: only the header shows).
  const personalized = claimed.requested_operation === 'personalization'
    && commands.some((command, index) => command[1] === INS.storeData && ((command[2] ?? 0) & STORE_DATA_LAST_BLOCK) !== 0 && succeeded(index));
  const now = new Date(context.now());
  const row = (await recordScriptOutcome.execute(context.db, {
    id,
    state: errorCode === null ? 'completed' : 'failed',
    responsesJson: JSON.stringify(responses.map(toHex)),
    failedJson: JSON.stringify(failed),
    errorCode,
    now,
    cin: claimed.cin,
    securityDomain: claimed.security_domain,
    serviceId: claimed.service_id,
    spName: claimed.sp_name,
    rotated,
    personalized,
    forgottenDetails: JSON.stringify({ aid: claimed.security_domain, reason: 'PUT KEY by the service provider' }),
    runDetails: JSON.stringify({ executionId: id, responses: responses.length, failed: failed.length, errorCode }),
  })).rows[0];
  assert.ok(row !== undefined, 'the running script is recorded');
  return executionFromRow(row);
}

interface ScriptOutcomeValues {
  readonly id: string;
  readonly state: ScriptExecutionState;
  readonly responsesJson: string;
  readonly failedJson: string;
  readonly errorCode: string | null;
  readonly now: Date;
  readonly cin: string;
  readonly securityDomain: string;
  readonly serviceId: string;
  readonly spName: string;
  /** A PUT KEY of the script succeeded: the TSM forgets the domain's keys. */
  readonly rotated: boolean;
  /** A last STORE DATA block of a personalization succeeded. */
  readonly personalized: boolean;
  readonly forgottenDetails: string;
  readonly runDetails: string;
}

/**
 * The execution's outcome, the keys forgotten, the instance personalized and the audit lines. The
 * conditional changes are in the statement either way, made no-ops by a false condition, so that
 * it has one shape; the keys-forgotten audit line is written exactly when the keys were.
 */
const recordScriptOutcome = queryTemplate((db: Kysely<TsmDatabase>, v: ScriptOutcomeValues) => db
  .with('e', (qb) => qb.updateTable('tsm.script_executions').set({
    state: v.state,
    responses: v.responsesJson as unknown as string[],
    failed_indexes: v.failedJson as unknown as number[],
    error_code: v.errorCode,
    completed_at: v.now,
    lease_expires_at: null,
  }).where('id', '=', v.id).returningAll())
  // Seed 001: once the SP has replaced its domain's keys, the TSM keeps none of them.
  .with('forgotten', (qb) => qb.updateTable('tsm.security_domains').set({ keyset_sealed: null, key_version: null, updated_at: v.now })
    .where('cin', '=', v.cin).where('aid', '=', v.securityDomain).where(sql<boolean>`${v.rotated}::boolean`))
  .with('personalized', (qb) => qb.updateTable('tsm.service_instances').set({ state: 'personalized', updated_at: v.now })
    .where('cin', '=', v.cin).where('service_id', '=', v.serviceId).where('sp_name', '=', v.spName).where('state', '=', 'pre-personalized')
    .where(sql<boolean>`${v.personalized}::boolean`))
  // The keys-forgotten line (when they were), then the run's line, in that order.
  .with('audit', () => sql<Record<string, never>>`(insert into tsm.audit_log (actor, action, cin, details)
    select ${v.spName}::text, line.action, ${v.cin}::text, line.details::jsonb
    from (values (1, 'security-domain.keys-forgotten', ${v.forgottenDetails}::text, ${v.rotated}::boolean), (2, 'script.run', ${v.runDetails}::text, true)) as line (position, action, details, written)
    where line.written order by line.position)`)
  .selectFrom('e').select(EXECUTION_COLUMNS));
