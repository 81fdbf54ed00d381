import { TesseraError } from '../../lib/errors.js';

/**
 * Error codes of the database layer. Services map the failures they expect (a duplicate
 * merchant reference, an overdraft caught by a CHECK constraint) to their own domain codes;
 * these are what is left when they don't.
 */
export const DatabaseErrorCode = {
  /** 23505: a row with the same key already exists. */
  uniqueViolation: 'ERR_DB_UNIQUE_VIOLATION',
  /** 23503: a referenced row does not exist, or a referencing row still does. */
  foreignKeyViolation: 'ERR_DB_FOREIGN_KEY_VIOLATION',
  /** 23514: a CHECK constraint refused the row. */
  checkViolation: 'ERR_DB_CHECK_VIOLATION',
  /** 23502: a NOT NULL column was given no value. */
  notNullViolation: 'ERR_DB_NOT_NULL_VIOLATION',
  /** 40001 / 40P01 that outlived the retries: the caller may try again later. */
  transactionConflict: 'ERR_DB_TRANSACTION_CONFLICT',
  /** COMMIT answered ROLLBACK: an error inside the transaction was caught and not rethrown. */
  transactionAborted: 'ERR_DB_TRANSACTION_ABORTED',
  /** No connection could be had in time (pool exhausted, server down, embedded queue full). */
  unavailable: 'ERR_DB_UNAVAILABLE',
  /** The migrations recorded in the database are not a prefix of the ones listed in code. */
  migrationMismatch: 'ERR_DB_MIGRATION_MISMATCH',
} as const;
export type DatabaseErrorCode = (typeof DatabaseErrorCode)[keyof typeof DatabaseErrorCode];

/** Error codes of the idempotency store (DESIGN.md §4: the same key with another body is a 409). */
export const IdempotencyErrorCode = {
  /** The key was used before with a different request. */
  conflict: 'ERR_IDEMPOTENCY_CONFLICT',
  /** The first request with this key has not finished yet; retry later. */
  inProgress: 'ERR_IDEMPOTENCY_IN_PROGRESS',
  /** The key is empty, too long or not printable ASCII. */
  keyInvalid: 'ERR_IDEMPOTENCY_KEY_INVALID',
  /** The body is not plain JSON data, or nests too deep, so it has no canonical form to hash. */
  bodyInvalid: 'ERR_IDEMPOTENCY_BODY_INVALID',
} as const;
export type IdempotencyErrorCode = (typeof IdempotencyErrorCode)[keyof typeof IdempotencyErrorCode];

/** SQLSTATE values (PostgreSQL manual, appendix A) that the layer acts on. */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/** How far `sqlState` follows `cause` links; a longer chain is a programming error, not data. */
const ERROR_CAUSE_DEPTH_MAX = 8;

const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;

/** The fields that pg's and PGlite's `DatabaseError` share (both parse the same ErrorResponse). */
export interface DatabaseErrorInfo {
  readonly sqlState: string;
  readonly constraint: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * A server ErrorResponse as both drivers expose it: a five-character `code` and a `severity`.
 * The severity check keeps Node system errors out: 'EPIPE' or 'EPERM' also look like a SQLSTATE.
 */
function asServerError(value: unknown): DatabaseErrorInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const code = record['code'];
  if (typeof code !== 'string' || !SQLSTATE_PATTERN.test(code)) return undefined;
  if (typeof record['severity'] !== 'string') return undefined;
  return {
    sqlState: code,
    constraint: optionalString(record['constraint']),
    schema: optionalString(record['schema']),
    table: optionalString(record['table']),
    column: optionalString(record['column']),
  };
}

/**
 * The first PostgreSQL server error in `error`'s cause chain, from pg or PGlite. The chain is
 * followed so that a failure wrapped by a service (a TesseraError with the driver error as its
 * cause) is still recognised, for example as a serialization failure worth retrying.
 */
export function databaseErrorInfo(error: unknown): DatabaseErrorInfo | undefined {
  let current: unknown = error;
  for (let depth = 0; depth <= ERROR_CAUSE_DEPTH_MAX; depth++) {
    const info = asServerError(current);
    if (info !== undefined) return info;
    if (!(current instanceof Error)) return undefined;
    current = current.cause;
  }
  return undefined;
}

/** The SQLSTATE of the first database error in the cause chain, or undefined. */
export function sqlState(error: unknown): string | undefined {
  return databaseErrorInfo(error)?.sqlState;
}

/** Serialization failures and deadlocks: the transaction lost a race and may simply run again. */
export function isTransactionConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === SqlState.serializationFailure || state === SqlState.deadlockDetected;
}

/** True for a unique violation, optionally only on the named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const info = databaseErrorInfo(error);
  if (info?.sqlState !== SqlState.uniqueViolation) return false;
  return constraint === undefined || info.constraint === constraint;
}

interface Mapping {
  readonly code: DatabaseErrorCode;
  readonly httpStatus: number;
  readonly message: string;
}

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  [SqlState.uniqueViolation]: { code: DatabaseErrorCode.uniqueViolation, httpStatus: 409, message: 'a record with the same key already exists' },
  [SqlState.foreignKeyViolation]: { code: DatabaseErrorCode.foreignKeyViolation, httpStatus: 409, message: 'the record refers to, or is referred to by, another record' },
  [SqlState.checkViolation]: { code: DatabaseErrorCode.checkViolation, httpStatus: 422, message: 'the record breaks a rule of the data model' },
  [SqlState.notNullViolation]: { code: DatabaseErrorCode.notNullViolation, httpStatus: 422, message: 'a required value is missing' },
  [SqlState.serializationFailure]: { code: DatabaseErrorCode.transactionConflict, httpStatus: 503, message: 'the transaction conflicted with a concurrent one; try again' },
  [SqlState.deadlockDetected]: { code: DatabaseErrorCode.transactionConflict, httpStatus: 503, message: 'the transaction conflicted with a concurrent one; try again' },
};

/**
 * Maps a known PostgreSQL failure to a TesseraError, or returns undefined for anything else
 * (which the caller rethrows unchanged). `details` names the constraint and table so a service
 * can tell its constraints apart; the server's own `detail` text is left out because it quotes
 * the offending values, which may be personal data.
 */
export function mapDatabaseError(error: unknown): TesseraError | undefined {
  const info = databaseErrorInfo(error);
  if (info === undefined) return undefined;
  const mapping = MAPPINGS[info.sqlState];
  if (mapping === undefined) return undefined;
  const details: Record<string, string> = { sqlState: info.sqlState };
  if (info.constraint !== undefined) details['constraint'] = info.constraint;
  if (info.table !== undefined) details['table'] = info.table;
  return new TesseraError(mapping.code, mapping.message, { httpStatus: mapping.httpStatus, cause: error, details });
}
