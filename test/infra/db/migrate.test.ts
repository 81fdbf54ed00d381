import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { TesseraError } from '../../../src/lib/errors.js';
import { DatabaseErrorCode, migrate, MIGRATION_TABLE, openDatabase } from '../../../src/infra/db/index.js';
import type { Migration } from '../../../src/infra/db/index.js';
import { openTestDatabase } from '../../helpers/database.js';
import type { TestDatabase } from '../../helpers/database.js';

/** Migrations that append their name to a log table, so the order they ran in is visible. */
function loggingMigrations(schema: string, names: readonly string[]): Migration[] {
  return names.map((name, index) => ({
    name,
    async up(db) {
      if (index === 0) await sql`create table ${sql.table(`${schema}.log`)} (seq serial primary key, name text not null)`.execute(db);
      await sql`insert into ${sql.table(`${schema}.log`)} (name) values (${name})`.execute(db);
    },
  }));
}

async function logged(handle: TestDatabase<unknown>, schema: string): Promise<string[]> {
  const result = await sql<{ name: string }>`select name from ${sql.table(`${schema}.log`)} order by seq`.execute(handle.db);
  return result.rows.map((row) => row.name);
}

async function recorded(handle: TestDatabase<unknown>, schema: string): Promise<Array<{ position: number; name: string }>> {
  const result = await sql<{ position: number; name: string }>`select position, name from ${sql.table(`${schema}.${MIGRATION_TABLE}`)} order by position`.execute(handle.db);
  return result.rows;
}

function isMismatch(error: unknown): boolean {
  return error instanceof TesseraError && error.code === DatabaseErrorCode.migrationMismatch;
}

describe('migrate', () => {
  let handle: TestDatabase<unknown>;

  before(async () => {
    handle = await openTestDatabase<unknown>();
  });
  after(() => handle.close());

  it('creates the schema, applies migrations in order, and re-running applies nothing', async () => {
    const migrations = loggingMigrations('m_order', ['0001_first', '0002_second', '0003_third']);
    const first = await migrate(handle.db, 'm_order', migrations);
    assert.deepEqual(first.applied, ['0001_first', '0002_second', '0003_third']);
    assert.deepEqual(await logged(handle, 'm_order'), ['0001_first', '0002_second', '0003_third']);
    assert.deepEqual(await recorded(handle, 'm_order'), [
      { position: 0, name: '0001_first' }, { position: 1, name: '0002_second' }, { position: 2, name: '0003_third' },
    ]);
    const again = await migrate(handle.db, 'm_order', migrations);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(await logged(handle, 'm_order'), ['0001_first', '0002_second', '0003_third']);
  });

  it('applies only the migrations added since the last run', async () => {
    const names = ['0001_a', '0002_b'];
    await migrate(handle.db, 'm_grow', loggingMigrations('m_grow', names));
    const report = await migrate(handle.db, 'm_grow', loggingMigrations('m_grow', [...names, '0003_c']));
    assert.deepEqual(report.applied, ['0003_c']);
    assert.deepEqual(await logged(handle, 'm_grow'), ['0001_a', '0002_b', '0003_c']);
  });

  it('refuses when recorded migrations are not a prefix of the list', async () => {
    await migrate(handle.db, 'm_prefix', loggingMigrations('m_prefix', ['0001_a', '0002_b', '0003_c']));
    const variants: Array<[string, string[]]> = [
      ['removed', ['0001_a', '0003_c']],
      ['renamed', ['0001_a', '0002_b_renamed', '0003_c']],
      ['reordered', ['0002_b', '0001_a', '0003_c']],
      ['inserted before the end', ['0001_a', '0001_b', '0002_b', '0003_c']],
      ['database newer than code', ['0001_a', '0002_b']],
    ];
    for (const [label, names] of variants) {
      await assert.rejects(migrate(handle.db, 'm_prefix', loggingMigrations('m_prefix', names)), isMismatch, label);
    }
    assert.deepEqual(await logged(handle, 'm_prefix'), ['0001_a', '0002_b', '0003_c'], 'nothing ran');
  });

  it('rolls a failing migration back entirely and keeps the ones before it', async () => {
    const good = loggingMigrations('m_fail', ['0001_ok']);
    const failing: Migration = {
      name: '0002_fails',
      async up(db) {
        await sql`create table m_fail.half_done (id int)`.execute(db);
        await sql`insert into m_fail.log (name) values ('0002_fails')`.execute(db);
        throw new Error('migration bug');
      },
    };
    await assert.rejects(migrate(handle.db, 'm_fail', [...good, failing]), /migration bug/);
    assert.deepEqual(await recorded(handle, 'm_fail'), [{ position: 0, name: '0001_ok' }]);
    assert.deepEqual(await logged(handle, 'm_fail'), ['0001_ok']);
    const table = await sql<{ found: boolean }>`select to_regclass('m_fail.half_done') is not null as found`.execute(handle.db);
    assert.equal(table.rows[0]?.found, false, 'DDL is transactional in PostgreSQL');
  });

  it('puts an unqualified name into the schema being migrated, never into public', async () => {
    await migrate(handle.db, 'm_path', [{
      name: '0001_unqualified',
      async up(db) {
        await db.schema.createTable('things').addColumn('id', 'integer').execute();
      },
    }]);
    const where = await sql<{ schema: string }>`select table_schema as schema from information_schema.tables where table_name = 'things'`.execute(handle.db);
    assert.deepEqual(where.rows, [{ schema: 'm_path' }]);
    const path = await sql<{ path: string }>`select current_setting('search_path') as path`.execute(handle.db);
    assert.doesNotMatch(path.rows[0]?.path ?? '', /m_path/, 'the search path is changed only inside the migration');
  });

  it('keeps schemas apart: each has its own migration record', async () => {
    await migrate(handle.db, 'm_one', loggingMigrations('m_one', ['0001_same_name']));
    const report = await migrate(handle.db, 'm_two', loggingMigrations('m_two', ['0001_same_name']));
    assert.deepEqual(report.applied, ['0001_same_name']);
  });

  it('rejects schema names that are not plain identifiers', async () => {
    for (const bad of ['Bank', 'bank; drop', 'pg_catalog', '', 'a'.repeat(64)]) {
      await assert.rejects(migrate(handle.db, bad, []), assert.AssertionError, bad);
    }
  });

  it('lets concurrent migrators take turns: every migration runs exactly once', async () => {
    const names = Array.from({ length: 6 }, (_, index) => `000${index}_step`);
    // Each migration is slow enough for the migrators to overlap.
    const migrations = loggingMigrations('m_race', names).map((migration) => ({
      name: migration.name,
      async up(db: Parameters<Migration['up']>[0]) {
        await sql`select pg_sleep(0.02)`.execute(db);
        await migration.up(db);
      },
    }));
    // On PostgreSQL the second and third migrators are other pools, as other processes would be.
    const others = handle.databaseUrl === undefined
      ? []
      : await Promise.all([openDatabase({ databaseUrl: handle.databaseUrl }), openDatabase({ databaseUrl: handle.databaseUrl })]);
    try {
      const databases = [handle.db, ...others.map((other) => other.db), handle.db];
      const reports = await Promise.all(databases.map((db) => migrate(db, 'm_race', migrations)));
      const appliedEverywhere = reports.flatMap((report) => report.applied).sort();
      assert.deepEqual(appliedEverywhere, [...names].sort(), 'each migration applied by exactly one migrator');
      assert.deepEqual(await logged(handle, 'm_race'), names, 'in order');
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });
});
