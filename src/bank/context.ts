import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import type { BankDatabase } from './schema.js';

/** What every bank operation needs; clock and randomness injected so tests can pin them (DESIGN.md §2). */
export interface BankContext {
  readonly db: Kysely<BankDatabase>;
  /** Key-encryption key (AES, 16/24/32 bytes) sealing issuer master keys at rest. */
  readonly kek: Uint8Array;
  /** A CSPRNG in production: it makes ids and authorization codes. */
  readonly random: RandomSource;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

export function requireContext(context: BankContext): void {
  assert.ok([16, 24, 32].includes(context.kek.length), 'the key-encryption key must be an AES key');
}
