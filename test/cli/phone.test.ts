import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { migrate } from '../../src/infra/db/index.js';
import { openPlatformDatabase } from '../../src/cli/platformDatabase.js';
import { registerPhoneCommands } from '../../src/cli/phone.js';
import { SMSC_SCHEMA, smscMigrations, type SmscDatabase } from '../../src/smsc/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

/** Runs `tessera phone …` in process and returns what it printed. */
async function phone(args: readonly string[]): Promise<string[]> {
  const program = new Command().exitOverride();
  registerPhoneCommands(program);
  const lines: string[] = [];
  const original = console.log;
  console.log = (...values: unknown[]) => { lines.push(values.map(String).join(' ')); };
  try {
    await program.parseAsync(['node', 'tessera', 'phone', ...args]);
  } finally {
    console.log = original;
  }
  return lines;
}

describe('tessera phone', () => {
  let dataDir: string;
  let server: TestDatabase<SmscDatabase> | undefined;
  let target: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-phone-'));
    // On PostgreSQL the command gets this file's own database; else the embedded one under --data.
    if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') {
      server = await openTestDatabase<SmscDatabase>();
      target = ['--database-url', server.databaseUrl ?? ''];
    } else {
      target = ['--data', dataDir];
    }
    const handle = server ?? await openPlatformDatabase<SmscDatabase>({ dataDir, databaseUrl: '' });
    await migrate(handle.db, SMSC_SCHEMA, smscMigrations);
    await handle.db.insertInto('smsc.inbox').values([
      { id: 'AAAAAAAAAAAAAAAA', msisdn: '8613800138000', source_addr: '8888', text: 'Code 123456', parts: 1, message_ids: JSON.stringify(['AAAAAAAAAAAAAAAA']), received_at: new Date('2026-11-21T12:00:00Z') },
      { id: 'BBBBBBBBBBBBBBBB', msisdn: '8613800138000', source_addr: '95588', text: '您的验证码\n是 654321', parts: 2, message_ids: JSON.stringify(['BBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCC']), received_at: new Date('2026-11-21T12:05:00Z') },
    ]).execute();
    if (server === undefined) await handle.close();
  });

  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists a phone\'s inbox, newest first', async () => {
    const lines = await phone(['inbox', '+8613800138000', ...target]);
    assert.deepEqual(lines, [
      '2026-11-21T12:05:00.000Z  from 95588  (2 parts)  您的验证码⏎是 654321',
      '2026-11-21T12:00:00.000Z  from 8888  (1 part)  Code 123456',
    ]);
    const json = await phone(['inbox', '8613800138000', '--json', '--limit', '1', ...target]);
    assert.equal(json.length, 1);
    assert.equal((JSON.parse(json[0] ?? '{}') as { text: string }).text, '您的验证码\n是 654321');
  });

  it('says so when there is nothing, and registers a handset with a generated secret', async () => {
    assert.deepEqual(await phone(['inbox', '8613900139000', ...target]), ['no messages for 8613900139000']);
    const [line] = await phone(['register', '+8613900139000', ...target]);
    assert.match(line ?? '', /^handset 8613900139000 registered; secret [0-9A-F]{32}$/);
  });
});
