import assert from 'node:assert/strict';
import { Kysely } from 'kysely';
import { SessionDialect } from './driver.js';
import type { EmbeddedDatabaseUsage, SessionSource } from './driver.js';
import { createPGliteSource } from './pglite.js';
import { createPostgresSource } from './postgres.js';

/** Pooled PostgreSQL connections per process, unless configured. */
export const POOL_CONNECTIONS_MAX = 10;
/** How long a query waits for a connection (pool or embedded session) before ERR_DB_UNAVAILABLE. */
export const CONNECTION_WAIT_MS_MAX = 30_000;
/** PostgreSQL only: the server cancels a statement running longer (PGlite has no timer for it). */
export const STATEMENT_TIMEOUT_MS = 30_000;
/** PostgreSQL only: the server ends a session idle inside a transaction this long, freeing its locks. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export type DatabaseDialectName = 'pglite' | 'postgres';

export interface DatabaseConfig {
  /** A PostgreSQL URL; when set it wins over `dataDir` (DESIGN.md §1.2: `serve` runs on a server). */
  readonly databaseUrl?: string | undefined;
  /** PGlite's data directory; with neither this nor `databaseUrl`, PGlite runs in memory. */
  readonly dataDir?: string | undefined;
  readonly poolConnectionsMax?: number | undefined;
  readonly connectionWaitMsMax?: number | undefined;
  readonly statementTimeoutMs?: number | undefined;
  readonly idleInTransactionTimeoutMs?: number | undefined;
  /** Shown in pg_stat_activity. */
  readonly applicationName?: string | undefined;
  /** Errors of idle pooled connections; pg discards such a connection itself, so the default ignores them. */
  readonly onIdleConnectionError?: ((error: Error) => void) | undefined;
}

export interface DatabaseHandle<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: DatabaseDialectName;
  /** Ends the pool or shuts PGlite down (flushing its data directory). Idempotent. */
  close(): Promise<void>;
  /** PGlite only: the calls into the embedded database so far and the time spent inside them. */
  usage(): EmbeddedDatabaseUsage | undefined;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  assert.ok(Number.isSafeInteger(chosen) && chosen > 0, `${name} must be a positive integer, got ${chosen}`);
  return chosen;
}

/**
 * Opens the database: PostgreSQL through a `pg` pool when `databaseUrl` is set, otherwise the
 * embedded PGlite. Both speak the same SQL and return the same JavaScript types (int8 → bigint,
 * timestamptz → Date, bytea → Uint8Array, json/jsonb → parsed values).
 */
export async function openDatabase<DB>(config: DatabaseConfig): Promise<DatabaseHandle<DB>> {
  const connectionWaitMsMax = positiveInteger(config.connectionWaitMsMax, CONNECTION_WAIT_MS_MAX, 'connectionWaitMsMax');
  let source: SessionSource;
  let dialect: DatabaseDialectName;
  if (config.databaseUrl !== undefined && config.databaseUrl !== '') {
    dialect = 'postgres';
    source = createPostgresSource({
      databaseUrl: config.databaseUrl,
      poolConnectionsMax: positiveInteger(config.poolConnectionsMax, POOL_CONNECTIONS_MAX, 'poolConnectionsMax'),
      connectionWaitMsMax,
      statementTimeoutMs: positiveInteger(config.statementTimeoutMs, STATEMENT_TIMEOUT_MS, 'statementTimeoutMs'),
      idleInTransactionTimeoutMs: positiveInteger(
        config.idleInTransactionTimeoutMs, IDLE_IN_TRANSACTION_TIMEOUT_MS, 'idleInTransactionTimeoutMs',
      ),
      applicationName: config.applicationName ?? 'tessera',
      onIdleConnectionError: config.onIdleConnectionError ?? (() => {}),
    });
  } else {
    dialect = 'pglite';
    source = await createPGliteSource({ dataDir: config.dataDir, sessionWaitMsMax: connectionWaitMsMax });
  }
  const db = new Kysely<DB>({ dialect: new SessionDialect(source) });
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect,
    usage: () => source.usage?.(),
    close(): Promise<void> {
      // Kysely destroys its driver only if a query ever initialised it; PGlite started already,
      // so the source is closed directly too (both sources make a second close a no-op).
      closing ??= db.destroy().then(() => source.destroy());
      return closing;
    },
  };
}
