import { toHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import { ApplicationLifeCycle, CardLifeCycle, type CardState, type RegistryEntry } from '../model.js';
import { findEntry, isLocked } from '../registry.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { hasPrivilege, manages } from './common.js';

const SET_STATUS_CARD = 0x80;
const SET_STATUS_APPLICATION = 0x40;
const SET_STATUS_DOMAIN_AND_APPLICATIONS = 0x60;

/**
 * Card life cycle transitions (GP 2.3 §5.1.1): forward only through OP_READY → INITIALIZED →
 * SECURED, SECURED ⇄ CARD_LOCKED with the Card Lock privilege, and TERMINATED (for good) with
 * Card Terminate.
 */
function setCardState(context: AuthenticatedCommand, next: number): CommandResult {
  const { domain } = context;
  const current = context.transaction.read.lifeCycle;
  const issuer = domain.kind === 'isd';
  const allowed =
    (next === CardLifeCycle.initialized && current === CardLifeCycle.opReady && issuer) ||
    (next === CardLifeCycle.secured && current === CardLifeCycle.initialized && issuer) ||
    (next === CardLifeCycle.cardLocked && current === CardLifeCycle.secured && hasPrivilege(domain, 'cardLock')) ||
    (next === CardLifeCycle.secured && current === CardLifeCycle.cardLocked && hasPrivilege(domain, 'cardLock')) ||
    (next === CardLifeCycle.terminated && current !== CardLifeCycle.terminated && hasPrivilege(domain, 'cardTerminate'));
  if (!allowed) {
    const known: readonly number[] = Object.values(CardLifeCycle);
    if (!known.includes(next)) return { sw: StatusWord.incorrectP1P2 };
    fail(StatusWord.conditionsOfUseNotSatisfied, `card state ${current.toString(16)} → ${next.toString(16)} refused for ${domain.aid}`);
  }
  context.transaction.write().lifeCycle = next;
  return { sw: StatusWord.noError };
}

/** Who may lock or unlock an entry (GP 2.3 §9.3): its managing domains with Authorized Management, or a Global Lock domain. */
function mayLock(state: CardState, domain: RegistryEntry, entry: RegistryEntry): boolean {
  if (hasPrivilege(domain, 'globalLock')) return true;
  if (domain.kind !== 'isd' && !hasPrivilege(domain, 'authorizedManagement')) return false;
  return manages(state.registry, domain, entry);
}

function nextEntryState(entry: RegistryEntry, requested: number): number {
  if ((requested & ApplicationLifeCycle.lockedBit) !== 0) {
    if (isLocked(entry)) fail(StatusWord.conditionsOfUseNotSatisfied, `${entry.aid} is already locked`);
    return entry.lifeCycle | ApplicationLifeCycle.lockedBit;
  }
  if (isLocked(entry)) return entry.lifeCycle & ~ApplicationLifeCycle.lockedBit;
  // Application-specific states (GP 2.3 §11.1.1.3: '07' with b4-b7 free) move only forward from SELECTABLE.
  if (entry.kind === 'application' && (requested & 0x07) === 0x07 && (entry.lifeCycle & 0x07) === 0x07) return requested;
  if (entry.kind !== 'application' && requested === ApplicationLifeCycle.personalized && entry.lifeCycle === ApplicationLifeCycle.selectable) return requested;
  fail(StatusWord.incorrectP1P2, `state ${requested.toString(16)} cannot follow ${entry.lifeCycle.toString(16)}`);
}

/**
 * SET STATUS (GP 2.3 §11.10): the card's life cycle (P1 '80'), an application's or domain's
 * (P1 '40'), or a domain's together with everything associated with it (P1 '60'). Seed 001:
 * after an SP replaces its SD keys, the central SD can still lock that SD and its applications.
 */
export function handleSetStatus(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command, domain } = context;
  if (command.p1 === SET_STATUS_CARD) {
    // The data field is empty, or names the ISD (as GP libraries in the GPShell family send it).
    if (command.data.length !== 0 && toHex(command.data) !== context.transaction.read.registry[0]?.aid) return { sw: StatusWord.incorrectData };
    return setCardState(context, command.p2);
  }
  if (command.p1 !== SET_STATUS_APPLICATION && command.p1 !== SET_STATUS_DOMAIN_AND_APPLICATIONS) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length < 5 || command.data.length > 16) return { sw: StatusWord.wrongLength };
  const aid = toHex(command.data);
  const state = context.transaction.read;
  const entry = findEntry(state, aid);
  if (entry === undefined) return { sw: StatusWord.referencedDataNotFound };
  if (entry.kind === 'isd') fail(StatusWord.conditionsOfUseNotSatisfied, 'the ISD follows the card life cycle');
  if (!mayLock(state, domain, entry)) fail(StatusWord.securityStatusNotSatisfied, `${domain.aid} may not change ${aid}`);
  const targets = command.p1 === SET_STATUS_DOMAIN_AND_APPLICATIONS
    ? [entry, ...state.registry.filter((candidate) => manages(state.registry, entry, candidate))]
    : [entry];
  if (command.p1 === SET_STATUS_DOMAIN_AND_APPLICATIONS && entry.kind === 'application') return { sw: StatusWord.incorrectP1P2 };
  const locking = (command.p2 & ApplicationLifeCycle.lockedBit) !== 0;
  const writable = context.transaction.write();
  for (const target of targets) {
    const writableEntry = findEntry(writable, target.aid) as RegistryEntry;
    // Locking a domain with its applications skips those already locked; unlocking skips unlocked ones.
    if (targets.length > 1 && isLocked(writableEntry) === locking) continue;
    writableEntry.lifeCycle = nextEntryState(writableEntry, command.p2);
  }
  return { sw: StatusWord.noError };
}
