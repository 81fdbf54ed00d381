import { sql, type Transaction } from 'kysely';
import { databaseErrorInfo, isUniqueViolation } from '../infra/db/index.js';
import { audit, auditRow } from './audit.js';
import { isValidSPName } from './pki/index.js';
import type { TsmContext } from './context.js';
import { tsmError, TsmErrorCode } from './errors.js';
import { sealKeyset, type Keyset } from './keys.js';
import type { SecurityDomainRole, TsmDatabase } from './schema.js';

/** Tessera's RID: SP security domains get AIDs F0 54 45 53 53 10 <SP number, 2 bytes>. */
export const SP_SECURITY_DOMAIN_AID_PREFIX = 'F05445535310';

/** PostgreSQL's name for tsm.secure_elements' reference to tsm.mno_routes (migration 0001). */
const SECURE_ELEMENT_MNO_FOREIGN_KEY = 'secure_elements_mno_fkey';

export function spSecurityDomainAid(sdNumber: number): string {
  return `${SP_SECURITY_DOMAIN_AID_PREFIX}${sdNumber.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What the SE maker or issuer hands the TSM at manufacture (issue 4 item 4). */
export interface SecureElementRegistration {
  readonly cin: string;
  readonly iin: string;
  readonly msi: string;
  readonly mno: string;
  readonly profile: string;
  readonly seType: 'embedded' | 'uicc';
  readonly gpVersion: string;
  readonly javacardVersion: string;
  readonly certificationLevel: string;
  readonly masterKeyIndex: number;
  readonly expiresAt: Date;
  /** The domains the TSM knows on this SE; keys only for those it manages (the central SD). */
  readonly domains: readonly { readonly aid: string; readonly role: SecurityDomainRole; readonly keyset?: Keyset }[];
}

export async function addMnoRoute(context: TsmContext, mno: string, otaCarrier: string, actor: string): Promise<void> {
  await context.db.insertInto('tsm.mno_routes').values({ mno, ota_carrier: otaCarrier })
    .onConflict((conflict) => conflict.column('mno').doUpdateSet({ ota_carrier: otaCarrier }))
    .execute();
  await audit(context.db, { actor, action: 'mno-route.set', details: { mno, otaCarrier } });
}

export async function addServiceProvider(context: TsmContext, name: string, actor: string): Promise<{ name: string; securityDomainAid: string }> {
  if (!isValidSPName(name)) throw tsmError(TsmErrorCode.invalid, 'an SP name is 1-63 lower-case letters, digits and inner hyphens');
  return context.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('tsm.service_providers').select(['name', 'sd_number']).where('name', '=', name).executeTakeFirst();
    if (existing !== undefined) return { name, securityDomainAid: spSecurityDomainAid(existing.sd_number) };
    const next = await trx.selectFrom('tsm.service_providers').select(sql<number>`coalesce(max(sd_number), 0) + 1`.as('next')).executeTakeFirstOrThrow();
    await trx.insertInto('tsm.service_providers').values({ name, sd_number: Number(next.next) }).execute();
    await audit(trx, { actor, action: 'service-provider.add', details: { name } });
    return { name, securityDomainAid: spSecurityDomainAid(Number(next.next)) };
  });
}

export async function registerSecureElement(context: TsmContext, registration: SecureElementRegistration, actor: string): Promise<void> {
  const sealed = registration.domains.map((domain) => ({
    cin: registration.cin,
    aid: domain.aid,
    role: domain.role,
    sp_name: null,
    key_version: domain.keyset?.version ?? null,
    keyset_sealed: domain.keyset === undefined ? null : sealKeyset(context.keyStore, registration.cin, domain.aid, domain.keyset),
  }));
  const audited = auditRow({ actor, action: 'secure-element.add', cin: registration.cin, details: { msi: registration.msi, mno: registration.mno, profile: registration.profile, domains: registration.domains.map((domain) => ({ aid: domain.aid, role: domain.role, keyVersion: domain.keyset?.version ?? null })) } });
  try {
    // The element, its domains and the audit line in one statement (atomic without a transaction);
    // the MNO's route is checked by its foreign key.
    const element = context.db.insertInto('tsm.secure_elements').values({
      cin: registration.cin,
      iin: registration.iin,
      msi: registration.msi,
      mno: registration.mno,
      profile: registration.profile,
      se_type: registration.seType,
      gp_version: registration.gpVersion,
      javacard_version: registration.javacardVersion,
      certification_level: registration.certificationLevel,
      master_key_index: registration.masterKeyIndex,
      expires_at: registration.expiresAt,
      state: 'active',
    });
    if (sealed.length === 0) {
      await context.db.with('element', () => element).insertInto('tsm.audit_log').values(audited).execute();
    } else {
      await context.db.with('element', () => element).with('domains', (qb) => qb.insertInto('tsm.security_domains').values(sealed))
        .insertInto('tsm.audit_log').values(audited).execute();
    }
  } catch (error) {
    if (isUniqueViolation(error)) throw tsmError(TsmErrorCode.conflict, 'a secure element with this CIN or MSI is registered already');
    if (databaseErrorInfo(error)?.constraint === SECURE_ELEMENT_MNO_FOREIGN_KEY) throw tsmError(TsmErrorCode.invalid, `no OTA route for MNO ${registration.mno}; add one first`);
    throw error;
  }
}

export interface ServiceRegistration {
  readonly serviceId: string;
  readonly version: string;
  readonly packageAid: string;
  readonly moduleAid: string;
  readonly instanceAid: string;
  readonly installParameters?: string;
  /** A load file to LOAD when the package is not preloaded on the card. */
  readonly loadFile?: Uint8Array;
}

export async function registerService(db: Transaction<TsmDatabase>, spName: string, service: ServiceRegistration): Promise<void> {
  try {
    await db.insertInto('tsm.services').values({
      service_id: service.serviceId,
      version: service.version,
      sp_name: spName,
      package_aid: service.packageAid,
      module_aid: service.moduleAid,
      instance_aid: service.instanceAid,
      load_file: service.loadFile ?? null,
      install_parameters: service.installParameters ?? '',
    }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw tsmError(TsmErrorCode.conflict, `service ${service.serviceId} ${service.version} exists`);
    throw error;
  }
  await audit(db, { actor: spName, action: 'service.add', details: { serviceId: service.serviceId, version: service.version, instanceAid: service.instanceAid } });
}

/** SE identifiers for an MSI (seed 001 fig. 2: the SP knows the subscriber, the TSM the element). */
export async function lookUpByMsi(context: TsmContext, msi: string): Promise<{ cin: string; iin: string }> {
  const row = await context.db.selectFrom('tsm.secure_elements').select(['cin', 'iin']).where('msi', '=', msi).executeTakeFirst();
  if (row === undefined) throw tsmError(TsmErrorCode.notFound, 'no secure element for this MSI');
  return row;
}

/** SE data as one SP may see it: the element's facts, and only that SP's domain and services. */
export async function secureElementData(context: TsmContext, spName: string, cin: string): Promise<SecureElementData> {
  const se = await context.db.selectFrom('tsm.secure_elements').selectAll().where('cin', '=', cin).executeTakeFirst();
  if (se === undefined) throw tsmError(TsmErrorCode.notFound, 'no such secure element');
  const domain = await context.db.selectFrom('tsm.security_domains').select(['aid', 'key_version', 'keyset_sealed', 'keys_handed_over'])
    .where('cin', '=', cin).where('sp_name', '=', spName).executeTakeFirst();
  const services = await context.db.selectFrom('tsm.service_instances').select(['service_id', 'service_version', 'instance_aid', 'state', 'prn'])
    .where('cin', '=', cin).where('sp_name', '=', spName).orderBy('service_id').execute();
  const route = await context.db.selectFrom('tsm.mno_routes').select('ota_carrier').where('mno', '=', se.mno).executeTakeFirstOrThrow();
  return {
    cin: se.cin,
    iin: se.iin,
    msi: se.msi,
    mno: se.mno,
    otaCarrier: route.ota_carrier,
    profile: se.profile,
    seType: se.se_type,
    gpVersion: se.gp_version,
    javacardVersion: se.javacard_version,
    certificationLevel: se.certification_level,
    masterKeyIndex: se.master_key_index,
    expiresAt: se.expires_at.toISOString(),
    state: se.state,
    serviceProvider: {
      securityDomainAid: domain?.aid ?? null,
      tsmHoldsKeys: domain !== undefined && domain.keyset_sealed !== null,
      services: services.map((service) => ({
        serviceId: service.service_id, version: service.service_version, instanceAid: service.instance_aid, state: service.state, prn: service.prn,
      })),
    },
  };
}

export interface SecureElementData {
  readonly cin: string;
  readonly iin: string;
  readonly msi: string;
  readonly mno: string;
  readonly otaCarrier: string;
  readonly profile: string;
  readonly seType: string;
  readonly gpVersion: string;
  readonly javacardVersion: string;
  readonly certificationLevel: string;
  readonly masterKeyIndex: number;
  readonly expiresAt: string;
  readonly state: string;
  readonly serviceProvider: {
    readonly securityDomainAid: string | null;
    readonly tsmHoldsKeys: boolean;
    readonly services: { serviceId: string; version: string; instanceAid: string; state: string; prn: string | null }[];
  };
}

