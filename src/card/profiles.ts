import { fromHex, toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import { CardErrorCode } from './errors.js';
import {
  ApplicationLifeCycle, CardLifeCycle, EXECUTABLE_LOAD_FILE_LOADED, type CardState, type RegistryEntry, type SecurityDomainData,
} from './model.js';
import {
  canonicalPrivileges, encodeCPLC, encodeCPLCDate, encodeLoadFile, loadFileDataBlockHash, type LoadFile, type PrivilegeName,
} from '../lib/gp/index.js';

/**
 * The four secure-element configurations of seed 001 (figs. 5-8), with the GlobalPlatform
 * privileges of its tables 1, 4 and 12.1/12.2. Where the tables' cells are ambiguous (their
 * columns collapse in the text), the choice follows GP 2.3 §6.6 roles and is noted below.
 */
export const PROFILE_NAMES = ['embedded', 'uicc', 'embedded-third-party', 'uicc-third-party'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** GlobalPlatform's default ISD AID (GP 2.3 §F.1 / the AID GP tools select by default). */
export const ISD_AID = 'A000000151000000';
/** Tessera's proprietary RID ('F' + "TESS"): AIDs of the domains and packages Tessera itself defines. */
export const TESSERA_RID = 'F054455353';
export const CENTRAL_SD_AID = `${TESSERA_RID}000001`;
export const MNO_SD_AID = `${TESSERA_RID}000002`;
export const THIRD_PARTY_SD_AID = `${TESSERA_RID}000003`;
export const MANDATED_DAP_SD_AID = `${TESSERA_RID}000004`;
export const CONTROLLING_AUTHORITY_SD_AID = `${TESSERA_RID}000005`;
/** The generic payment package preloaded under the central SD (seed 001: "payment data packages"). */
export const PAYMENT_PACKAGE_AID = `${TESSERA_RID}5041`;
export const PAYMENT_MODULE_AID = `${TESSERA_RID}504101`;
export const PPSE_MODULE_AID = `${TESSERA_RID}504102`;
/**
 * GlobalPlatform's Security Domain package and module (the AIDs GP reserves for them): every
 * supplementary security domain is an instance of it. Its class is built into the card, not an applet.
 */
export const SECURITY_DOMAIN_PACKAGE_AID = 'A0000001515350';
export const SECURITY_DOMAIN_MODULE_AID = 'A000000151535041';
export const SECURITY_DOMAIN_FIRMWARE_CLASS = 'globalplatform.security-domain';
/** Firmware classes the payment package's modules name; the payment applets implement them. */
export const PAYMENT_FIRMWARE_CLASS = 'tessera.payment.emv-contactless';
export const PPSE_FIRMWARE_CLASS = 'tessera.payment.ppse';
/** The generic payment package as a Tessera load file (docs/load-file-format.md). */
const PAYMENT_PACKAGE: LoadFile = {
  packageAID: fromHex(PAYMENT_PACKAGE_AID),
  version: { major: 1, minor: 0 },
  modules: [
    { aid: fromHex(PAYMENT_MODULE_AID), firmwareClass: PAYMENT_FIRMWARE_CLASS },
    { aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS },
  ],
};
/** The default GlobalPlatform test keys 40 41 … 4F (K-ENC = K-MAC = K-DEK), as GP tools assume. */
export const DEFAULT_TEST_KEY_HEX = '404142434445464748494A4B4C4D4E4F';

interface DomainPlan {
  readonly aid: string;
  readonly kind: 'isd' | 'security-domain';
  readonly privileges: readonly PrivilegeName[];
  readonly associatedSecurityDomain: string;
}

const SD_COMMON: readonly PrivilegeName[] = ['securityDomain'];

/** Seed 001 table 1 (fig. 5): the central SD is the card's root, so it is the ISD. */
const EMBEDDED: readonly DomainPlan[] = [
  { aid: ISD_AID, kind: 'isd', privileges: [...SD_COMMON, 'cardLock', 'cardTerminate', 'cvmManagement', 'authorizedManagement'], associatedSecurityDomain: ISD_AID },
];

/** Seed 001 table 4 (fig. 6): ISD creates the central and MNO SDs; both have Authorized Management. */
const UICC: readonly DomainPlan[] = [
  {
    aid: ISD_AID, kind: 'isd', associatedSecurityDomain: ISD_AID,
    privileges: [...SD_COMMON, 'cardLock', 'cardTerminate', 'cvmManagement', 'trustedPath', 'authorizedManagement', 'globalDelete', 'globalLock', 'globalRegistry'],
  },
  { aid: MNO_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'trustedPath', 'authorizedManagement'], associatedSecurityDomain: ISD_AID },
  { aid: CENTRAL_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'trustedPath', 'authorizedManagement'], associatedSecurityDomain: ISD_AID },
];

/**
 * Seed 001 tables 12.1/12.2 (figs. 7-8). Single cells whose column the text loses are read by GP
 * role: Mandated DAP to the mandated-DAP SD; Token Verification, Receipt Generation and the Global
 * privileges to the ISD (the card issuer controls delegated management); Global Service to the
 * controlling-authority SD, which serves key generation and certificates to other domains.
 */
function thirdPartyDomains(withMNO: boolean): DomainPlan[] {
  return [
    {
      aid: ISD_AID, kind: 'isd', associatedSecurityDomain: ISD_AID,
      privileges: [...SD_COMMON, 'cardLock', 'cardTerminate', 'cvmManagement', 'trustedPath', 'authorizedManagement', 'tokenVerification', 'globalDelete', 'globalLock', 'globalRegistry', 'receiptGeneration'],
    },
    ...(withMNO ? [{ aid: MNO_SD_AID, kind: 'security-domain' as const, privileges: [...SD_COMMON, 'trustedPath', 'authorizedManagement'] as PrivilegeName[], associatedSecurityDomain: ISD_AID }] : []),
    { aid: CENTRAL_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'trustedPath', 'authorizedManagement'], associatedSecurityDomain: ISD_AID },
    { aid: MANDATED_DAP_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'mandatedDAPVerification'], associatedSecurityDomain: ISD_AID },
    { aid: CONTROLLING_AUTHORITY_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'globalService'], associatedSecurityDomain: ISD_AID },
    { aid: THIRD_PARTY_SD_AID, kind: 'security-domain', privileges: [...SD_COMMON, 'dapVerification', 'trustedPath', 'authorizedManagement'], associatedSecurityDomain: ISD_AID },
  ];
}

const PLANS: Readonly<Record<ProfileName, readonly DomainPlan[]>> = {
  'embedded': EMBEDDED,
  'uicc': UICC,
  'embedded-third-party': thirdPartyDomains(false),
  'uicc-third-party': thirdPartyDomains(true),
};

/** Seed 001 tables 12.2 / 1 / 4: what an SP SD gets when the central TSM creates it. */
export const SP_SD_PRIVILEGES: readonly PrivilegeName[] = ['securityDomain', 'dapVerification', 'trustedPath'];
/** Seed 001 table 12.2: an SP SD with delegated management. */
export const SP_SD_DELEGATED_PRIVILEGES: readonly PrivilegeName[] = ['securityDomain', 'delegatedManagement', 'trustedPath'];

export interface NewCardOptions {
  readonly profile: ProfileName;
  /** Static SCP03 key for every domain's keyset 0x30 (K-ENC = K-MAC = K-DEK), 16/24/32 bytes. */
  readonly key?: Uint8Array;
  /** Per-domain keys, overriding `key` (the TSM gives each domain its own). */
  readonly domainKeys?: Readonly<Record<string, Uint8Array>>;
  readonly iin?: Uint8Array;
  readonly masterKeyIndex?: number;
  readonly random: RandomSource;
  /** Manufacturing time (CPLC dates); now when absent. */
  readonly manufacturedAt?: Date;
}

/** Key version number of the keyset a new card's domains start with (GP tools' usual initial KVN). */
export const INITIAL_KEY_VERSION = 0x30;

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** Card production life cycle data (GP 2.3 Annex H.6) of a card made now: serial and batch per chip. */
function cplcFor(random: RandomSource, now: Date): string {
  const start = Date.UTC(now.getUTCFullYear(), 0, 1);
  const today = encodeCPLCDate({ yearDigit: now.getUTCFullYear() % 10, dayOfYear: Math.floor((now.getTime() - start) / 86_400_000) + 1 });
  const serial = random.bytes(6);
  return toHex(encodeCPLC({
    icFabricator: 0x5445, // "TE": Tessera's virtual chips
    icType: 0x0001,
    operatingSystemIdentifier: 0x5453, // "TS"
    operatingSystemReleaseDate: today,
    operatingSystemReleaseLevel: 0x0100,
    icFabricationDate: today,
    icSerialNumber: ((serial[0] ?? 0) * 2 ** 24) + ((serial[1] ?? 0) << 16) + ((serial[2] ?? 0) << 8) + (serial[3] ?? 0),
    icBatchIdentifier: ((serial[4] ?? 0) << 8) | (serial[5] ?? 0),
    icModuleFabricator: 0,
    icModulePackagingDate: 0,
    iccManufacturer: 0,
    icEmbeddingDate: 0,
    icPrePersonalizer: 0,
    icPrePersonalizationEquipmentDate: 0,
    icPrePersonalizationEquipmentIdentifier: 0,
    icPersonalizer: 0,
    icPersonalizationDate: 0,
    icPersonalizationEquipmentIdentifier: 0,
  }));
}

function securityDomainData(aid: string, key: Uint8Array, random: RandomSource): SecurityDomainData {
  const keyHex = toHex(key);
  return {
    aid,
    keysets: [{ version: INITIAL_KEY_VERSION, keys: [1, 2, 3].map((id) => ({ id, type: 0x88, valueHex: keyHex })) }],
    sequenceCounter: 0,
    keyDiversificationDataHex: toHex(random.bytes(10)),
    storedData: {},
  };
}

/** Manufactures a card of the given profile, as an SE maker would before delivery (life cycle SECURED). */
export function newCardState(options: NewCardOptions): CardState {
  const plan = PLANS[options.profile];
  if (plan === undefined) throw new TesseraError(CardErrorCode.profileUnknown, `unknown card profile ${options.profile}`);
  const defaultKey = options.key ?? fromHex(DEFAULT_TEST_KEY_HEX);
  const registry: RegistryEntry[] = plan.map((domain) => ({
    aid: domain.aid,
    kind: domain.kind,
    lifeCycle: ApplicationLifeCycle.personalized,
    privileges: canonicalPrivileges(domain.privileges),
    associatedSecurityDomain: domain.associatedSecurityDomain,
  }));
  // The central SD (the ISD on an embedded SE) owns the preloaded generic payment package.
  const centralDomain = plan.some((domain) => domain.aid === CENTRAL_SD_AID) ? CENTRAL_SD_AID : ISD_AID;
  return {
    format: 'tessera-card/1',
    profile: options.profile,
    lifeCycle: CardLifeCycle.secured,
    iinHex: toHex(options.iin ?? fromHex('42544553534552')),
    cinHex: toHex(options.random.bytes(8)),
    cplcHex: cplcFor(options.random, options.manufacturedAt ?? new Date()),
    masterKeyIndex: options.masterKeyIndex ?? 1,
    registry,
    loadFiles: [{
      aid: SECURITY_DOMAIN_PACKAGE_AID,
      version: '1.0',
      lifeCycle: EXECUTABLE_LOAD_FILE_LOADED,
      associatedSecurityDomain: ISD_AID,
      modules: [{ aid: SECURITY_DOMAIN_MODULE_AID, firmwareClass: SECURITY_DOMAIN_FIRMWARE_CLASS }],
      // Part of the card's operating system (ROM): there is no load file data block to hash.
      dataBlockHashHex: '',
    }, {
      aid: PAYMENT_PACKAGE_AID,
      version: '1.0',
      lifeCycle: EXECUTABLE_LOAD_FILE_LOADED,
      associatedSecurityDomain: centralDomain,
      modules: PAYMENT_PACKAGE.modules.map((module) => ({ aid: toHex(module.aid), firmwareClass: module.firmwareClass })),
      // Loaded at the factory: the hash is that of the package's load file data block, as if LOADed.
      dataBlockHashHex: toHex(loadFileDataBlockHash(encodeLoadFile(PAYMENT_PACKAGE))),
    }],
    securityDomains: plan.map((domain) => securityDomainData(domain.aid, options.domainKeys?.[domain.aid] ?? defaultKey, options.random)),
    applets: {},
  };
}
