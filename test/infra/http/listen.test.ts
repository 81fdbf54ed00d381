import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addHealthRoute, buildHttpApp, listen } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';

describe('listen', () => {
  it('serves over a real socket on an ephemeral loopback port and stops', async () => {
    const app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'Socket test', version: '0.0.1' } });
    addHealthRoute(app);
    const server = await listen(app);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'socket-test-1' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-request-id'), 'socket-test-1');
      assert.deepEqual(await response.json(), { status: 'ok' });
      const document = (await (await fetch(`${server.url}/docs/json`)).json()) as { info: { title: string } };
      assert.equal(document.info.title, 'Socket test');
    } finally {
      await server.stop();
    }
    await server.stop(); // a second stop is harmless
    await assert.rejects(fetch(`${server.url}/health`), 'nothing listens after stop');
  });
});
