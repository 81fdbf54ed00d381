// The database layer's public surface (src/infra/db/README.md explains the choices).
export {
  openDatabase, CONNECTION_WAIT_MS_MAX, IDLE_IN_TRANSACTION_TIMEOUT_MS, POOL_CONNECTIONS_MAX, STATEMENT_TIMEOUT_MS,
} from './openDatabase.js';
export type { DatabaseConfig, DatabaseDialectName, DatabaseHandle } from './openDatabase.js';
export type { EmbeddedDatabaseUsage } from './driver.js';
export {
  migrate, MIGRATION_LOCK_CLASS, MIGRATION_NAME_LENGTH_MAX, MIGRATION_TABLE, MIGRATIONS_PER_SCHEMA_MAX,
} from './migrate.js';
export type { Migration, MigrationReport } from './migrate.js';
export {
  inTransaction, retryDelayMs, TRANSACTION_ATTEMPTS_MAX, TRANSACTION_RETRY_DELAY_MS_BASE, TRANSACTION_RETRY_DELAY_MS_MAX,
} from './inTransaction.js';
export type { TransactionIsolation, TransactionOptions } from './inTransaction.js';
export {
  createIdempotencyStore, idempotencyMigration, IDEMPOTENCY_KEY_LENGTH_MAX, IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_PURGE_BATCH_ROWS_MAX, IDEMPOTENCY_RESPONSE_BYTES_MAX, IDEMPOTENCY_RETENTION_MS, IDEMPOTENCY_SCOPE_LENGTH_MAX,
  IDEMPOTENCY_TABLE,
} from './idempotency.js';
export type {
  IdempotencyOutcome, IdempotencyRequest, IdempotencyStore, IdempotencyStoreOptions, IdempotentResponse, JsonValue,
} from './idempotency.js';
export { canonicalJson, hashRequest, CANONICAL_JSON_DEPTH_MAX, REQUEST_HASH_BYTES } from './hashRequest.js';
export type { HashedRequest } from './hashRequest.js';
export {
  databaseErrorInfo, DatabaseErrorCode, IdempotencyErrorCode, isTransactionConflict, isUniqueViolation, mapDatabaseError,
  sqlState, SqlState,
} from './errors.js';
export type { DatabaseErrorInfo } from './errors.js';
export { queryTemplate } from './queryTemplate.js';
export type { QueryTemplate } from './queryTemplate.js';
