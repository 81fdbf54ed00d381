import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { TesseraError } from '../../src/lib/errors.js';
import { migrate } from '../../src/infra/db/index.js';
import { checkESMECredentials, checkHandsetSecret } from '../../src/smsc/accounts.js';
import { createESMEAccount, registerHandset, SMSC_SCHEMA, smscMigrations, type SmscDatabase } from '../../src/smsc/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

const random = createSystemRandomSource();
const conflict = (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMSC_CONFLICT';
const invalid = (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMSC_INVALID';

describe('ESME accounts and handsets', () => {
  let db: TestDatabase<SmscDatabase>;
  before(async () => {
    db = await openTestDatabase<SmscDatabase>();
    await migrate(db.db, SMSC_SCHEMA, smscMigrations);
  });
  after(() => db.close());

  it('stores only scrypt hashes and checks credentials', async () => {
    await createESMEAccount(db.db, { systemId: 'bank', password: 'pw1', addresses: ['95588'] }, random);
    const row = await db.db.selectFrom('smsc.esmes').select('password_hash').where('system_id', '=', 'bank').executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.ok(!row.password_hash.includes('pw1'));
    assert.equal(await checkESMECredentials(db.db, 'bank', 'pw1'), 'ok');
    assert.equal(await checkESMECredentials(db.db, 'bank', 'pw2'), 'wrong-password');
    assert.equal(await checkESMECredentials(db.db, 'nobody', 'pw1'), 'unknown-system-id');
  });

  it('refuses duplicates unless replacing, and never takes another ESME\'s address', async () => {
    await assert.rejects(createESMEAccount(db.db, { systemId: 'bank', password: 'pw9' }, random), conflict);
    await createESMEAccount(db.db, { systemId: 'bank', password: 'pw9', addresses: ['95588', '95599'], replace: true }, random);
    assert.equal(await checkESMECredentials(db.db, 'bank', 'pw9'), 'ok');
    await assert.rejects(createESMEAccount(db.db, { systemId: 'shop', password: 'x', addresses: ['95588'] }, random), conflict);
    assert.equal(await checkESMECredentials(db.db, 'shop', 'x'), 'unknown-system-id', 'the failed account was rolled back');
  });

  it('validates SMPP field limits', async () => {
    await assert.rejects(createESMEAccount(db.db, { systemId: 'a'.repeat(16), password: 'x' }, random), invalid);
    await assert.rejects(createESMEAccount(db.db, { systemId: 'ok', password: '123456789' }, random), invalid);
    await assert.rejects(createESMEAccount(db.db, { systemId: 'ok', password: 'x', addresses: ['no spaces'] }, random), invalid);
  });

  it('registers handsets by normalised MSISDN, with a generated or given secret', async () => {
    const generated = await registerHandset(db.db, { msisdn: '+8613800138000' }, random);
    assert.equal(generated.msisdn, '8613800138000');
    assert.match(generated.secret, /^[0-9A-F]{32}$/);
    assert.equal(await checkHandsetSecret(db.db, '8613800138000', generated.secret), true);
    await assert.rejects(registerHandset(db.db, { msisdn: '8613800138000', secret: 's' }, random), conflict);
    await registerHandset(db.db, { msisdn: '8613800138000', secret: 'new', replace: true }, random);
    assert.equal(await checkHandsetSecret(db.db, '8613800138000', 'new'), true);
    assert.equal(await checkHandsetSecret(db.db, '8613800138000', generated.secret), false);
    assert.equal(await checkHandsetSecret(db.db, '8613900000000', 'new'), false);
    await assert.rejects(registerHandset(db.db, { msisdn: '12ab' }, random), invalid);
  });
});
