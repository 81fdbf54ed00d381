import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { migrate } from '../../src/infra/db/index.js';
import { createLogger } from '../../src/infra/log/index.js';
import { PAYMENT_APPLICATION_AID } from '../../src/device/client.js';
import {
  addMnoRoute, addServiceProvider, createFileKeyStore, loadOrCreateApplicationSigningKey, loadOrCreateTsmPki, startTsm,
  tsmMigrations, type RunningTsm, type TsmContext, type TsmDatabase,
} from '../../src/tsm/client.js';
import { registerDeviceCommands } from '../../src/cli/device.js';
import { openPlatformDatabase } from '../../src/cli/platformDatabase.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PAY_LOAD_FILE, PAY_MODULE_AID } from '../device/harness.js';

/** Runs `tessera device …` in this process (src/cli/main.ts wires registerDeviceCommands); answers what it printed. */
async function tessera(args: readonly string[]): Promise<string> {
  const program = new Command('tessera').exitOverride();
  registerDeviceCommands(program);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => { printed.push(parts.map(String).join(' ')); };
  try {
    await program.parseAsync(['node', 'tessera', ...args]);
  } finally {
    console.log = log;
  }
  return printed.join('\n');
}

describe('tessera device (CLI)', () => {
  let directory: string;
  let data: string;
  let server: TestDatabase<TsmDatabase> | undefined;
  let handle: Awaited<ReturnType<typeof openPlatformDatabase<TsmDatabase>>> | undefined;
  let tsm: RunningTsm | undefined;
  const random = createSystemRandomSource();

  async function openTsmDatabase() {
    return server === undefined ? openPlatformDatabase<TsmDatabase>({ dataDir: data }) : { ...server, location: 'DATABASE_URL', close: () => Promise.resolve() };
  }

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'tessera-cli-device-'));
    data = join(directory, 'data');
    if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') server = await openTestDatabase<TsmDatabase>();
    // The operator's set-up: an MNO route and the payment application in the catalogue.
    const setup = await openTsmDatabase();
    await migrate(setup.db, 'tsm', tsmMigrations);
    const pki = join(data, 'tsm', 'pki');
    await loadOrCreateTsmPki(pki, { random, now: new Date() });
    const context: TsmContext = { db: setup.db, keyStore: createFileKeyStore(join(data, 'tsm', 'kek.key'), { random }), cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger: createLogger({ level: 'silent' }), cardWaitMs: 0 };
    await addMnoRoute(context, 'Tessera Mobile', 'tessera-mobile-https', 'operator');
    await addServiceProvider(context, 'bank-a', 'operator');
    await setup.close();
    // The operator signs the payment application into the catalogue.
    writeFileSync(join(directory, 'pay.lf'), PAY_LOAD_FILE);
    const published = await tessera(['device', 'publish-app', '--data', data, '--load-file', join(directory, 'pay.lf'), '--module', PAY_MODULE_AID, ...(server?.databaseUrl === undefined ? [] : ['--database-url', server.databaseUrl])]);
    assert.match(published, new RegExp(`published Tessera Pay 1\\.0: package [0-9A-F]+, instance ${PAYMENT_APPLICATION_AID}, DAP by TSM key [0-9A-F]{16}`));
  });

  after(async () => {
    await tsm?.stop();
    await handle?.close();
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('new → enrol-finger → set-pin → register → update → status, each step shown', async () => {
    const phone = join(directory, 'phone');
    const made = await tessera(['device', 'new', phone, '--data', data, '--msisdn', '3725550100', '--mno', 'Tessera Mobile', ...(server?.databaseUrl === undefined ? [] : ['--database-url', server.databaseUrl])]);
    assert.match(made, /^device [0-9A-F]+ made in /);
    assert.match(made, /App SE .* registered for MSI 3725550100 on Tessera Mobile/);
    const fresh = await tessera(['device', 'status', phone, '--data', data]);
    assert.match(fresh, /\[ \] finger enrolled +none/);
    assert.match(fresh, /\[ \] credentials +slot 1 preloaded LOCKED/);

    assert.match(await tessera(['device', 'enrol-finger', phone, '--data', data, '--finger', 'alice-right-index']), /enrolled in slot 1[\s\S]*preloaded payment credential unlocked/);
    assert.match(await tessera(['device', 'set-pin', phone, '--data', data, '--pin', '2580']), /PIN set/);

    // The TSM, on the database `device new` handed the device over to.
    handle = await openTsmDatabase();
    const pki = await loadOrCreateTsmPki(join(data, 'tsm', 'pki'), { random, now: new Date() });
    tsm = await startTsm({ host: '127.0.0.1', port: 0, otaPort: 0, cardWaitMs: 10_000, otaPollWaitMs: 1_000, workerIntervalMs: 200 }, {
      db: handle.db, keyStore: createFileKeyStore(join(data, 'tsm', 'kek.key'), { random }), pki, random, now: Date.now, logger: createLogger({ level: 'silent' }),
      applicationSigningKey: loadOrCreateApplicationSigningKey(join(data, 'tsm', 'pki')),
    });
    const registered = await tessera(['device', 'register', phone, '--data', data, '--tsm', tsm.otaUrl, '--finger', 'alice-right-index']);
    assert.match(registered, /registered: device certificate stored in the Crypto SE\n {2}subject O=Tessera devices, CN=Tessera device [0-9A-F]+\n {2}serial {2}[0-9A-F]+/);
    const updated = await tessera(['device', 'update', phone, '--data', data, '--tsm', tsm.otaUrl]);
    assert.match(updated, /installed Tessera Pay 1\.0 \(F054455353504110\)/);
    assert.match(updated, /no new credentials/);

    const status = await tessera(['device', 'status', phone, '--data', data]);
    assert.match(status, /\[x\] finger enrolled +slots 1/);
    assert.match(status, /\[x\] PIN set +tries left 3/);
    assert.match(status, /\[x\] registered +certificate O=Tessera devices, CN=Tessera device [0-9A-F]+\n +serial [0-9A-F]+, issuer O=Tessera, CN=Tessera TSM Root CA/);
    assert.match(status, /\[x\] applications +Tessera Pay 1\.0 \(F054455353504110, TSM-signed\)/);
    assert.match(status, /\[x\] credentials +slot 1 preloaded: \*{4} \*{4} \*{4} [0-9]{4}/);
    assert.ok(!/[0-9]{12,}/.test(status.replace(/[0-9A-F]{16,}/g, '')), 'no whole PAN in the output');
  });

  it('refuses a wrong old PIN with the tries left', async () => {
    const phone = join(directory, 'phone');
    await assert.rejects(tessera(['device', 'set-pin', phone, '--data', data, '--pin', '1111', '--old-pin', '9999']), /wrong PIN: 2 tries left/);
  });

  it('unblock-pin goes to the TSM over the signed device channel, which refuses without the bank\'s approval', async () => {
    const phone = join(directory, 'phone');
    assert.ok(tsm !== undefined, 'the first test started the TSM');
    await assert.rejects(tessera(['device', 'unblock-pin', phone, '--data', data, '--tsm', tsm.otaUrl]), (error: Error) => {
      assert.match(`${error.message} ${JSON.stringify((error as Error & { details?: unknown }).details ?? {})}`, /ERR_TSM_PIN_UNBLOCK_NOT_APPROVED|bank approves first/);
      return true;
    });
    assert.match(await tessera(['device', 'status', phone, '--data', data]), /\[x\] PIN set +tries left 2/, 'nothing changed on the card');
  });
});
