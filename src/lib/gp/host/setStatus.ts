import { ApplicationLifeCycleState, CardLifeCycleState } from '../constants.js';

/**
 * SET STATUS (GP 2.3 §11.10): P1 the status type, P2 the state control, data the target AID.
 *
 *   P1 '80'  the Issuer Security Domain, i.e. the card life cycle; P2 the new card state
 *            ('7F' CARD_LOCKED, 'FF' TERMINATED, '0F' back to SECURED from CARD_LOCKED)
 *   P1 '40'  an application or a Supplementary Security Domain
 *   P1 '60'  a Security Domain and its associated applications
 *
 * For P1 '40' and '60', P2 b8 set locks and b8 clear unlocks (the entry returns to the state it
 * had before it was locked, §5.3.1); other values of b7-b1 move a SELECTABLE application to an
 * application-specific state. This is the coding GlobalPlatformPro sends.
 */
export const SetStatusP1 = {
  issuerSecurityDomain: 0x80,
  applicationOrSecurityDomain: 0x40,
  securityDomainAndApplications: 0x60,
} as const;

export type SetStatusTarget =
  | { readonly kind: 'card'; readonly state: 'lock' | 'unlock' | 'terminate' }
  | { readonly kind: 'application'; readonly aid: Uint8Array; readonly state: 'lock' | 'unlock' }
  | { readonly kind: 'security-domain-and-applications'; readonly aid: Uint8Array; readonly state: 'lock' | 'unlock' }
  /** A raw state byte for an application ('07' | application-specific bits), GP 2.3 §11.1.1. */
  | { readonly kind: 'application-state'; readonly aid: Uint8Array; readonly state: number };

export interface SetStatusParts {
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
}

const CARD_STATE: Readonly<Record<'lock' | 'unlock' | 'terminate', number>> = {
  lock: CardLifeCycleState.CARD_LOCKED,
  unlock: CardLifeCycleState.SECURED,
  terminate: CardLifeCycleState.TERMINATED,
};

function lockP2(state: 'lock' | 'unlock'): number {
  return state === 'lock' ? ApplicationLifeCycleState.LOCKED_BIT : 0x00;
}

export function buildSetStatusCommand(target: SetStatusTarget): SetStatusParts {
  switch (target.kind) {
    case 'card':
      return { p1: SetStatusP1.issuerSecurityDomain, p2: CARD_STATE[target.state], data: new Uint8Array(0) };
    case 'application':
      return { p1: SetStatusP1.applicationOrSecurityDomain, p2: lockP2(target.state), data: target.aid.slice() };
    case 'security-domain-and-applications':
      return { p1: SetStatusP1.securityDomainAndApplications, p2: lockP2(target.state), data: target.aid.slice() };
    case 'application-state':
      return { p1: SetStatusP1.applicationOrSecurityDomain, p2: target.state, data: target.aid.slice() };
  }
}

export function describeSetStatusTarget(target: SetStatusTarget): string {
  return target.kind === 'card' ? `SET STATUS card ${target.state}` : `SET STATUS ${target.kind}`;
}
