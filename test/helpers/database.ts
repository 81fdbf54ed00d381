import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/infra/db/index.js';
import type { DatabaseHandle } from '../../src/infra/db/index.js';

/**
 * A fresh database for one test file. Without DATABASE_URL: PGlite in memory. With it: a new
 * database `tessera_test_<pid>_<random>` on that server, dropped on close, so test files running
 * side by side (and runs on a shared CI server) never see each other's rows.
 */
export interface TestDatabase<DB> extends DatabaseHandle<DB> {
  /** On PostgreSQL, this test database's URL, to open a second handle as a second process would. */
  readonly databaseUrl: string | undefined;
}

/** Runs one statement on the server's own database (CREATE/DROP DATABASE cannot run in the target). */
async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function openTestDatabase<DB>(): Promise<TestDatabase<DB>> {
  const serverUrl = process.env['DATABASE_URL'];
  if (serverUrl === undefined || serverUrl === '') {
    return { ...(await openDatabase<DB>({})), databaseUrl: undefined };
  }
  // pid and random bytes: unique across parallel files, concurrent runs and leftovers of old runs.
  const name = `tessera_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const handle = await openDatabase<DB>({ databaseUrl });
  let closing: Promise<void> | undefined;
  return {
    db: handle.db,
    dialect: handle.dialect,
    databaseUrl,
    usage: () => handle.usage(),
    close(): Promise<void> {
      closing ??= handle.close().then(() => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`));
      return closing;
    },
  };
}
