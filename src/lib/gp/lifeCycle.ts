import {
  ApplicationLifeCycleState, CardLifeCycleState, ExecutableLoadFileLifeCycleState, SecurityDomainLifeCycleState,
} from './constants.js';

/**
 * Names for life cycle state bytes (GP 2.3 §5, coding §11.1.1), for logs, CLI output and tests.
 * A card reports whatever byte it holds, so these never throw: an unassigned value is named
 * 'UNKNOWN'. The card's own state machine decides which transitions are allowed.
 */

export type RegistryEntryKind = 'card' | 'executable-load-file' | 'application' | 'security-domain';

const LOCKED_LOW_BITS = 0x03;

/** Bit 8 on an application or SD state that keeps b2-b1 set: LOCKED (GP 2.3 §11.1.1). */
export function isLockedLifeCycleState(state: number): boolean {
  return (state & ApplicationLifeCycleState.LOCKED_BIT) !== 0 && (state & LOCKED_LOW_BITS) === LOCKED_LOW_BITS;
}

function cardStateName(state: number): string {
  for (const [name, value] of Object.entries(CardLifeCycleState)) if (value === state) return name;
  return 'UNKNOWN';
}

function applicationStateName(state: number): string {
  if (isLockedLifeCycleState(state)) return 'LOCKED';
  if (state === ApplicationLifeCycleState.INSTALLED) return 'INSTALLED';
  if (state === ApplicationLifeCycleState.SELECTABLE) return 'SELECTABLE';
  const low = ApplicationLifeCycleState.SELECTABLE;
  if ((state & 0x80) === 0 && (state & low) === low) return 'APPLICATION_SPECIFIC';
  return 'UNKNOWN';
}

function securityDomainStateName(state: number): string {
  if (isLockedLifeCycleState(state)) return 'LOCKED';
  if (state === SecurityDomainLifeCycleState.INSTALLED) return 'INSTALLED';
  if (state === SecurityDomainLifeCycleState.SELECTABLE) return 'SELECTABLE';
  if (state === SecurityDomainLifeCycleState.PERSONALIZED) return 'PERSONALIZED';
  return 'UNKNOWN';
}

/** 'SECURED', 'SELECTABLE', 'LOCKED', 'APPLICATION_SPECIFIC', 'UNKNOWN', … for a state byte of an entry of `kind`. */
export function lifeCycleStateName(kind: RegistryEntryKind, state: number): string {
  switch (kind) {
    case 'card':
      return cardStateName(state);
    case 'executable-load-file':
      return state === ExecutableLoadFileLifeCycleState.LOADED ? 'LOADED' : 'UNKNOWN';
    case 'application':
      return applicationStateName(state);
    case 'security-domain':
      return securityDomainStateName(state);
  }
}
