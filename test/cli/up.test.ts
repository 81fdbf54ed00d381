import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ISO8583Client } from '../../src/bank/client.js';
import { ISO8583_BCD_DIALECT } from '../../src/lib/iso8583/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { CLI, run, startUp } from './cliProcess.js';

interface DemoReport {
  ok: boolean;
  flows: { flow: string; ok: boolean; result: string; ms: number }[];
}

/**
 * The new phone of a `tessera demo --json` run: made by the factory in its own directory, and — as
 * `tessera device status` reads it from its secure elements — registered with a TSM certificate,
 * the payment application installed over the air, the card the bank issued in its credential slot.
 */
async function assertNewPhone(report: DemoReport, demoPhone: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<{ deviceId: string }> {
  const factory = report.flows[0];
  assert.match(factory?.flow ?? '', /^factory: a new phone/);
  const made = /^device ([0-9A-F]+), MSISDN ([0-9]+), in (.+)$/.exec(factory?.result ?? '');
  assert.ok(made?.[1] !== undefined && made[3] !== undefined, factory?.result);
  assert.notEqual(made[3], demoPhone);
  const status = await run(['device', 'status', made[3], '--data', dataDir, '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  const phone = JSON.parse(status.stdout) as { deviceId: string; msisdn: string; registered: boolean; applications: { name: string }[]; credentials: { origin: string; masked: string | null }[] };
  assert.equal(phone.deviceId, made[1]);
  assert.equal(phone.msisdn, made[2]);
  assert.equal(phone.registered, true);
  assert.ok(phone.applications.some((application) => application.name === 'Tessera Pay'), JSON.stringify(phone.applications));
  const provisioned = report.flows.find((row) => row.flow.startsWith('SP provisioning'));
  const card = phone.credentials.find((credential) => credential.origin === 'over-the-air');
  assert.ok(card?.masked !== undefined && card.masked !== null && (provisioned?.result ?? '').includes(card.masked), `${provisioned?.result ?? ''} / ${JSON.stringify(phone.credentials)}`);
  return { deviceId: made[1] };
}

describe('tessera up', () => {
  let dataDir: string;
  let database: TestDatabase<unknown> | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-up-'));
    delete env['DATABASE_URL'];
    if (process.env['DATABASE_URL'] !== undefined && process.env['DATABASE_URL'] !== '') {
      database = await openTestDatabase();
      env['DATABASE_URL'] = database.databaseUrl;
    }
  });
  after(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts what exists, serves the console, stops on Ctrl-C, and reuses its data on the next start', async () => {
    const first = await startUp(['--data', dataDir], env);
    // Whatever fails below, the platform is stopped (a left-over child would keep the runner waiting).
    after(() => first.stop());
    assert.equal(first.table.start.number, 1);
    assert.equal(first.table.database.dialect, database === undefined ? 'pglite' : 'postgres');
    const console_ = first.table.services.find((row) => row.service === 'console');
    assert.equal(console_?.state, 'running');
    assert.ok(console_?.url !== undefined);
    const tsmRow = first.table.services.find((row) => row.service === 'tsm');
    assert.equal(tsmRow?.state, 'running');
    assert.match(tsmRow?.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    for (const name of ['issuer', 'acquirer']) {
      const row = first.table.services.find((candidate) => candidate.service === name);
      assert.equal(row?.state, 'running', name);
      const [host, portText] = (row?.url ?? '').replace('iso8583://', '').split(':');
      // The hosts answer an ISO 8583 echo test (0800 → 0810 with response code 00).
      const client = await ISO8583Client.connect({ host: host ?? '', port: Number(portText), dialect: ISO8583_BCD_DIALECT });
      assert.equal(await client.echo(), '00', name);
      await client.close();
    }

    const health = await fetch(`${console_.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const platform = await fetch(`${console_.url}/v1/platform`);
    const body = (await platform.json()) as { services: { service: string }[] };
    assert.deepEqual(body.services.map((row) => row.service), first.table.services.map((row) => row.service));
    const openapi = (await (await fetch(`${console_.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    assert.ok('/v1/platform' in openapi.paths);

    // The demo phone was made, registered and provisioned on the first start: it pays at once.
    const demo = first.table.demo;
    assert.ok(demo !== null, 'the first start set up the demo');
    const acquirer = (first.table.services.find((row) => row.service === 'acquirer')?.url ?? '').replace('iso8583://', '');
    const paid = await run(['pos', 'pay', '--device', demo.deviceDirectory, '--data', dataDir, '--finger', demo.finger, '--amount', '12.34', '--acquirer', acquirer], env);
    assert.equal(paid.code, 0, `${paid.stdout}\n${paid.stderr}`);
    assert.match(paid.stdout, /Result\s+APPROVED/);
    assert.match(paid.stdout, new RegExp(`\\*{12}${demo.panLastFour}`));
    const unverified = await run(['pos', 'pay', '--device', demo.deviceDirectory, '--data', dataDir, '--amount', '1.00', '--acquirer', acquirer], env);
    assert.equal(unverified.code, 1);
    assert.match(unverified.stdout, /SEE PHONE/);

    // tessera demo walks every flow against the running platform and ends with the ledger audit;
    // each run makes a new phone and registers and provisions it live.
    const walked = await run(['demo', '--data', dataDir, '--json'], env);
    assert.equal(walked.code, 0, `${walked.stdout}\n${walked.stderr}`);
    assert.match(walked.stderr, /\[#{20}\] 12\/12 done/);
    const report = JSON.parse(walked.stdout) as DemoReport;
    assert.equal(report.ok, true, walked.stdout);
    const newPhone = await assertNewPhone(report, demo.deviceDirectory, dataDir, env);
    const flow = (prefix: string): DemoReport['flows'][number] | undefined => report.flows.find((row) => row.flow.startsWith(prefix));
    assert.match(flow('tap to pay with the new phone')?.result ?? '', /^approved \(00, auth [0-9A-Z]{6}\)$/);
    assert.match(flow('fraud feed')?.result ?? '', /^report [0-9A-F]{16} delivered .*the TSM counts 1 payment\(s\) from this phone/);
    assert.match(flow('a reversal')?.result ?? '', /0410 response 00/);
    assert.match(flow('a decline')?.result ?? '', /^declined \(61/);
    assert.match(flow('online checkout')?.result ?? '', /payment succeeded; the code came by SMS/);
    assert.equal(flow('ledger audit')?.ok, true);

    // A second run makes another phone (live each run), printed as a table this time.
    const again = await run(['demo', '--data', dataDir], env);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /\[#{20}\] 12\/12 done/);
    assert.match(again.stdout, /ok\s+ledger audit/);
    assert.doesNotMatch(again.stdout, /FAILED/);
    const secondDevice = /device ([0-9A-F]+), MSISDN/.exec(again.stdout)?.[1];
    assert.ok(secondDevice !== undefined && secondDevice !== newPhone.deviceId, 'each run makes a new phone');
    assert.equal(await first.stop(), 0);

    // With no platform running, tessera demo starts its own on the same data and stops it at the end.
    const alone = await run(['demo', '--data', dataDir, '--json'], env);
    assert.equal(alone.code, 0, `${alone.stdout}\n${alone.stderr}`);
    assert.match(alone.stderr, /no running platform on .*: starting one in this process/);
    assert.equal((JSON.parse(alone.stdout) as DemoReport).ok, true);

    const second = await startUp(['--data', dataDir], env);
    assert.equal(second.table.start.number, 3);
    assert.equal(second.table.demo?.deviceDirectory, demo.deviceDirectory, 'later starts reuse the demo');
    assert.equal(await second.stop(), 0);
  });

  it('refuses an invalid setting with a clear error and exit code 1', async () => {
    const child = spawn(process.execPath, [CLI, 'up', '--json'], { env: { ...env, TESSERA_CONSOLE_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /ERR_CONFIG_INVALID/);
    assert.match(stderr, /consolePort|CONSOLE_PORT/);
  });
});
