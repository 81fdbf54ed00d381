import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readCardImageFile } from '../../../src/card/client.js';
import { buildHttpApp, listen } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { OTAGateway, registerOTARoutes } from '../../../src/tsm/ota/index.js';

const CLI = new URL('../../../bin/tessera.js', import.meta.url).pathname;
const DEVICE_KEY_HEX = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F';
const run = promisify(execFile);

describe('tessera card agent', () => {
  it('serves a card image to the TSM over the air until SIGINT', { timeout: 60_000 }, async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-agent-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_CARD_DEVICE_KEY: DEVICE_KEY_HEX };
    delete env['TESSERA_DATA_DIR'];
    const image = join(directory, 'card.img');
    const app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'OTA', version: '0.0.0' }, docs: false });
    const gateway = new OTAGateway({ carrier: 'cli-test', pollWaitMs: 1_000 });
    await registerOTARoutes(app, gateway);
    const server = await listen(app);
    try {
      await run(process.execPath, [CLI, 'card', 'new', '--profile', 'uicc', '--out', image], { cwd: directory, env });
      const state = readCardImageFile(image, fromHex(DEVICE_KEY_HEX));

      const child = spawn(process.execPath, [CLI, 'card', 'agent', image, '--tsm', server.url], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const link = await gateway.linkFor(state.cinHex, 30_000);
      assert.ok(link, `the agent connected\n${stdout}\n${stderr}`);
      const responses = await link.exchange([fromHex('00A4040008A00000015100000000'), fromHex('80CA004500')]);
      assert.equal(toHex(responses[1] as Uint8Array), `4508${state.cinHex.toUpperCase()}9000`);

      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, new RegExp(`agent ${state.cinHex.toUpperCase()} polling ${server.url}/ota/v1/admin`));
      assert.match(stdout, /ran a script: 2 of 2 command\(s\) executed/);
      assert.match(stdout, /SIGINT: stopping the agent/);
      assert.match(stdout, /agent stopped/);
    } finally {
      await server.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
