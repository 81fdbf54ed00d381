import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { inTransaction, queryTemplate } from '../../../src/infra/db/index.js';
import { openTestDatabase } from '../../helpers/database.js';
import type { TestDatabase } from '../../helpers/database.js';

interface Database {
  'qt.notes': { id: number; note: string; tags: unknown; at: Date | null };
}

const insertNote = queryTemplate((db: Kysely<Database>, v: { id: number; note: string; tagsJson: string; at: Date | null }) =>
  db.insertInto('qt.notes').values({ id: v.id, note: v.note, tags: v.tagsJson, at: v.at }).returning(['id', 'note', 'tags', 'at']));

const notesBetween = queryTemplate((db: Kysely<Database>, v: { low: number; high: number }) =>
  db.selectFrom('qt.notes').select(['id', 'note']).where('id', '>=', v.low).where('id', '<=', v.high).where('note', '!=', 'hidden').orderBy('id'));

describe('queryTemplate', () => {
  let handle: TestDatabase<Database>;

  before(async () => {
    handle = await openTestDatabase<Database>();
    await sql`create schema qt; create table qt.notes (id int primary key, note text not null, tags jsonb not null, at timestamptz)`.execute(handle.db);
  });
  after(() => handle.close());

  it('binds each run\'s values where the placeholders went, constants included', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const first = await insertNote.execute(handle.db, { id: 1, note: 'one', tagsJson: '["a"]', at });
    assert.deepEqual(first.rows, [{ id: 1, note: 'one', tags: ['a'], at }]);
    await insertNote.execute(handle.db, { id: 2, note: 'hidden', tagsJson: '[]', at: null });
    await insertNote.execute(handle.db, { id: 3, note: 'three', tagsJson: '{"b":1}', at: null });
    assert.deepEqual((await notesBetween.execute(handle.db, { low: 1, high: 3 })).rows, [{ id: 1, note: 'one' }, { id: 3, note: 'three' }]);
    assert.deepEqual((await notesBetween.execute(handle.db, { low: 2, high: 3 })).rows, [{ id: 3, note: 'three' }]);
  });

  it('runs in the transaction it is given', async () => {
    await assert.rejects(inTransaction(handle.db, async (trx) => {
      await insertNote.execute(trx, { id: 10, note: 'rolled back', tagsJson: '[]', at: null });
      assert.equal((await notesBetween.execute(trx, { low: 10, high: 10 })).rows.length, 1);
      throw new Error('roll back');
    }), /roll back/);
    assert.deepEqual((await notesBetween.execute(handle.db, { low: 10, high: 10 })).rows, []);
  });

  it('refuses a builder that uses a value in JavaScript, which would fix it into every run', () => {
    const stringified = queryTemplate((db: Kysely<Database>, v: { tags: string[] }) =>
      db.selectFrom('qt.notes').select('id').where('tags', '=', JSON.stringify(v.tags)));
    assert.throws(() => stringified.execute(handle.db, { tags: ['a'] }), /the value tags is used in JavaScript/);
    const interpolated = queryTemplate((db: Kysely<Database>, v: { prefix: string }) =>
      db.selectFrom('qt.notes').select('id').where('note', '=', `${v.prefix}-note`));
    assert.throws(() => interpolated.execute(handle.db, { prefix: 'x' }), /the value prefix is used in JavaScript/);
    const spread = queryTemplate((db: Kysely<Database>, v: { row: { id: number; note: string; tags: string; at: null } }) =>
      db.insertInto('qt.notes').values(v.row));
    assert.throws(() => spread.execute(handle.db, { row: { id: 20, note: 'x', tags: '[]', at: null } }), /the value row is used in JavaScript/);
  });
});
