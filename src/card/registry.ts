import { ApplicationLifeCycle, CardLifeCycle, type CardState, type RegistryEntry, type SecurityDomainData } from './model.js';

/**
 * Look-ups over the GlobalPlatform registry (GP 2.3 §5.2 and §11.9 SELECT). AIDs are upper-case
 * hex strings; the registry keeps installation order, which SELECT by partial AID follows.
 */

export function findEntry(state: CardState, aid: string): RegistryEntry | undefined {
  return state.registry.find((entry) => entry.aid === aid);
}

export function issuerSecurityDomain(state: CardState): RegistryEntry {
  const isd = state.registry[0];
  if (isd === undefined || isd.kind !== 'isd') throw new Error('card state invariant: the ISD is the first registry entry');
  return isd;
}

export function securityDomainData(state: CardState, aid: string): SecurityDomainData | undefined {
  return state.securityDomains.find((domain) => domain.aid === aid);
}

export function isLocked(entry: RegistryEntry): boolean {
  return (entry.lifeCycle & ApplicationLifeCycle.lockedBit) !== 0;
}

export function isSecurityDomain(entry: RegistryEntry): boolean {
  return entry.kind !== 'application';
}

/**
 * Whether SELECT may choose this entry now. GP 2.3 §5.1: an application must be SELECTABLE (or
 * beyond) and not LOCKED; while the card is CARD_LOCKED only the ISD (and a Final Application) can
 * be selected; a TERMINATED card lets only the ISD be selected (for GET DATA).
 */
export function isSelectable(state: CardState, entry: RegistryEntry): boolean {
  if (entry.kind === 'isd') return true;
  if (state.lifeCycle === CardLifeCycle.terminated) return false;
  if (state.lifeCycle === CardLifeCycle.cardLocked && !entry.privileges.includes('finalApplication')) return false;
  if (isLocked(entry)) return false;
  return (entry.lifeCycle & ApplicationLifeCycle.selectable) === ApplicationLifeCycle.selectable;
}

/**
 * SELECT by DF name with partial matching (ISO/IEC 7816-4 §7.1.1, GP 2.3 §11.9.2): the first
 * selectable entry whose AID starts with `prefix`, or with P2 'next occurrence' the first one
 * after `after` in registry order.
 */
export function findSelectable(state: CardState, prefix: string, after?: string): RegistryEntry | undefined {
  let skipping = after !== undefined;
  for (const entry of state.registry) {
    if (skipping) {
      if (entry.aid === after) skipping = false;
      continue;
    }
    if (entry.aid.startsWith(prefix) && isSelectable(state, entry)) return entry;
  }
  return undefined;
}

/** The entry implicitly selected on the basic channel at reset: the one with the Card Reset privilege, else the ISD. */
export function defaultSelected(state: CardState): RegistryEntry {
  const chosen = state.registry.find((entry) => entry.privileges.includes('cardReset') && isSelectable(state, entry));
  return chosen ?? issuerSecurityDomain(state);
}

/** The chain of security domains from `aid`'s SD up to the ISD (an SD associated with itself ends it). */
export function securityDomainChain(state: CardState, aid: string): RegistryEntry[] {
  const chain: RegistryEntry[] = [];
  let current = findEntry(state, aid);
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current.aid)) {
    seen.add(current.aid);
    const domain = findEntry(state, current.associatedSecurityDomain);
    if (domain === undefined) break;
    if (domain.aid !== current.aid) chain.push(domain);
    if (domain.aid === current.aid || domain.kind === 'isd') break;
    current = domain;
  }
  return chain;
}
