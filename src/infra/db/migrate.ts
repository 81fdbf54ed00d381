import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { TesseraError } from '../../lib/errors.js';
import { DatabaseErrorCode } from './errors.js';

/**
 * One forward-only schema change. Migrations are listed in code, in order, so PGlite and
 * PostgreSQL run exactly the same ones; a migration never imports application code (the code
 * changes, the migration must not).
 */
export interface Migration {
  /** Stable for ever once released: the database records it, and a rename reads as a removal. */
  readonly name: string;
  // A migration sees the database as it was at that point in history, not as today's typed
  // Database interface describes it, hence Kysely<any>.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
}

export interface MigrationReport {
  /** Names applied by this call, in order; empty when the schema was up to date. */
  readonly applied: readonly string[];
}

/** The table, inside each service's schema, that records which migrations have run. */
export const MIGRATION_TABLE = 'schema_migrations';
/** Migrations per schema at most; the list is code, so this catches a runaway generator. */
export const MIGRATIONS_PER_SCHEMA_MAX = 1_000;
export const MIGRATION_NAME_LENGTH_MAX = 200;
/**
 * First key of the two-key advisory lock (the second is hashtext(schema)); an arbitrary int4,
 * 'TESS' in ASCII, so these locks cannot meet any single-key advisory lock a service might take.
 */
export const MIGRATION_LOCK_CLASS = 0x54455353;

/** Unquoted PostgreSQL identifiers of at most 63 bytes (NAMEDATALEN - 1), not a system schema. */
const SCHEMA_NAME_PATTERN = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  assert.match(schema, SCHEMA_NAME_PATTERN, `schema name must be a lower-case identifier, got "${schema}"`);
}

function assertMigrationList(migrations: readonly Migration[]): void {
  assert.ok(migrations.length <= MIGRATIONS_PER_SCHEMA_MAX, `more than ${MIGRATIONS_PER_SCHEMA_MAX} migrations`);
  const seen = new Set<string>();
  for (const migration of migrations) {
    assert.ok(migration.name.length > 0, 'a migration needs a name');
    assert.ok(migration.name.length <= MIGRATION_NAME_LENGTH_MAX, `migration name longer than ${MIGRATION_NAME_LENGTH_MAX}: ${migration.name}`);
    assert.ok(!seen.has(migration.name), `migration "${migration.name}" is listed twice`);
    seen.add(migration.name);
  }
}

interface RecordedMigration {
  readonly position: number;
  readonly name: string;
}

/** The recorded migrations must be the first entries of the list, in the same order. */
function checkRecordedPrefix(schema: string, recorded: readonly RecordedMigration[], migrations: readonly Migration[]): void {
  if (recorded.length > migrations.length) {
    const first = recorded[migrations.length];
    throw new TesseraError(
      DatabaseErrorCode.migrationMismatch,
      `schema "${schema}" has ${recorded.length} migrations applied but the code lists ${migrations.length} (first unknown: "${first?.name}"); is this an older build?`,
      { details: { schema, recordedCount: recorded.length, listedCount: migrations.length } },
    );
  }
  for (const [position, row] of recorded.entries()) {
    const listed = migrations[position];
    assert.ok(listed !== undefined);
    if (row.position !== position || row.name !== listed.name) {
      throw new TesseraError(
        DatabaseErrorCode.migrationMismatch,
        `schema "${schema}" recorded migration ${row.position} as "${row.name}" but the code lists "${listed.name}" at position ${position}; ` +
          'migrations are forward-only: never remove, rename or reorder one, add a new one',
        { details: { schema, position, expected: listed.name, received: row.name } },
      );
    }
  }
}

/**
 * Applies the next pending migration, if any, in the transaction `trx`, and returns its name.
 *
 * The advisory lock makes concurrent migrators (two instances starting together) take turns; it
 * is transaction-scoped, so a crashed migrator cannot leave it held. This relies on READ
 * COMMITTED: each statement after the lock sees what the previous holder committed, whereas a
 * SERIALIZABLE snapshot would be taken at the lock statement, before the wait.
 */
async function applyNext(trx: Transaction<unknown>, schema: string, migrations: readonly Migration[]): Promise<string | undefined> {
  const table = sql.table(`${schema}.${MIGRATION_TABLE}`);
  await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}::integer, hashtext(${schema}::text))`.execute(trx);
  const existing = await sql<{ found: boolean }>`select to_regclass(${`"${schema}"."${MIGRATION_TABLE}"`}::text) is not null as found`.execute(trx);
  if (existing.rows[0]?.found !== true) {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table ${table} (
      position integer primary key check (position >= 0),
      name text not null unique,
      applied_at timestamptz not null default now()
    )`.execute(trx);
  }
  const recorded = await sql<RecordedMigration>`select position, name from ${table} order by position`.execute(trx);
  checkRecordedPrefix(schema, recorded.rows, migrations);
  const position = recorded.rows.length;
  const next = migrations[position];
  if (next === undefined) return undefined;
  // Names in migrations are written qualified ('bank.accounts'); with the search path narrowed
  // to the schema, one written unqualified by mistake still lands there and never in `public`.
  await sql`set local search_path to ${sql.id(schema)}`.execute(trx);
  await next.up(trx);
  await sql`insert into ${table} (position, name) values (${position}::integer, ${next.name}::text)`.execute(trx);
  return next.name;
}

/**
 * Brings `schema` up to date with `migrations`: creates the schema and its migration table if
 * missing, then applies each pending migration in its own transaction, in order. Refuses with
 * ERR_DB_MIGRATION_MISMATCH when the migrations recorded in the database are not a prefix of the
 * list (one was removed, renamed or reordered, or the database is newer than the code). Safe to
 * run from several processes at once.
 */
export async function migrate<DB>(db: Kysely<DB>, schema: string, migrations: readonly Migration[]): Promise<MigrationReport> {
  assertSchemaName(schema);
  assertMigrationList(migrations);
  assert.equal(db.isTransaction, false, 'migrate runs each migration in its own transaction; pass the database');
  const untyped = db as Kysely<unknown>;
  const applied: string[] = [];
  // Each round applies one migration or finds none pending; another process may apply some
  // meanwhile, so the list length bounds the rounds.
  for (let round = 0; round <= migrations.length; round++) {
    const name = await untyped.transaction().setIsolationLevel('read committed').execute((trx) => applyNext(trx, schema, migrations));
    if (name === undefined) return { applied };
    applied.push(name);
  }
  assert.fail('migrate made more rounds than there are migrations');
}
