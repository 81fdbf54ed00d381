import { concatBytes, fromHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import {
  aidMatchesSearchQualifier, decodeGetStatusCriteria, encodeLegacyRegistryEntries, encodePrivileges, encodeRegistryEntry,
  GetStatusP1, GetStatusP2, paginateRegistryEntries, type RegistryEntry as GPRegistryEntry,
} from '../../lib/gp/index.js';
import type { CardState, RegistryEntry } from '../model.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { decodeOrFail, hasPrivilege, manages } from './common.js';

/**
 * Response data per page: a short response carries 256 bytes, and the secure channel may add an
 * 8-byte R-MAC and up to 16 bytes of R-ENC padding, so pages stay well below.
 */
export const GET_STATUS_PAGE_BYTES_MAX = 224;

/**
 * What the requesting domain may see (GP 2.3 §11.4.1): the ISD and domains with the Global
 * Registry privilege see everything; any other domain sees itself and what it manages.
 */
function visible(state: CardState, domain: RegistryEntry, aid: string, associated: string): boolean {
  if (domain.kind === 'isd' || hasPrivilege(domain, 'globalRegistry')) return true;
  if (aid === domain.aid || associated === domain.aid) return true;
  // Content of a domain this one manages is this one's too (GP 2.3 §7.2 hierarchy).
  const owner = state.registry.find((candidate) => candidate.aid === associated);
  return owner !== undefined && manages(state.registry, domain, owner);
}

function registryEntries(state: CardState, domain: RegistryEntry, p1: number): GPRegistryEntry[] {
  if (p1 === GetStatusP1.issuerSecurityDomain) {
    const isd = state.registry[0] as RegistryEntry;
    return [{ aid: fromHex(isd.aid), lifeCycleState: state.lifeCycle, privileges: isd.privileges, implicitSelectionParameters: [], executableModuleAIDs: [], associatedSecurityDomainAID: fromHex(isd.aid), other: [] }];
  }
  if (p1 === GetStatusP1.applicationsAndSecurityDomains) {
    return state.registry
      .filter((entry) => entry.kind !== 'isd' && visible(state, domain, entry.aid, entry.associatedSecurityDomain))
      .map((entry) => ({
        aid: fromHex(entry.aid),
        lifeCycleState: entry.lifeCycle,
        privileges: entry.privileges,
        implicitSelectionParameters: entry.implicitlySelectable === true ? [0x80] : [],
        ...(entry.loadFileAid === undefined ? {} : { executableLoadFileAID: fromHex(entry.loadFileAid) }),
        executableModuleAIDs: entry.moduleAid === undefined ? [] : [fromHex(entry.moduleAid)],
        associatedSecurityDomainAID: fromHex(entry.associatedSecurityDomain),
        other: [],
      }));
  }
  const withModules = p1 === GetStatusP1.executableLoadFilesAndModules;
  return state.loadFiles
    .filter((file) => visible(state, domain, file.aid, file.associatedSecurityDomain))
    .map((file) => ({
      aid: fromHex(file.aid),
      lifeCycleState: file.lifeCycle,
      implicitSelectionParameters: [],
      executableLoadFileVersion: Uint8Array.from(file.version.split('.').map(Number)),
      executableModuleAIDs: withModules ? file.modules.map((module) => fromHex(module.aid)) : [],
      associatedSecurityDomainAID: fromHex(file.associatedSecurityDomain),
      other: [],
    }));
}

/**
 * GET STATUS (GP 2.3 §11.4): the registry as the requesting domain may see it, in the tag-list
 * format ('E3' templates) or the legacy one, in pages of whole entries; a response that does not
 * hold everything ends in 6310 and P2 'next occurrence' fetches the rest.
 */
export function handleGetStatus(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command, secureChannel } = context;
  if (secureChannel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no secure channel');
  const format = command.p2 & ~GetStatusP2.nextOccurrence;
  if (format !== GetStatusP2.tagListFormat && format !== GetStatusP2.legacyFormat) return { sw: StatusWord.incorrectP1P2 };
  const p1s: readonly number[] = Object.values(GetStatusP1);
  if (!p1s.includes(command.p1)) return { sw: StatusWord.incorrectP1P2 };

  if ((command.p2 & GetStatusP2.nextOccurrence) !== 0) {
    const pages = secureChannel.getStatusPages;
    if (pages === undefined || pages.length === 0) return { sw: StatusWord.referencedDataNotFound };
    const [page = new Uint8Array(0), ...rest] = pages;
    secureChannel.getStatusPages = rest;
    return { data: page, sw: rest.length > 0 ? StatusWord.moreDataAvailable : StatusWord.noError };
  }

  const criteria = decodeOrFail(() => decodeGetStatusCriteria(command.data));
  const entries = registryEntries(context.transaction.read, context.domain, command.p1)
    .filter((entry) => aidMatchesSearchQualifier(entry.aid, criteria.aidQualifier));
  if (entries.length === 0) return { sw: StatusWord.referencedDataNotFound };

  const encoded = format === GetStatusP2.tagListFormat
    ? entries.map((entry) => encodeRegistryEntry(entry, criteria.tagList))
    : entries.map((entry) => encodeLegacyRegistryEntries([{
        aid: entry.aid,
        lifeCycleState: entry.lifeCycleState,
        privileges: (encodePrivileges(entry.privileges ?? [], 3)[0] ?? 0),
        ...(command.p1 === GetStatusP1.executableLoadFilesAndModules ? { executableModuleAIDs: entry.executableModuleAIDs } : {}),
      }], command.p1 === GetStatusP1.executableLoadFilesAndModules));
  const [first, ...rest] = paginateRegistryEntries(encoded, GET_STATUS_PAGE_BYTES_MAX);
  secureChannel.getStatusPages = rest;
  return { data: first ?? concatBytes(), sw: rest.length > 0 ? StatusWord.moreDataAvailable : StatusWord.noError };
}
