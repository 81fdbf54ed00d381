import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ISO8583Client } from '../../src/bank/client.js';
import { ISO8583_BCD_DIALECT } from '../../src/lib/iso8583/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

const CLI = new URL('../../bin/tessera.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 60_000;

interface UpLine {
  version: string;
  database: { dialect: string };
  start: { number: number };
  services: { service: string; state: string; url?: string }[];
  demo: { deviceDirectory: string; finger: string; msisdn: string; panLastFour: string } | null;
}

/** Runs a `tessera` command to its end; answers its exit code and output. */
async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** Runs `tessera up --json` as a user would, reads its table line, and returns a way to stop it. */
async function startUp(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ table: UpLine; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'up', '--json', '--console-port', '0', '--tsm-port', '0', '--tsm-ota-port', '0', '--issuer-port', '0', '--acquirer-port', '0', '--smpp-port', '0', '--handset-port', '0', '--gateway-port', '0', '--checkout-port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`tessera up exited with ${code}: ${stderr}`)));
  });
  clearTimeout(timer);
  return {
    table: JSON.parse(first) as UpLine,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
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

    // tessera demo walks every flow against the running platform and ends with the ledger audit.
    const walked = await run(['demo', '--data', dataDir], env);
    assert.equal(walked.code, 0, `${walked.stdout}\n${walked.stderr}`);
    assert.match(walked.stdout, /\[#{20}\] 7\/7 done/);
    assert.match(walked.stdout, /ok\s+ledger audit/);
    assert.doesNotMatch(walked.stdout, /FAILED/);
    assert.equal(await first.stop(), 0);

    const second = await startUp(['--data', dataDir], env);
    assert.equal(second.table.start.number, 2);
    assert.equal(second.table.demo?.deviceDirectory, demo.deviceDirectory, 'the second start reuses the demo');
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
