import { isTesseraError } from '../../lib/errors.js';
import { StatusWord } from '../../lib/status-words.js';
import type { PrivilegeName } from '../../lib/gp/index.js';
import type { RegistryEntry } from '../model.js';
import { fail } from '../statusError.js';
import type { AuthenticatedCommand } from '../securityDomain.js';

/**
 * Runs a GP codec and turns its typed error into the status word it names (lib/gp puts the card's
 * answer in `details.statusWord`); anything else a decoder throws is malformed data (6A80).
 */
export function decodeOrFail<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isTesseraError(error)) {
      const sw = error.details?.['statusWord'];
      fail(typeof sw === 'number' ? sw : StatusWord.incorrectData, error.message);
    }
    throw error;
  }
}

export function hasPrivilege(entry: RegistryEntry, privilege: PrivilegeName): boolean {
  return entry.privileges.includes(privilege);
}

/**
 * GP 2.3 §9.1: card content management happens through the ISD or a security domain with the
 * Authorized Management privilege. Delegated Management needs pre-authorization tokens, which
 * this card does not verify yet, so a DM-only domain is refused (fail closed).
 */
export function requireAuthorizedManagement(context: AuthenticatedCommand): void {
  const { domain } = context;
  if (domain.kind === 'isd' || hasPrivilege(domain, 'authorizedManagement')) return;
  fail(StatusWord.securityStatusNotSatisfied, `${domain.aid} has no Authorized Management privilege`);
}

/**
 * Whether `domain` manages `entry`: the entry is associated with it, or with a domain it
 * manages, up the association chain (GP 2.3 §7.2 security domain hierarchy).
 */
export function manages(registry: readonly RegistryEntry[], domain: RegistryEntry, entry: RegistryEntry): boolean {
  const seen = new Set<string>();
  let current: RegistryEntry | undefined = entry;
  while (current !== undefined && !seen.has(current.aid)) {
    seen.add(current.aid);
    if (current.associatedSecurityDomain === domain.aid && current.aid !== domain.aid) return true;
    if (current.associatedSecurityDomain === current.aid) return false;
    const parentAid: string = current.associatedSecurityDomain;
    current = registry.find((candidate) => candidate.aid === parentAid);
  }
  return false;
}

/** Privileges only the card issuer's domain hands out (GP 2.3 §6.6.1: card-wide authority). */
export const ISSUER_ONLY_PRIVILEGES: readonly PrivilegeName[] = [
  'cardLock', 'cardTerminate', 'cardReset', 'cvmManagement', 'authorizedManagement', 'tokenVerification',
  'globalDelete', 'globalLock', 'globalRegistry', 'globalService', 'receiptGeneration', 'mandatedDAPVerification',
  'finalApplication',
];

/** The '00' response data of INSTALL, LOAD and DELETE when no receipt is generated (GP 2.3 §11.5.3). */
export const NO_RECEIPT = Uint8Array.of(0x00);
