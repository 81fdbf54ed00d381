import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import type { Logger } from '../infra/log/index.js';
import type { GatewayDatabase } from './schema.js';

/** Knobs a deployment (or a test) may turn; every one has a default in limits.ts. */
export interface GatewayPolicy {
  readonly otpTtlMs: number;
  readonly otpAttemptsMax: number;
  readonly otpResendIntervalMs: number;
  readonly webhookRetryDelayMsBase: number;
  readonly webhookRetryDelayMsMax: number;
}

/** What every gateway operation needs; clock and randomness injected (DESIGN.md §2). */
export interface GatewayContext {
  readonly db: Kysely<GatewayDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  /** 32-byte key: HMAC of authorization codes, and AES-GCM sealing of webhook secrets. */
  readonly secretKey: Uint8Array;
  readonly policy: GatewayPolicy;
}
