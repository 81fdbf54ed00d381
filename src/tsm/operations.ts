import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { queryTemplate } from '../infra/db/index.js';
import { fromHex, toHex } from '../lib/bytes.js';
import { isTesseraError } from '../lib/errors.js';
import { GPHostErrorCode, type GPManager, type GPScriptCommand, type ManagedEntry } from '../lib/gp/host/index.js';
import { auditEachRow, auditRow } from './audit.js';
import { asCardError, managerOver, selectAndAuthenticate, TSM_SECURITY_LEVEL, withSecurityDomain } from './cardDriver.js';
import { TsmLimits, type TsmContext } from './context.js';
import { tsmError, tsmErrorStatus, TsmErrorCode } from './errors.js';
import { openKeyset, sealKeyset, toStaticKeys, type Keyset } from './keys.js';
import { spSecurityDomainAid } from './registry.js';
import type { OperationKind, OperationState, TsmDatabase } from './schema.js';
import type { CardLink } from './types.js';

/** GlobalPlatform's Security Domain package and module (every supplementary SD is an instance). */
const SECURITY_DOMAIN_PACKAGE = fromHex('A0000001515350');
const SECURITY_DOMAIN_MODULE = fromHex('A000000151535041');
/** Key version of the provisional keyset the TSM puts into a new SP domain. */
export const PROVISIONAL_KEY_VERSION = 0x01;
/** GP 2.3 §11.4.2.1: the card does not know the P1-P2 combination (here: a qualified tag-list GET STATUS). */
const SW_INCORRECT_P1_P2 = '6A86';
/** INITIALIZE UPDATE with a key version the card does not have (Amendment D §7.1.1.3). */
const SW_REFERENCED_DATA_NOT_FOUND = '6A88';
/** Application life cycle INSTALLED (GP 2.3 §11.1.1): installed but not yet selectable. */
const LIFE_CYCLE_INSTALLED = 0x03;

export interface Operation {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly state: OperationState;
  readonly cin: string;
  readonly result: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly expiresAt: string;
}

export interface OperationRequest {
  readonly serviceId: string;
}

type OperationRow = Selectable<TsmDatabase['tsm.operations']>;

function operationFromRow(row: OperationRow): Operation {
  return {
    operationId: row.id,
    kind: row.kind,
    state: row.state,
    cin: row.cin,
    result: row.result,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    expiresAt: row.expires_at.toISOString(),
  };
}

/** An operation as its recording left it, with the element's OTA route read in the same statement. */
export interface RecordedOperation {
  readonly operationId: string;
  readonly kind: OperationKind;
  readonly spName: string;
  readonly cin: string;
  readonly request: OperationRequest;
  readonly otaCarrier: string;
  /** Set when the operation was recorded leased to the recording call (`runNow`): the lease's end. */
  readonly leaseExpiresAt: Date | undefined;
}

/** Records an operation for a card (the intent), inside the caller's transaction; returns its id. */
export async function createOperation(
  trx: Transaction<TsmDatabase>,
  context: TsmContext,
  spName: string,
  kind: OperationKind,
  cin: string,
  request: OperationRequest,
): Promise<string> {
  return (await recordOperation(trx, context, spName, kind, cin, request)).operationId;
}

interface OperationValues {
  readonly id: string;
  readonly kind: OperationKind;
  readonly spName: string;
  readonly cin: string;
  readonly serviceId: string;
  readonly requestJson: string;
  readonly state: OperationState;
  readonly leaseExpiresAt: Date | null;
  readonly expiresAt: Date;
  readonly action: string;
  readonly auditDetails: string;
}

/**
 * One statement: reads the element's MSI and OTA route and who owns the latest version of the
 * service, and writes the operation and its audit line when the service is the caller's (the
 * caller checks the rest and, refusing, rolls its transaction back, operation included).
 */
const recordOperationStatement = queryTemplate((db: Kysely<TsmDatabase>, v: OperationValues) => db
  .with('found', (qb) => qb.selectFrom('tsm.secure_elements as se')
    .innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno')
    .leftJoinLateral(
      (eb) => eb.selectFrom('tsm.services').select('sp_name').where('service_id', '=', v.serviceId).orderBy('version', 'desc').limit(1).as('s'),
      (join) => join.onTrue(),
    )
    .select(['se.msi', 's.sp_name', 'r.ota_carrier'])
    .where('se.cin', '=', v.cin))
  .with('operation', (qb) => qb.insertInto('tsm.operations')
    .columns(['id', 'kind', 'sp_name', 'cin', 'request', 'state', 'lease_expires_at', 'expires_at'])
    .expression((eb) => eb.selectFrom('found').select([
      sql<string>`${v.id}::uuid`.as('id'), sql<OperationKind>`${v.kind}::text`.as('kind'), sql<string>`${v.spName}::text`.as('sp_name'),
      sql<string>`${v.cin}::text`.as('cin'), sql<unknown>`${v.requestJson}::jsonb`.as('request'), sql<OperationState>`${v.state}::text`.as('state'),
      sql<Date | null>`${v.leaseExpiresAt}::timestamptz`.as('lease_expires_at'), sql<Date>`${v.expiresAt}::timestamptz`.as('expires_at'),
    ]).where('found.sp_name', '=', v.spName))
    .returning('cin'))
  .with('audit', () => auditEachRow('operation', { actor: v.spName, action: v.action, detailsJson: v.auditDetails }))
  .selectFrom('found').select(['found.msi', 'found.sp_name', 'found.ota_carrier']));

/**
 * Records an operation in one statement: it checks the element (and, when given, that
 * `options.msi` is its MSI) and that the service is the caller's, and writes the operation and its
 * audit line. With `runNow` the operation is recorded running, leased to the caller, which then
 * runs it with runRecordedOperation (no claim of its own); otherwise it is pending for whoever
 * claims it.
 */
export async function recordOperation(
  trx: Transaction<TsmDatabase>,
  context: TsmContext,
  spName: string,
  kind: OperationKind,
  cin: string,
  request: OperationRequest,
  options: { readonly msi?: string; readonly runNow?: boolean } = {},
): Promise<RecordedOperation> {
  const id = randomUUID();
  const nowMs = context.now();
  const leaseExpiresAt = options.runNow === true ? new Date(nowMs + TsmLimits.LEASE_MS) : undefined;
  const found = (await recordOperationStatement.execute(trx, {
    id, kind, spName, cin, serviceId: request.serviceId, requestJson: JSON.stringify(request),
    state: leaseExpiresAt === undefined ? 'pending' : 'running', leaseExpiresAt: leaseExpiresAt ?? null,
    expiresAt: new Date(nowMs + TsmLimits.QUEUE_TTL_MS), action: `${kind}.request`, auditDetails: JSON.stringify({ operationId: id, serviceId: request.serviceId }),
  })).rows[0];
  // A refusal from here rolls the caller's transaction back, the operation with it.
  if (options.msi !== undefined && found?.msi !== options.msi) throw tsmError(TsmErrorCode.notFound, 'no secure element with this CIN and MSI');
  if (found === undefined) throw tsmError(TsmErrorCode.notFound, 'no such secure element');
  if (found.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such service of yours');
  return { operationId: id, kind, spName, cin, request, otaCarrier: found.ota_carrier, leaseExpiresAt };
}

export async function getOperation(context: TsmContext, spName: string, id: string): Promise<Operation> {
  const row = await context.db.selectFrom('tsm.operations').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined || row.sp_name !== spName) throw tsmError(TsmErrorCode.notFound, 'no such operation of yours');
  return operationFromRow(row);
}

/** The HTTP status an operation's failure answers with (the error code's own status). */
export function operationErrorStatus(operation: Operation): number {
  return operation.error === null ? 200 : tsmErrorStatus(operation.error.code);
}

interface SealedKeyset {
  readonly aid: string | null;
  readonly key_version: number | null;
  readonly keyset_sealed: Uint8Array | null;
}

function domainKeyset(context: TsmContext, cin: string, row: SealedKeyset, what: string): { aid: string; keyset: Keyset } {
  if (row.aid === null || row.keyset_sealed === null || row.key_version === null) throw tsmError(TsmErrorCode.notEligible, `the TSM holds no keys for the ${what}`);
  return { aid: row.aid, keyset: openKeyset(context.keyStore, cin, row.aid, row.key_version, row.keyset_sealed) };
}

function randomKeyset(context: TsmContext, version: number): Keyset {
  return { version, enc: context.random.bytes(16), mac: context.random.bytes(16), dek: context.random.bytes(16) };
}

/** The operation this run holds the lease of, with the element's OTA route. */
interface ClaimedOperation {
  readonly id: string;
  readonly kind: OperationKind;
  readonly sp_name: string;
  readonly cin: string;
  readonly request: OperationRequest;
  readonly otaCarrier: string;
}

/** Everything pre-personalization reads, in one statement: the element, the latest service version, the SP, the central and SP domains. */
const readPrePersonalizationFacts = queryTemplate((db: Kysely<TsmDatabase>, v: { cin: string; spName: string; serviceId: string }) => db.selectFrom('tsm.secure_elements as se')
  .innerJoinLateral(
    (eb) => eb.selectFrom('tsm.services').selectAll().where('service_id', '=', v.serviceId).orderBy('version', 'desc').limit(1).as('s'),
    (join) => join.onTrue(),
  )
  .innerJoin('tsm.service_providers as p', (join) => join.on('p.name', '=', v.spName))
  .leftJoin('tsm.security_domains as central', (join) => join.onRef('central.cin', '=', 'se.cin').on('central.role', '=', 'central'))
  .leftJoin('tsm.security_domains as existing', (join) => join.onRef('existing.cin', '=', 'se.cin').on('existing.sp_name', '=', v.spName))
  .select([
    'se.state', 'se.expires_at',
    's.service_id', 's.version', 's.package_aid', 's.module_aid', 's.instance_aid', 's.load_file', 's.install_parameters',
    'p.sd_number',
    'central.aid as central_aid', 'central.key_version as central_key_version', 'central.keyset_sealed as central_keyset_sealed',
    'existing.aid as existing_aid', 'existing.key_version as existing_key_version', 'existing.keyset_sealed as existing_keyset_sealed',
  ])
  .where('se.cin', '=', v.cin));

async function readPrePersonalization(context: TsmContext, spName: string, cin: string, serviceId: string) {
  const found = (await readPrePersonalizationFacts.execute(context.db, { cin, spName, serviceId })).rows[0];
  assert.ok(found !== undefined, 'a recorded operation names an element, a service and an SP that exist (foreign keys)');
  return found;
}

/** The SP's new domain with the provisional keyset the TSM is about to put on the card. */
const insertProvisionalDomain = queryTemplate((db: Kysely<TsmDatabase>, v: { cin: string; aid: string; spName: string; keyVersion: number; sealed: Uint8Array }) =>
  db.insertInto('tsm.security_domains').values({ cin: v.cin, aid: v.aid, role: 'sp', sp_name: v.spName, key_version: v.keyVersion, keyset_sealed: v.sealed }));

interface PrePersonalizedValues {
  readonly operationId: string;
  readonly cin: string;
  readonly serviceId: string;
  readonly serviceVersion: string;
  readonly spName: string;
  readonly instanceAid: string;
  readonly sdAid: string;
  readonly resultJson: string;
  readonly completedAt: Date;
  readonly auditDetails: string;
}

/** The instance, the audit line and the operation's result: one statement. */
const recordPrePersonalized = queryTemplate((db: Kysely<TsmDatabase>, v: PrePersonalizedValues) => db
  .with('instance', (qb) => qb.insertInto('tsm.service_instances').values({
    cin: v.cin, service_id: v.serviceId, service_version: v.serviceVersion, sp_name: v.spName, instance_aid: v.instanceAid, sd_aid: v.sdAid, state: 'pre-personalized', prn: null,
  }).onConflict((conflict) => conflict.columns(['cin', 'service_id']).doNothing()))
  .with('audit', (qb) => qb.insertInto('tsm.audit_log').values({ actor: v.spName, action: 'pre-personalization.done', cin: v.cin, details: v.auditDetails }))
  .updateTable('tsm.operations')
  .set({ state: 'completed', result: v.resultJson, completed_at: v.completedAt, lease_expires_at: null })
  .where('id', '=', v.operationId)
  .returningAll());

/** What the card holds of what pre-personalization needs. */
export interface CardContent {
  readonly instance: ManagedEntry | undefined;
  readonly hasSecurityDomain: boolean;
  readonly hasPackage: boolean;
}

/**
 * Reads only the three registry entries that matter, by AID qualifier (GP 2.3 §11.4.2.1): bounded
 * answers whatever else the card holds. A card that refuses qualified tag-list GET STATUS (6A86)
 * is read whole, with GPManager's fallbacks (legacy format, load files without modules).
 */
export async function readCardContent(gp: Pick<GPManager, 'getStatusOf' | 'getStatus'>, aids: { readonly instance: string; readonly securityDomain: string; readonly package: string }): Promise<CardContent> {
  const named = async (scope: 'applications' | 'load-files', aid: string): Promise<ManagedEntry | undefined> =>
    (await gp.getStatusOf(scope, { aidQualifier: fromHex(aid) })).find((entry) => entry.aidHex === aid);
  try {
    const instance = await named('applications', aids.instance);
    const securityDomain = await named('applications', aids.securityDomain);
    const loadFile = await named('load-files', aids.package);
    return { instance, hasSecurityDomain: securityDomain !== undefined, hasPackage: loadFile !== undefined };
  } catch (error) {
    if (!isTesseraError(error) || error.code !== GPHostErrorCode.status || error.details?.['sw'] !== SW_INCORRECT_P1_P2) throw error;
    const registry = await gp.getStatus();
    return {
      instance: registry.applications.find((entry) => entry.aidHex === aids.instance),
      hasSecurityDomain: registry.applications.some((entry) => entry.aidHex === aids.securityDomain),
      hasPackage: registry.loadFiles.some((file) => file.aidHex === aids.package),
    };
  }
}

/**
 * Puts the provisional keyset into the SP's domain over one selection of it: PUT KEY under the
 * central SD's keys, which a new domain starts with. Unless the domain was created in this run
 * (then it holds only that copy), the card is first asked whether it has the provisional version
 * already: an INITIALIZE UPDATE with it that fails with 6A88 means it does not.
 */
async function setProvisionalKeys(context: TsmContext, link: CardLink, spAid: string, provisional: Keyset, centralKeys: Keyset, domainIsNew: boolean): Promise<boolean> {
  const gp = managerOver(link, context.random);
  try {
    if (domainIsNew) {
      await selectAndAuthenticate(gp, spAid, centralKeys);
    } else {
      try {
        // The card cryptogram verifies in INITIALIZE UPDATE's answer: the card has the keyset.
        await selectAndAuthenticate(gp, spAid, provisional);
        return false;
      } catch (error) {
        if (!isTesseraError(error) || error.details?.['sw'] !== SW_REFERENCED_DATA_NOT_FOUND) throw error;
      }
      // The domain stays selected after a refused INITIALIZE UPDATE: no second SELECT.
      await gp.openSecureChannel(toStaticKeys(centralKeys), TSM_SECURITY_LEVEL, { keyVersion: centralKeys.version, authenticateAhead: true });
    }
    // EXTERNAL AUTHENTICATE and PUT KEY in one batch.
    await gp.putKey({ replaceVersion: centralKeys.version, newVersion: provisional.version, keys: provisional });
    return true;
  } catch (error) {
    throw asCardError(error);
  } finally {
    gp.closeSecureChannel();
  }
}

type PrePersonalizationFacts = Awaited<ReturnType<typeof readPrePersonalization>>;

/**
 * Through the central SD's secure channel, what the SP's service still lacks on the card: the SP's
 * domain, the package, the generic application's instance, its extradition into the SP's domain.
 * Returns the steps taken.
 */
async function installServiceContent(gp: GPManager, found: PrePersonalizationFacts, centralAid: string, spAid: string): Promise<string[]> {
  const steps: string[] = [];
  const { instance, hasSecurityDomain, hasPackage } = await readCardContent(gp, { instance: found.instance_aid, securityDomain: spAid, package: found.package_aid });
  const associated = instance?.associatedSecurityDomainAIDHex;
  if (associated !== undefined && associated !== centralAid && associated !== spAid) {
    throw tsmError(TsmErrorCode.notEligible, `the instance AID ${found.instance_aid} is taken by another domain`);
  }
  // What is missing goes to the card as one batch, which stops at the first refusal.
  const script: GPScriptCommand[] = [];
  if (!hasSecurityDomain) {
    script.push(gp.installForInstallCommand({
      loadFileAID: SECURITY_DOMAIN_PACKAGE, moduleAID: SECURITY_DOMAIN_MODULE, applicationAID: fromHex(spAid),
      privileges: ['securityDomain', 'trustedPath'], makeSelectable: true,
    }));
    steps.push('security-domain-created');
  }
  if (!hasPackage) {
    if (found.load_file === null) throw tsmError(TsmErrorCode.notEligible, `package ${found.package_aid} is not on the card and the service has no load file`);
    script.push(...gp.loadFileCommands(found.load_file));
    steps.push('package-loaded');
  }
  if (instance === undefined) {
    script.push(gp.installForInstallCommand({
      loadFileAID: fromHex(found.package_aid), moduleAID: fromHex(found.module_aid), applicationAID: fromHex(found.instance_aid),
      applicationParameters: fromHex(found.install_parameters), makeSelectable: false,
    }));
    steps.push('instance-installed');
  }
  if (associated !== spAid) {
    script.push(gp.extraditeCommand(fromHex(found.instance_aid), fromHex(spAid)));
    steps.push('instance-extradited');
  }
  await gp.runScript(script);
  return steps;
}

/**
 * Pre-personalization (seed 001 fig. 4), idempotent against the card's real state: create the SP's
 * security domain if missing and give it a provisional keyset only the TSM and the SP will know;
 * load the service's package if the card lacks it; instantiate the generic application under the
 * central SD and extradite it into the SP's domain. Technical eligibility is checked first.
 */
async function prePersonalize(context: TsmContext, link: CardLink, claimed: ClaimedOperation): Promise<Operation> {
  const { sp_name: spName, cin } = claimed;
  const found = await readPrePersonalization(context, spName, cin, claimed.request.serviceId);
  if (found.state !== 'active') throw tsmError(TsmErrorCode.notEligible, `the secure element is ${found.state}`);
  if (found.expires_at.getTime() <= context.now()) throw tsmError(TsmErrorCode.notEligible, 'the secure element has expired');
  const central = domainKeyset(context, cin, { aid: found.central_aid, key_version: found.central_key_version, keyset_sealed: found.central_keyset_sealed }, 'central security domain');
  const spAid = spSecurityDomainAid(found.sd_number);
  const steps = await withSecurityDomain(link, central.aid, central.keyset, context.random, (gp) => installServiceContent(gp, found, central.aid, spAid));

  // A new SP domain starts with a copy of the central SD's keys. The TSM records a provisional
  // keyset first (so a crash cannot lose keys the card already has), then puts it on the card
  // unless the card has it already. A domain whose keys the SP has rotated is left alone.
  let domain: SealedKeyset = { aid: found.existing_aid, key_version: found.existing_key_version, keyset_sealed: found.existing_keyset_sealed };
  if (found.existing_aid === null) {
    const provisional = randomKeyset(context, PROVISIONAL_KEY_VERSION);
    const sealed = sealKeyset(context.keyStore, cin, spAid, provisional);
    await insertProvisionalDomain.execute(context.db, { cin, aid: spAid, spName, keyVersion: provisional.version, sealed });
    domain = { aid: spAid, key_version: provisional.version, keyset_sealed: sealed };
  }
  if (domain.keyset_sealed !== null && domain.key_version !== null) {
    const provisional = openKeyset(context.keyStore, cin, spAid, domain.key_version, domain.keyset_sealed);
    if (await setProvisionalKeys(context, link, spAid, provisional, central.keyset, steps.includes('security-domain-created'))) steps.push('provisional-keys-set');
  }
  const result = { securityDomainAid: spAid, instanceAid: found.instance_aid, keyVersion: domain.key_version, steps };
  const row = (await recordPrePersonalized.execute(context.db, {
    operationId: claimed.id, cin, serviceId: found.service_id, serviceVersion: found.version, spName, instanceAid: found.instance_aid, sdAid: spAid,
    resultJson: JSON.stringify(result), completedAt: new Date(context.now()),
    auditDetails: JSON.stringify({ serviceId: found.service_id, securityDomainAid: spAid, instanceAid: found.instance_aid, steps }),
  })).rows[0];
  assert.ok(row !== undefined, 'the running operation is recorded');
  return operationFromRow(row);
}

const readForActivation = queryTemplate((db: Kysely<TsmDatabase>, v: { cin: string; serviceId: string }) => db.selectFrom('tsm.secure_elements as se')
  .leftJoin('tsm.service_instances as i', (join) => join.onRef('i.cin', '=', 'se.cin').on('i.service_id', '=', v.serviceId))
  .leftJoin('tsm.security_domains as central', (join) => join.onRef('central.cin', '=', 'se.cin').on('central.role', '=', 'central'))
  .select(['i.sp_name', 'i.instance_aid', 'central.aid', 'central.key_version', 'central.keyset_sealed'])
  .where('se.cin', '=', v.cin));

/** The instance active, the audit line and the operation's result: one statement. */
const recordActivated = queryTemplate((db: Kysely<TsmDatabase>, v: { operationId: string; cin: string; serviceId: string; spName: string; now: Date; resultJson: string; auditDetails: string }) => db
  .with('instance', (qb) => qb.updateTable('tsm.service_instances').set({ state: 'active', updated_at: v.now })
    .where('cin', '=', v.cin).where('service_id', '=', v.serviceId))
  .with('audit', (qb) => qb.insertInto('tsm.audit_log').values({ actor: v.spName, action: 'activation.done', cin: v.cin, details: v.auditDetails }))
  .updateTable('tsm.operations')
  .set({ state: 'completed', result: v.resultJson, completed_at: v.now, lease_expires_at: null })
  .where('id', '=', v.operationId)
  .returningAll());

/**
 * Activation (seed 001 fig. 3): make the SP's service instance selectable, through the central SD,
 * which manages the SP's domain and so its applications.
 */
async function activate(context: TsmContext, link: CardLink, claimed: ClaimedOperation): Promise<Operation> {
  const { sp_name: spName, cin, request } = claimed;
  const found = (await readForActivation.execute(context.db, { cin, serviceId: request.serviceId })).rows[0];
  assert.ok(found !== undefined, 'a recorded operation names an element that exists (foreign key)');
  if (found.instance_aid === null || found.sp_name !== spName) throw tsmError(TsmErrorCode.notEligible, 'the service is not pre-personalized on this element');
  const instanceAid = found.instance_aid;
  const central = domainKeyset(context, cin, found, 'central security domain');
  await withSecurityDomain(link, central.aid, central.keyset, context.random, async (gp) => {
    const entries = await gp.getStatusOf('applications', { aidQualifier: fromHex(instanceAid) });
    const entry = entries.find((candidate) => candidate.aidHex === instanceAid);
    if (entry === undefined) throw tsmError(TsmErrorCode.notEligible, 'the instance is not on the card');
    if (entry.lifeCycleState === LIFE_CYCLE_INSTALLED) await gp.installForMakeSelectable(fromHex(instanceAid));
  });
  const row = (await recordActivated.execute(context.db, {
    operationId: claimed.id, cin, serviceId: request.serviceId, spName, now: new Date(context.now()),
    resultJson: JSON.stringify({ instanceAid, state: 'active' }), auditDetails: JSON.stringify({ serviceId: request.serviceId, instanceAid }),
  })).rows[0];
  assert.ok(row !== undefined, 'the running operation is recorded');
  return operationFromRow(row);
}

/** Card work is serialized per card (CardLocks), when the context has the locks. */
function underCardLock<T>(context: TsmContext, cin: string, work: () => Promise<T>): Promise<T> {
  return context.cardLocks === undefined ? work() : context.cardLocks.run(cin, work);
}

/**
 * Runs an operation if the card is reachable: claim (lease), card work outside any transaction,
 * then record the result or the error. A card that is not reachable leaves it pending until it
 * expires; the worker tries again. Returns the operation as this run left it, or undefined when it
 * did not run it (someone else has it, it is done, or the card is not reachable).
 */
export async function runOperation(context: TsmContext, id: string, waitMs: number): Promise<Operation | undefined> {
  const target = await context.db.selectFrom('tsm.operations').select('cin').where('id', '=', id).executeTakeFirst();
  if (target === undefined) return undefined;
  return underCardLock(context, target.cin, async () => {
    const claimed = await claimOperation(context, id);
    return claimed === undefined ? undefined : runClaimedOperation(context, claimed, waitMs);
  });
}

/**
 * Runs an operation the caller has just recorded (same contract as runOperation), with what the
 * recording read. Recorded with `runNow`, it is leased to the caller already: the lease is renewed
 * (if still the caller's) only after a wait for the card's lock. Otherwise it is claimed.
 */
export async function runRecordedOperation(context: TsmContext, recorded: RecordedOperation, waitMs: number): Promise<Operation | undefined> {
  return underCardLock(context, recorded.cin, async () => {
    if (!await holdRecordedLease(context, recorded)) return undefined;
    return runClaimedOperation(context, {
      id: recorded.operationId, kind: recorded.kind, sp_name: recorded.spName, cin: recorded.cin, request: recorded.request, otaCarrier: recorded.otaCarrier,
    }, waitMs);
  });
}

/** True when the caller holds the recorded operation's lease now, with at least LEASE_MS - LEASE_RENEW_AFTER_MS of it left. */
async function holdRecordedLease(context: TsmContext, recorded: RecordedOperation): Promise<boolean> {
  const nowMs = context.now();
  const { leaseExpiresAt } = recorded;
  const leaseStillFresh = leaseExpiresAt !== undefined && leaseExpiresAt.getTime() - nowMs >= TsmLimits.LEASE_MS - TsmLimits.LEASE_RENEW_AFTER_MS;
  if (leaseStillFresh) return true;
  // A renewal conditional on the lease being the recorded one (nobody took it over), or the claim of a pending operation.
  const held = await context.db.updateTable('tsm.operations')
    .set({ state: 'running', lease_expires_at: new Date(nowMs + TsmLimits.LEASE_MS) })
    .where('id', '=', recorded.operationId).where('expires_at', '>', new Date(nowMs))
    .where((eb) => leaseExpiresAt === undefined
      ? eb('state', '=', 'pending')
      : eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '=', leaseExpiresAt)]))
    .returning('id')
    .executeTakeFirst();
  return held !== undefined;
}

/**
 * The claim, in one statement: the lease, and the element's OTA route as it is now. An operation
 * past its expiry is not claimed; it is failed (ERR_TSM_EXPIRED) instead.
 */
async function claimOperation(context: TsmContext, id: string): Promise<ClaimedOperation | undefined> {
  const now = new Date(context.now());
  const claimed = await context.db.updateTable('tsm.operations as o')
    .from(['tsm.secure_elements as se', 'tsm.mno_routes as r'])
    .set({ state: 'running', lease_expires_at: new Date(context.now() + TsmLimits.LEASE_MS) })
    .where('o.id', '=', id)
    .where((eb) => eb.or([eb('o.state', '=', 'pending'), eb.and([eb('o.state', '=', 'running'), eb('o.lease_expires_at', '<', now)])]))
    .where('o.expires_at', '>', now)
    .whereRef('se.cin', '=', 'o.cin').whereRef('r.mno', '=', 'se.mno')
    .returning(['o.kind', 'o.sp_name', 'o.cin', 'o.request', 'r.ota_carrier'])
    .executeTakeFirst();
  if (claimed === undefined) {
    await context.db.updateTable('tsm.operations')
      .set({ state: 'failed', error_code: TsmErrorCode.expired, error_message: 'the card did not come online in time', completed_at: now, lease_expires_at: null })
      .where('id', '=', id).where('state', 'in', ['pending', 'running']).where('expires_at', '<=', now).execute();
    return undefined;
  }
  return { id, kind: claimed.kind, sp_name: claimed.sp_name, cin: claimed.cin, request: claimed.request as OperationRequest, otaCarrier: claimed.ota_carrier };
}

async function runClaimedOperation(context: TsmContext, claimed: ClaimedOperation, waitMs: number): Promise<Operation | undefined> {
  const { id } = claimed;
  const link = await context.cards.linkFor(claimed.cin, waitMs, { otaCarrier: claimed.otaCarrier });
  if (link === undefined) {
    await context.db.updateTable('tsm.operations').set({ state: 'pending', lease_expires_at: null }).where('id', '=', id).execute();
    return undefined;
  }
  try {
    return claimed.kind === 'pre-personalization' ? await prePersonalize(context, link, claimed) : await activate(context, link, claimed);
  } catch (error) {
    const mapped = asCardError(error);
    const code = isTesseraError(mapped) ? mapped.code : 'ERR_INTERNAL';
    const message = isTesseraError(mapped) ? mapped.message : 'internal error';
    if (!isTesseraError(mapped)) context.logger.error({ err: error, operationId: id }, 'operation failed unexpectedly');
    const row = await context.db
      .with('failed', (qb) => qb.updateTable('tsm.operations')
        .set({ state: 'failed', error_code: code, error_message: message, completed_at: new Date(context.now()), lease_expires_at: null })
        .where('id', '=', id).returningAll())
      .with('audit', (qb) => qb.insertInto('tsm.audit_log').values(auditRow({ actor: claimed.sp_name, action: `${claimed.kind}.failed`, cin: claimed.cin, details: { operationId: id, code } })))
      .selectFrom('failed').selectAll()
      .executeTakeFirstOrThrow();
    return operationFromRow(row);
  }
}

type HandOverRow = Pick<Selectable<TsmDatabase['tsm.security_domains']>, 'aid' | 'key_version' | 'keyset_sealed' | 'keys_handed_over'>;

const readDomainForHandOver = queryTemplate((db: Kysely<TsmDatabase>, v: { cin: string; spName: string }) => db.selectFrom('tsm.security_domains')
  .select(['aid', 'key_version', 'keyset_sealed', 'keys_handed_over'])
  .where('cin', '=', v.cin).where('sp_name', '=', v.spName));

/** The mark, conditional on the row as read, and its audit line only when it was made. */
const markHandedOver = queryTemplate((db: Kysely<TsmDatabase>, v: { cin: string; aid: string; spName: string; keyVersion: number; sealed: Uint8Array; auditDetails: string }) => db
  .with('marked', (qb) => qb.updateTable('tsm.security_domains').set({ keys_handed_over: true })
    .where('cin', '=', v.cin).where('aid', '=', v.aid).where('sp_name', '=', v.spName)
    .where('keys_handed_over', '=', false).where('key_version', '=', v.keyVersion).where(sql<boolean>`keyset_sealed = ${v.sealed}`)
    .returning('cin'))
  .with('audit', () => auditEachRow('marked', { actor: v.spName, action: 'security-domain.keys-handed-over', detailsJson: v.auditDetails }))
  .selectFrom('marked').select('cin'));

async function readHandOver(context: TsmContext, spName: string, cin: string): Promise<HandOverRow & { key_version: number; keyset_sealed: Uint8Array }> {
  const row = (await readDomainForHandOver.execute(context.db, { cin, spName })).rows[0];
  if (row === undefined) throw tsmError(TsmErrorCode.notFound, 'you have no security domain on this element');
  const { key_version: keyVersion, keyset_sealed: sealed } = row;
  if (sealed === null || keyVersion === null) throw tsmError(TsmErrorCode.keysNotHeld, 'the TSM holds no keys for your domain');
  if (row.keys_handed_over) throw tsmError(TsmErrorCode.conflict, 'the provisional keys were handed over already');
  return { ...row, key_version: keyVersion, keyset_sealed: sealed };
}

/**
 * Hands the provisional keyset of the SP's new domain to the SP, once (seed 001: the SP then
 * rotates it with PUT KEY and the TSM forgets it). A second request is refused: keys are never
 * sent twice, and never stored in an idempotency record. The keys are opened before they are
 * marked handed over, and the mark (with its audit line) is conditional on the row as read: exactly
 * one caller gets them, and only a caller who gets them uses the hand-over up.
 */
export async function handOverProvisionalKeys(context: TsmContext, spName: string, cin: string): Promise<{ securityDomainAid: string; keyVersion: number; keys: { enc: string; mac: string; dek: string } }> {
  const row = await readHandOver(context, spName, cin);
  const { aid, key_version: keyVersion, keyset_sealed: sealed } = row;
  const keyset = openKeyset(context.keyStore, cin, aid, keyVersion, sealed);
  const marked = (await markHandedOver.execute(context.db, {
    cin, aid, spName, keyVersion, sealed, auditDetails: JSON.stringify({ aid, keyVersion }),
  })).rows[0];
  if (marked === undefined) {
    // The row changed since it was read (another hand-over, a rotation): say what it is now.
    await readHandOver(context, spName, cin);
    throw tsmError(TsmErrorCode.conflict, 'the provisional keys changed while being handed over; ask again');
  }
  return { securityDomainAid: aid, keyVersion, keys: { enc: toHex(keyset.enc), mac: toHex(keyset.mac), dek: toHex(keyset.dek) } };
}
