import { toHex } from '../../bytes.js';
import type { LegacyRegistryEntry } from '../legacyRegistryEntry.js';
import { lifeCycleStateName, type RegistryEntryKind } from '../lifeCycle.js';
import { decodePrivileges, type PrivilegeName } from '../privileges.js';
import type { RegistryEntry } from '../registryEntry.js';

/**
 * The GlobalPlatform registry as a host reads it with GET STATUS (GP 2.3 §11.4): one list per
 * P1, each entry normalized so tag-list and legacy answers look alike. AIDs stay bytes; the
 * `...Hex` fields are upper-case hex for display and comparison.
 */

export type ManagedEntryKind = Exclude<RegistryEntryKind, 'card'> | 'issuer-security-domain';

export interface ManagedEntry {
  readonly kind: ManagedEntryKind;
  readonly aid: Uint8Array;
  readonly aidHex: string;
  readonly lifeCycleState: number;
  /** LOADED, INSTALLED, SELECTABLE, PERSONALIZED, LOCKED, SECURED, … (lifeCycleStateName). */
  readonly lifeCycleStateName: string;
  /** Empty for Executable Load Files. */
  readonly privileges: readonly PrivilegeName[];
  /** Absent when the card does not say (legacy format). */
  readonly associatedSecurityDomainAIDHex?: string;
  /** Applications and SDs: the Executable Load File they come from, when the card says. */
  readonly executableLoadFileAIDHex?: string;
  /** Executable Load Files: version number bytes ('CE'), hex. */
  readonly versionHex?: string;
  /** Executable Load Files read with P1 '10': their modules. */
  readonly moduleAIDsHex: readonly string[];
}

export interface CardRegistry {
  /** Which GET STATUS response format the card spoke (P2 '02' tag list, or legacy P2 '00'). */
  readonly format: 'tag-list' | 'legacy';
  /** The card life cycle as GET STATUS P1 '80' reports it on the ISD entry (GP 2.3 §11.4.3). */
  readonly cardLifeCycleState: number;
  readonly cardLifeCycleStateName: string;
  readonly issuerSecurityDomain: ManagedEntry;
  /** Applications and Supplementary Security Domains (P1 '40'). */
  readonly applications: readonly ManagedEntry[];
  /** Executable Load Files, with modules when the card answers P1 '10' (else P1 '20', without). */
  readonly loadFiles: readonly ManagedEntry[];
}

/** Which part of the registry a GET STATUS answered, so each entry gets its kind. */
export type RegistryScope = 'issuer-security-domain' | 'applications' | 'load-files';

function kindOf(scope: RegistryScope, privileges: readonly PrivilegeName[]): ManagedEntryKind {
  if (scope === 'issuer-security-domain') return 'issuer-security-domain';
  if (scope === 'load-files') return 'executable-load-file';
  return privileges.includes('securityDomain') ? 'security-domain' : 'application';
}

function stateName(kind: ManagedEntryKind, state: number): string {
  // The ISD's entry carries the card life cycle (GP 2.3 §11.4.3.1, Table 11-36 note).
  if (kind === 'issuer-security-domain') return lifeCycleStateName('card', state);
  return lifeCycleStateName(kind, state);
}

export function managedEntryFromTagList(scope: RegistryScope, entry: RegistryEntry): ManagedEntry {
  const privileges = entry.privileges ?? [];
  const kind = kindOf(scope, privileges);
  return {
    kind,
    aid: entry.aid,
    aidHex: toHex(entry.aid),
    lifeCycleState: entry.lifeCycleState,
    lifeCycleStateName: stateName(kind, entry.lifeCycleState),
    privileges: kind === 'executable-load-file' ? [] : privileges,
    ...(entry.associatedSecurityDomainAID === undefined ? {} : { associatedSecurityDomainAIDHex: toHex(entry.associatedSecurityDomainAID) }),
    ...(entry.executableLoadFileAID === undefined || kind === 'executable-load-file'
      ? {}
      : { executableLoadFileAIDHex: toHex(entry.executableLoadFileAID) }),
    ...(entry.executableLoadFileVersion === undefined ? {} : { versionHex: toHex(entry.executableLoadFileVersion) }),
    moduleAIDsHex: entry.executableModuleAIDs.map((module) => toHex(module)),
  };
}

export function managedEntryFromLegacy(scope: RegistryScope, entry: LegacyRegistryEntry): ManagedEntry {
  // The legacy format carries one privilege byte: byte 1 of GP 2.3's three (GP 2.3 §11.4.3.2).
  const privileges = scope === 'load-files' ? [] : decodePrivileges(Uint8Array.of(entry.privileges));
  const kind = kindOf(scope, privileges);
  return {
    kind,
    aid: entry.aid,
    aidHex: toHex(entry.aid),
    lifeCycleState: entry.lifeCycleState,
    lifeCycleStateName: stateName(kind, entry.lifeCycleState),
    privileges,
    moduleAIDsHex: (entry.executableModuleAIDs ?? []).map((module) => toHex(module)),
  };
}
