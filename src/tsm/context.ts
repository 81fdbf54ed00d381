import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import type { Logger } from '../infra/log/index.js';
import type { TsmKeyStore } from './keys.js';
import type { TsmDatabase } from './schema.js';
import type { CardLinkProvider } from './types.js';
import type { CardLocks } from './cardLocks.js';

/** Named limits of the TSM (TIGER_STYLE: every limit is a named constant, unit last). */
export const TsmLimits = {
  CONVERSATION_TTL_MS: 15 * 60_000,
  CONVERSATION_SCRIPTS_MAX: 32,
  SCRIPT_COMMANDS_MAX: 64,
  SCRIPT_BYTES_MAX: 16 * 1024,
  /** Queued scripts and operations wait this long for the card to come online. */
  QUEUE_TTL_MS: 24 * 60 * 60_000,
  /** How long an API call waits for the card's agent before answering "queued". */
  CARD_WAIT_MS: 2_000,
  /** A running operation's lease: another instance may take it over after this. */
  LEASE_MS: 60_000,
  /**
   * Work recorded already leased to the recording call (it runs it at once) is renewed before the
   * card work if the call waited longer than this for the card's lock, so the card work always
   * starts with close to a whole lease.
   */
  LEASE_RENEW_AFTER_MS: 1_000,
  AUDIT_DETAILS_BYTES_MAX: 4096,
} as const;

/** Everything the TSM's operations use: database, key store, the way to the cards, clock and randomness. */
export interface TsmContext {
  readonly db: Kysely<TsmDatabase>;
  readonly keyStore: TsmKeyStore;
  readonly cards: CardLinkProvider;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  /** How long API calls wait for a card before queueing (tests pin it short). */
  readonly cardWaitMs: number;
  /** Serializes card work per card (optional: a context that never talks to cards needs none). */
  readonly cardLocks?: CardLocks;
}
