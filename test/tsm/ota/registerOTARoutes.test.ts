import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildHttpApp, type HttpApp } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { fromHex } from '../../../src/lib/bytes.js';
import {
  ADMIN_COMMAND_CONTENT_TYPE, ADMIN_PROTOCOL, ADMIN_RESPONSE_CONTENT_TYPE, ADMIN_ROUTE_PATH, RAM_SCRIPT_BYTES_MAX, decodeCommandScript,
  encodeResponseScript,
} from '../../../src/lib/ram/index.js';
import { OTAErrorCode, OTAGateway, registerOTARoutes } from '../../../src/tsm/ota/index.js';

const CIN = 'C1C2C3C4C5C6C7C8';
const ADMIN_HEADERS = { 'x-admin-protocol': ADMIN_PROTOCOL, 'x-admin-from': CIN };

interface ErrorBody {
  readonly error: { readonly code: string; readonly details?: Record<string, unknown> };
}

describe('registerOTARoutes (app.inject)', () => {
  let app: HttpApp;
  let gateway: OTAGateway;

  before(async () => {
    app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'OTA', version: '0.0.0' }, docs: false });
    gateway = new OTAGateway({ carrier: 'inject', pollWaitMs: 50 });
    await registerOTARoutes(app, gateway);
    await app.ready();
  });

  after(async () => {
    await app.close();
  });

  it('answers 204 with X-Admin-Protocol when there is nothing for the card', async () => {
    const answer = await app.inject({ method: 'POST', url: ADMIN_ROUTE_PATH, headers: ADMIN_HEADERS });
    assert.equal(answer.statusCode, 204);
    assert.equal(answer.headers['x-admin-protocol'], ADMIN_PROTOCOL);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.rawPayload.length, 0);
  });

  it('delivers a batch as a command script with X-Admin-Next-URI, and takes the response script there', async () => {
    const polled = app.inject({ method: 'POST', url: ADMIN_ROUTE_PATH, headers: ADMIN_HEADERS });
    const link = await gateway.linkFor(CIN, 1_000);
    assert.ok(link);
    const exchange = link.exchange([fromHex('80CA004500')]);
    const delivered = await polled;
    assert.equal(delivered.statusCode, 200);
    assert.equal(delivered.headers['content-type'], ADMIN_COMMAND_CONTENT_TYPE);
    assert.equal(decodeCommandScript(new Uint8Array(delivered.rawPayload)).commands.length, 1);
    const nextURI = delivered.headers['x-admin-next-uri'];
    assert.equal(typeof nextURI, 'string');
    const answered = await app.inject({
      method: 'POST',
      url: nextURI as string,
      headers: { ...ADMIN_HEADERS, 'content-type': ADMIN_RESPONSE_CONTENT_TYPE, 'x-admin-script-status': 'ok' },
      payload: Buffer.from(encodeResponseScript({ executedCount: 1, responses: [fromHex('6A88')] })),
    });
    assert.equal(answered.statusCode, 204);
    assert.deepEqual((await exchange).map((response) => Buffer.from(response).toString('hex')), ['6a88']);
  });

  it('refuses requests that break the admin protocol with stable codes', async () => {
    const cases: { headers: Record<string, string>; payload?: Buffer | string; url?: string; status: number; code: string }[] = [
      { headers: { 'x-admin-protocol': ADMIN_PROTOCOL }, status: 400, code: 'ERR_VALIDATION' },
      { headers: { ...ADMIN_HEADERS, 'x-admin-from': 'not-a-cin' }, status: 400, code: 'ERR_VALIDATION' },
      { headers: { ...ADMIN_HEADERS, 'x-admin-protocol': 'globalplatform-remote-admin/2.0' }, status: 400, code: OTAErrorCode.protocolUnsupported },
      { headers: { ...ADMIN_HEADERS, 'content-type': 'text/plain' }, payload: 'AB03800100', status: 415, code: OTAErrorCode.mediaTypeUnsupported },
      { headers: { ...ADMIN_HEADERS, 'content-type': 'application/vnd.globalplatform.card-content-mgt-response;version=2.0' }, payload: Buffer.from('AB03800100', 'hex'), status: 415, code: OTAErrorCode.mediaTypeUnsupported },
      { headers: { ...ADMIN_HEADERS, 'content-type': ADMIN_RESPONSE_CONTENT_TYPE }, payload: Buffer.from('AB0380', 'hex'), status: 400, code: OTAErrorCode.scriptMalformed },
      { headers: { ...ADMIN_HEADERS, 'content-type': ADMIN_RESPONSE_CONTENT_TYPE }, payload: Buffer.alloc(RAM_SCRIPT_BYTES_MAX + 1), status: 413, code: 'ERR_BODY_TOO_LARGE' },
      { headers: ADMIN_HEADERS, url: `${ADMIN_ROUTE_PATH}?batch=../../etc`, status: 400, code: 'ERR_VALIDATION' },
    ];
    for (const test of cases) {
      const answer = await app.inject({ method: 'POST', url: test.url ?? ADMIN_ROUTE_PATH, headers: test.headers, ...(test.payload === undefined ? {} : { payload: test.payload }) });
      assert.equal(answer.statusCode, test.status, JSON.stringify(test.headers));
      assert.equal((answer.json<ErrorBody>()).error.code, test.code, answer.body);
    }
  });

  it('describes the route in the OpenAPI document', () => {
    const document = app.swagger() as { paths: Record<string, { post?: { responses?: Record<string, unknown> } }> };
    const operation = document.paths[ADMIN_ROUTE_PATH]?.post;
    assert.ok(operation, 'the admin route is documented');
    assert.deepEqual(Object.keys(operation.responses ?? {}).sort(), ['200', '204', '400', '413', '415', '500', '503']);
  });

  it('closes promptly with a poll parked', async () => {
    const slowApp = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'OTA', version: '0.0.0' }, docs: false });
    const slowGateway = new OTAGateway({ carrier: 'inject' });
    await registerOTARoutes(slowApp, slowGateway);
    await slowApp.ready();
    const parked = slowApp.inject({ method: 'POST', url: ADMIN_ROUTE_PATH, headers: ADMIN_HEADERS });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await slowApp.close();
    assert.equal((await parked).statusCode, 204);
    assert.ok(Date.now() - started < 1_000, 'the 20 s long poll did not hold the shutdown');
  });
});
