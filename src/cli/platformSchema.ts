import { sql, type Generated, type Kysely } from 'kysely';
import type { Migration } from '../infra/db/index.js';

/**
 * The `platform` schema belongs to the composition root: it records each start of `tessera up`, so
 * an operator can see that a second start reused the data of the first.
 */
export const PLATFORM_SCHEMA = 'platform';

export interface PlatformDatabase {
  'platform.starts': {
    id: Generated<bigint>;
    started_at: Generated<Date>;
    version: string;
    dialect: string;
  };
  'platform.demo': {
    name: string;
    /** What the first start set up for the demo (DemoState); jsonb. */
    state: unknown;
    created_at: Generated<Date>;
  };
}

export const platformMigrations: readonly Migration[] = [
  {
    name: '0001_starts',
    async up(db: Kysely<unknown>) {
      await sql`
        create table platform.starts (
          id bigint generated always as identity primary key,
          started_at timestamptz not null default now(),
          version text not null check (length(version) <= 64),
          dialect text not null check (dialect in ('pglite', 'postgres'))
        )`.execute(db);
    },
  },
  {
    name: '0002_demo',
    async up(db: Kysely<unknown>) {
      await sql`
        create table platform.demo (
          name text primary key check (length(name) <= 32),
          state jsonb not null,
          created_at timestamptz not null default now()
        )`.execute(db);
    },
  },
];
