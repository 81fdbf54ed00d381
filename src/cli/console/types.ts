import type { Kysely } from 'kysely';
import type { AuditReport, BankDatabase } from '../../bank/client.js';
import type { CardState } from '../../card/client.js';
import type { GatewayDatabase } from '../../gateway/client.js';
import type { SmscDatabase } from '../../smsc/client.js';
import type { TsmDatabase } from '../../tsm/client.js';

/** The console reads every service's schema on the one platform database. */
export type ConsoleDatabase = TsmDatabase & BankDatabase & SmscDatabase & GatewayDatabase;

/** One row of `tessera up`'s table (up.ts ServiceRow has this shape). */
export interface ConsoleService {
  readonly service: string;
  readonly state: string;
  readonly url?: string;
  readonly detail: string;
}

/**
 * A card's registry as the card itself holds it (GP 2.3 §11.1.3, GET STATUS): no keys, no applet
 * data — only what the console draws.
 */
export type ConsoleCard = Pick<CardState, 'cinHex' | 'profile' | 'lifeCycle' | 'registry' | 'loadFiles'> & {
  /** What the card is, for a person: `App SE of device 0123…`. */
  readonly label: string;
};

export interface ConsoleDeps {
  readonly db: Kysely<ConsoleDatabase>;
  /** What runs where (the overview); read at each request, so rows added after start show up. */
  readonly services: () => readonly ConsoleService[];
  /** The ledger audit (bank service.audit()); undefined while the bank is still starting. */
  readonly audit: () => Promise<AuditReport | undefined>;
  /** Cards whose real registry the console can read (the demo phone's App SE and Crypto SE). */
  readonly cards?: () => readonly ConsoleCard[];
  readonly now: () => number;
}
