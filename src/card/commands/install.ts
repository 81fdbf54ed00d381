import { toHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import {
  checkPrivilegeCombination, decodeInstallCommand, LOAD_NOT_STARTED, type InstallForExtradition, type InstallForInstall,
  type InstallForLoad, type InstallForMakeSelectable, type PrivilegeName, type InstallForPersonalization, type InstallForRegistryUpdate,
} from '../../lib/gp/index.js';
import { ApplicationLifeCycle, type CardState, type RegistryEntry } from '../model.js';
import { findEntry, isLocked, isSecurityDomain, securityDomainData } from '../registry.js';
import { SECURITY_DOMAIN_FIRMWARE_CLASS } from '../profiles.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { decodeOrFail, hasPrivilege, ISSUER_ONLY_PRIVILEGES, manages, NO_RECEIPT, requireAuthorizedManagement } from './common.js';

/** Registry entries a card holds at most (applications and security domains). */
export const REGISTRY_ENTRIES_MAX = 64;

/**
 * INSTALL (GP 2.3 §11.5): for load, install (and make selectable), make selectable,
 * extradition, registry update and personalization. Every variant needs an authenticated secure
 * channel; all but [for personalization] need Authorized Management on the domain addressed.
 */
export function handleInstall(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command } = context;
  if (command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const install = decodeOrFail(() => decodeInstallCommand(command.p1, command.data));
  switch (install.kind) {
    case 'load':
      return installForLoad(context, install);
    case 'install':
      return installForInstall(context, install);
    case 'make-selectable':
      return installForMakeSelectable(context, install);
    case 'extradition':
      return installForExtradition(context, install);
    case 'registry-update':
      return installForRegistryUpdate(context, install);
    case 'personalization':
      return installForPersonalization(context, install);
  }
}

function requireToken(token: Uint8Array): void {
  // Tokens come with delegated management, which this card refuses (common.ts); a token sent to
  // an Authorized Management domain is not expected and is refused rather than ignored.
  if (token.length !== 0) fail(StatusWord.conditionsOfUseNotSatisfied, 'tokens are not accepted');
}

function requireManaged(state: CardState, domain: RegistryEntry, aid: string): RegistryEntry {
  const entry = findEntry(state, aid);
  if (entry === undefined) fail(StatusWord.referencedDataNotFound, `no entry ${aid}`);
  if (!manages(state.registry, domain, entry)) fail(StatusWord.conditionsOfUseNotSatisfied, `${domain.aid} does not manage ${aid}`);
  return entry;
}

/** A domain the addressed domain may give content to: itself or one it manages, not locked. */
function requireTargetDomain(state: CardState, domain: RegistryEntry, aid: string): RegistryEntry {
  if (aid === domain.aid) return domain;
  const target = findEntry(state, aid);
  if (target === undefined || !isSecurityDomain(target)) fail(StatusWord.referencedDataNotFound, `no security domain ${aid}`);
  if (isLocked(target)) fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} is locked`);
  if (!manages(state.registry, domain, target)) fail(StatusWord.conditionsOfUseNotSatisfied, `${domain.aid} does not manage ${aid}`);
  return target;
}

function installForLoad(context: AuthenticatedCommand, install: InstallForLoad): CommandResult {
  requireAuthorizedManagement(context);
  requireToken(install.loadToken);
  const state = context.transaction.read;
  const loadFileAid = toHex(install.loadFileAID);
  if (state.loadFiles.some((file) => file.aid === loadFileAid) || findEntry(state, loadFileAid) !== undefined) {
    fail(StatusWord.incorrectData, `${loadFileAid} is already on the card`);
  }
  const target = install.securityDomainAID.length === 0 ? context.domain : requireTargetDomain(state, context.domain, toHex(install.securityDomainAID));
  const secureChannel = context.secureChannel;
  if (secureChannel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no secure channel');
  secureChannel.pendingLoad = {
    loadFileAid,
    targetSecurityDomain: target.aid,
    expectedHashHex: toHex(install.loadFileDataBlockHash),
    progress: LOAD_NOT_STARTED,
  };
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

/**
 * Privileges the addressed domain may grant: never more than it holds itself for the card-wide
 * ones, and a combination GP allows (GP 2.3 §6.6).
 */
function requireGrantable(domain: RegistryEntry, privileges: readonly PrivilegeName[]): void {
  decodeOrFail(() => checkPrivilegeCombination(privileges));
  if (domain.kind === 'isd') return;
  for (const privilege of privileges) {
    if (ISSUER_ONLY_PRIVILEGES.includes(privilege) && !hasPrivilege(domain, privilege)) {
      fail(StatusWord.securityStatusNotSatisfied, `${domain.aid} cannot grant ${privilege}`);
    }
  }
}

function installForInstall(context: AuthenticatedCommand, install: InstallForInstall): CommandResult {
  requireAuthorizedManagement(context);
  requireToken(install.installToken);
  const { domain } = context;
  const state = context.transaction.read;
  const loadFileAid = toHex(install.loadFileAID);
  const moduleAid = toHex(install.moduleAID);
  const aid = toHex(install.applicationAID);
  const loadFile = state.loadFiles.find((file) => file.aid === loadFileAid);
  if (loadFile === undefined) fail(StatusWord.referencedDataNotFound, `no load file ${loadFileAid}`);
  // The load file must belong to this domain's hierarchy, or to the ISD (whose files serve every domain).
  const isdAid = state.registry[0]?.aid;
  if (loadFile.associatedSecurityDomain !== domain.aid && domain.kind !== 'isd' && loadFile.associatedSecurityDomain !== isdAid) {
    const owner = findEntry(state, loadFile.associatedSecurityDomain);
    if (owner === undefined || !manages(state.registry, domain, owner)) fail(StatusWord.conditionsOfUseNotSatisfied, `${loadFileAid} is not ${domain.aid}'s`);
  }
  const module = loadFile.modules.find((candidate) => candidate.aid === moduleAid);
  if (module === undefined) fail(StatusWord.referencedDataNotFound, `no module ${moduleAid} in ${loadFileAid}`);
  const securityDomain = install.privileges.includes('securityDomain');
  // A security domain is an instance of the card's Security Domain module, and only that module makes one.
  if (securityDomain !== (module.firmwareClass === SECURITY_DOMAIN_FIRMWARE_CLASS)) {
    fail(StatusWord.incorrectData, securityDomain ? 'a security domain comes from the Security Domain module' : 'the Security Domain module makes only security domains');
  }
  if (!securityDomain && !context.firmware.has(module.firmwareClass)) fail(StatusWord.conditionsOfUseNotSatisfied, `the firmware has no class ${module.firmwareClass}`);
  if (findEntry(state, aid) !== undefined || state.loadFiles.some((file) => file.aid === aid)) fail(StatusWord.incorrectData, `${aid} exists`);
  if (state.registry.length >= REGISTRY_ENTRIES_MAX) fail(StatusWord.notEnoughMemory, 'registry full');
  requireGrantable(domain, install.privileges);

  const parameters = install.installParameters.applicationSpecific;
  const installParametersHex = parameters !== undefined && parameters.length > 0 ? toHex(parameters) : module.defaultInstallParametersHex ?? '';
  const lifeCycle = install.makeSelectable ? ApplicationLifeCycle.selectable : ApplicationLifeCycle.installed;
  const writable = context.transaction.write();
  const entry: RegistryEntry = {
    aid,
    kind: securityDomain ? 'security-domain' : 'application',
    lifeCycle,
    privileges: [...install.privileges],
    associatedSecurityDomain: domain.aid,
    loadFileAid,
    moduleAid,
    installParametersHex,
  };
  if (install.privileges.includes('cardReset')) {
    // One default-selected application per interface (GP 2.3 §6.6.1.4): the new one takes over.
    for (const other of writable.registry) other.privileges = other.privileges.filter((privilege) => privilege !== 'cardReset');
    entry.implicitlySelectable = true;
  }
  writable.registry.push(entry);
  if (securityDomain) {
    // A new security domain starts with a copy of its creator's current keyset, so the creator can
    // open a secure channel to it and replace the keys with PUT KEY (seed 001 fig. 3: the central
    // TSM creates the SP SD, then the SP rotates its keys and the TSM keeps none).
    const parent = securityDomainData(writable, domain.aid);
    const keyset = parent?.keysets.find((candidate) => candidate.version === context.secureChannel?.keyVersion) ?? parent?.keysets[0];
    writable.securityDomains.push({
      aid,
      keysets: keyset === undefined ? [] : [structuredClone(keyset)],
      sequenceCounter: 0,
      keyDiversificationDataHex: toHex(context.random.bytes(10)),
      storedData: {},
    });
  }
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

function installForMakeSelectable(context: AuthenticatedCommand, install: InstallForMakeSelectable): CommandResult {
  requireAuthorizedManagement(context);
  requireToken(install.token);
  const aid = toHex(install.applicationAID);
  requireManaged(context.transaction.read, context.domain, aid);
  const entry = findEntry(context.transaction.write(), aid) as RegistryEntry;
  if (entry.lifeCycle !== ApplicationLifeCycle.installed) fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} is not INSTALLED`);
  if (install.privileges.length > 0) {
    requireGrantable(context.domain, install.privileges);
    entry.privileges = [...install.privileges];
  }
  entry.lifeCycle = ApplicationLifeCycle.selectable;
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

/**
 * Extradition (GP 2.3 §11.5.2.3.5): associate an application (or load file) with another security
 * domain. Seed 001: generic applications are instantiated under the central SD and extradited
 * into the SP's domain.
 */
function installForExtradition(context: AuthenticatedCommand, install: InstallForExtradition): CommandResult {
  requireAuthorizedManagement(context);
  requireToken(install.token);
  const state = context.transaction.read;
  const aid = toHex(install.aid);
  const targetAid = toHex(install.securityDomainAID);
  const target = findEntry(state, targetAid);
  if (target === undefined || !isSecurityDomain(target)) fail(StatusWord.referencedDataNotFound, `no security domain ${targetAid}`);
  if (isLocked(target)) fail(StatusWord.conditionsOfUseNotSatisfied, `${targetAid} is locked`);
  if (target.aid === aid) fail(StatusWord.incorrectData, 'a domain cannot be extradited to itself');
  const writable = context.transaction.write();
  const file = writable.loadFiles.find((candidate) => candidate.aid === aid);
  if (file !== undefined) {
    if (file.associatedSecurityDomain !== context.domain.aid && context.domain.kind !== 'isd') fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} is not ${context.domain.aid}'s`);
    file.associatedSecurityDomain = targetAid;
    return { data: NO_RECEIPT, sw: StatusWord.noError };
  }
  requireManaged(state, context.domain, aid);
  // A domain may not end up associated with itself or its own descendants (no cycles).
  if (manages(state.registry, findEntry(state, aid) as RegistryEntry, target)) fail(StatusWord.conditionsOfUseNotSatisfied, 'extradition would create a cycle');
  (findEntry(writable, aid) as RegistryEntry).associatedSecurityDomain = targetAid;
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

function installForRegistryUpdate(context: AuthenticatedCommand, install: InstallForRegistryUpdate): CommandResult {
  requireAuthorizedManagement(context);
  requireToken(install.token);
  const aid = toHex(install.applicationAID);
  const state = context.transaction.read;
  requireManaged(state, context.domain, aid);
  if (install.securityDomainAID.length > 0) {
    return installForExtradition(context, { kind: 'extradition', securityDomainAID: install.securityDomainAID, aid: install.applicationAID, parameters: install.parameters, token: install.token });
  }
  requireGrantable(context.domain, install.privileges);
  (findEntry(context.transaction.write(), aid) as RegistryEntry).privileges = [...install.privileges];
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

/**
 * INSTALL [for personalization] (GP 2.3 §11.5.2.3.6): the following STORE DATA commands on this
 * secure channel go to the application, which must be associated with the addressed domain.
 */
function installForPersonalization(context: AuthenticatedCommand, install: InstallForPersonalization): CommandResult {
  const aid = toHex(install.applicationAID);
  const state = context.transaction.read;
  const entry = findEntry(state, aid);
  if (entry === undefined || isSecurityDomain(entry)) fail(StatusWord.referencedDataNotFound, `no application ${aid}`);
  if (entry.associatedSecurityDomain !== context.domain.aid) fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} is not associated with ${context.domain.aid}`);
  if (isLocked(entry)) fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} is locked`);
  const secureChannel = context.secureChannel;
  if (secureChannel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no secure channel');
  secureChannel.personalizationTarget = aid;
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

