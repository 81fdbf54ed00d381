import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { fromHex, toHex } from '../lib/bytes.js';
import { decodeCLA, parseCommandAPDU, type CommandAPDU } from '../lib/apdu.js';
import { isTesseraError } from '../lib/errors.js';
import { auditRow } from './audit.js';
import { asCardError, withSecurityDomain } from './cardDriver.js';
import { TsmLimits, type TsmContext } from './context.js';
import { tsmError, TsmErrorCode } from './errors.js';
import { openKeyset } from './keys.js';
import { requireOpenConversation, takeScriptSlot } from './conversations.js';
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

function isSuccess(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63;
}

function statusWordOf(response: Uint8Array): number {
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
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

/**
 * Records a script: takes the conversation's next slot (which also finds the caller's domain), then
 * writes the execution and its audit line in one statement. A refusal rolls the caller's
 * transaction back, slot included; the checks keep the order of requireOpenConversation, then
 * validateScript, then the caller's domain and keys.
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
  const slot = await takeScriptSlot(trx, nowMs, spName, conversationId);
  if (slot === undefined) {
    await requireOpenConversation(trx, nowMs, spName, conversationId);
    assert.fail('takeScriptSlot refuses only what requireOpenConversation refuses');
  }
  // Any refusal from here on rolls the caller's transaction back, the slot with it.
  validateScript(request, slot.scriptBytesMax);
  if (slot.domainAid === null) throw tsmError(TsmErrorCode.notFound, 'you have no security domain on this element yet (pre-personalize first)');
  const { domainAid } = slot;
  if (request.wrapping === 'tsm' && !slot.tsmHoldsKeys) {
    throw tsmError(TsmErrorCode.keysNotHeld, 'the TSM holds no keys for your domain (you rotated them); send scripts with wrapping "sp"');
  }
  const id = randomUUID();
  const commands = request.commands.map((hex) => hex.toUpperCase());
  const leaseExpiresAt = options.runNow === true ? new Date(nowMs + TsmLimits.LEASE_MS) : undefined;
  await trx
    .with('execution', (qb) => qb.insertInto('tsm.script_executions').values({
      id,
      conversation_id: conversationId,
      sequence: slot.sequence,
      security_domain: domainAid,
      wrapping: request.wrapping,
      commands: JSON.stringify(commands) as unknown as string[],
      responses: null,
      failed_indexes: null,
      state: leaseExpiresAt === undefined ? 'queued' : 'running',
      error_code: null,
      ota_carrier: slot.otaCarrier,
      expires_at: new Date(nowMs + TsmLimits.QUEUE_TTL_MS),
      completed_at: null,
      lease_expires_at: leaseExpiresAt ?? null,
    }))
    .insertInto('tsm.audit_log')
    .values(auditRow({ actor: spName, action: 'script.queue', cin: slot.cin, details: { executionId: id, conversationId, commands: request.commands.length, wrapping: request.wrapping } }))
    .execute();
  return {
    executionId: id, cin: slot.cin, spName, serviceId: slot.serviceId, requestedOperation: slot.requestedOperation,
    securityDomain: domainAid, wrapping: request.wrapping, commands, otaCarrier: slot.routeCarrier, leaseExpiresAt,
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

/** The TSM's own secure channel to the domain, with the keys it holds, one wrapped command at a time. */
async function runWrappedByTsm(context: TsmContext, link: CardLink, claimed: ClaimedScript, commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
  // Read now, under the card's lock: a PUT KEY the SP ran since recording makes the TSM forget them.
  const domain = await context.db.selectFrom('tsm.security_domains').select(['key_version', 'keyset_sealed'])
    .where('cin', '=', claimed.cin).where('aid', '=', claimed.security_domain).executeTakeFirstOrThrow();
  if (domain.keyset_sealed === null || domain.key_version === null) throw tsmError(TsmErrorCode.keysNotHeld, 'the TSM no longer holds keys for this domain');
  const keyset = openKeyset(context.keyStore, claimed.cin, claimed.security_domain, domain.key_version, domain.keyset_sealed);
  return withSecurityDomain(link, claimed.security_domain, keyset, context.random, async (gp) => {
    const answers: Uint8Array[] = [];
    for (const command of commands) {
      const response = await gp.send(parseCommandAPDU(command));
      answers.push(new Uint8Array([...response.data, response.sw >> 8, response.sw & 0xff]));
      if (!isSuccess(response.sw)) break;
    }
    return answers;
  });
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
    if (selected === undefined || !isSuccess(statusWordOf(selected))) throw tsmError(TsmErrorCode.cardRefused, 'the card did not select your domain');
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
  responses.forEach((response, index) => { if (!isSuccess(statusWordOf(response))) failed.push(index); });
  // Commands never reached (the card stopped at a failure, or the link broke) count as failed.
  for (let index = responses.length; index < commands.length; index++) failed.push(index);
  const succeeded = (index: number): boolean => index < responses.length && !failed.includes(index);
  const rotated = commands.some((command, index) => command[1] === INS.putKey && succeeded(index));
  // A personalization conversation whose last STORE DATA block (P1 b8) the card accepted has
  // personalized the instance (the data itself may be encrypted end to end: only the header shows).
  const personalized = claimed.requested_operation === 'personalization'
    && commands.some((command, index) => command[1] === INS.storeData && ((command[2] ?? 0) & STORE_DATA_LAST_BLOCK) !== 0 && succeeded(index));
  const now = new Date(context.now());
  const auditLines = [
    ...(rotated ? [auditRow({ actor: claimed.sp_name, action: 'security-domain.keys-forgotten', cin: claimed.cin, details: { aid: claimed.security_domain, reason: 'PUT KEY by the service provider' } })] : []),
    auditRow({ actor: claimed.sp_name, action: 'script.run', cin: claimed.cin, details: { executionId: id, responses: responses.length, failed: failed.length, errorCode } }),
  ];
  // The conditional changes are in the statement either way, made no-ops by a false condition, so
  // that it has one shape (leaving them out when false saves under 0.1 ms on PGlite).
  const row = await context.db
    .with('e', (qb) => qb.updateTable('tsm.script_executions').set({
      state: errorCode === null ? 'completed' : 'failed',
      responses: JSON.stringify(responses.map(toHex)) as unknown as string[],
      failed_indexes: JSON.stringify(failed) as unknown as number[],
      error_code: errorCode,
      completed_at: now,
      lease_expires_at: null,
    }).where('id', '=', id).returningAll())
    // Seed 001: once the SP has replaced its domain's keys, the TSM keeps none of them.
    .with('forgotten', (qb) => qb.updateTable('tsm.security_domains').set({ keyset_sealed: null, key_version: null, updated_at: now })
      .where('cin', '=', claimed.cin).where('aid', '=', claimed.security_domain).where(sql<boolean>`${rotated}::boolean`))
    .with('personalized', (qb) => qb.updateTable('tsm.service_instances').set({ state: 'personalized', updated_at: now })
      .where('cin', '=', claimed.cin).where('service_id', '=', claimed.service_id).where('sp_name', '=', claimed.sp_name).where('state', '=', 'pre-personalized')
      .where(sql<boolean>`${personalized}::boolean`))
    .with('audit', (qb) => qb.insertInto('tsm.audit_log').values(auditLines))
    .selectFrom('e').select(EXECUTION_COLUMNS)
    .executeTakeFirstOrThrow();
  return executionFromRow(row);
}
