import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import { addHealthRoute, buildHttpApp, errorResponses, mapError } from '../../../src/infra/http/index.js';
import type { ErrorResponse, HttpApp } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { TesseraError } from '../../../src/lib/errors.js';

/** Published Visa test PAN (see test/fixtures/luhn.json). */
const TEST_PAN = '4242424242424242';
const BODY_LIMIT_BYTES = 1024;
const SECRET_KEY_HEX = '404142434445464748494A4B4C4D4E4F';

const PaymentRequest = Type.Object(
  {
    amountMinor: Type.Integer({ minimum: 1 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    note: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
const Payment = Type.Object({ id: Type.String(), amountMinor: Type.Integer() }, { additionalProperties: false });
const Account = Type.Object({ id: Type.String(), ownerName: Type.String() }, { additionalProperties: false });

interface TestApp {
  readonly app: HttpApp;
  readonly logText: () => string;
}

async function buildTestApp(): Promise<TestApp> {
  const written: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void written.push(line) } });
  let sequence = 0;
  const app = await buildHttpApp({
    logger,
    openapi: { title: 'Test service', version: '1.2.3' },
    bodyLimitBytes: BODY_LIMIT_BYTES,
    generateRequestId: () => `generated-${++sequence}`,
  });
  app.post(
    '/payments',
    { schema: { body: PaymentRequest, response: { 201: Payment, ...errorResponses(400, 413, 415, 500) } } },
    async (request, reply) => reply.code(201).send({ id: 'pay_1', amountMinor: request.body.amountMinor }),
  );
  app.get('/payments/:number', { schema: { params: Type.Object({ number: Type.Integer({ minimum: 1 }) }), response: { 200: Payment } } }, (request) => ({
    id: `pay_${request.params.number}`,
    amountMinor: request.params.number * 100,
  }));
  app.get('/expired', { schema: { response: { ...errorResponses(410) } } }, async () => {
    await Promise.resolve(); // fail after an await, as real handlers do
    throw new TesseraError('ERR_GATEWAY_OTP_EXPIRED', 'the one-time code has expired', { httpStatus: 410, details: { attemptsLeft: 0 } });
  });
  app.get('/declined', () => {
    throw new TesseraError('ERR_DECLINED', `card ${TEST_PAN} declined`);
  });
  app.get('/boom', async () => {
    await Promise.resolve();
    throw new Error(`pool exhausted while reading row 17 with key=${SECRET_KEY_HEX}`);
  });
  app.get('/account', { schema: { response: { 200: Account } } }, () => ({
    id: 'acc_1',
    ownerName: 'Ada',
    // Not in the response schema: the serializer must drop both.
    masterKey: SECRET_KEY_HEX,
    pan: TEST_PAN,
  }) as { id: string; ownerName: string });
  addHealthRoute(app);
  await app.ready();
  return { app, logText: () => written.join('') };
}

describe('buildHttpApp', () => {
  let test: TestApp;
  before(async () => {
    test = await buildTestApp();
  });
  after(async () => {
    await test.app.close();
  });

  it('answers a schema failure with ERR_VALIDATION naming each field', async () => {
    const response = await test.app.inject({ method: 'POST', url: '/payments', payload: { amountMinor: 'ten', currency: 'eur', extra: 1 } });
    assert.equal(response.statusCode, 400);
    const body = response.json<ErrorResponse>();
    assert.equal(body.error.code, 'ERR_VALIDATION');
    assert.equal(body.error.requestId, response.headers['x-request-id']);
    assert.match(body.error.message, /body\/amountMinor must be integer/);
    assert.match(body.error.message, /body\/currency must match pattern/);
    // Unknown fields are refused, not silently dropped (Fastify's Ajv default would drop them).
    assert.match(body.error.message, /body\/extra is not allowed/);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'details', 'message', 'requestId']);
    assert.ok(!body.error.message.includes('ten'), 'received values are not echoed');

    const missing = await test.app.inject({ method: 'POST', url: '/payments', payload: { amountMinor: 5 } });
    assert.equal(missing.json<ErrorResponse>().error.message, 'body/currency is required');
  });

  it('converts path parameters but never JSON body values', async () => {
    const byPath = await test.app.inject({ method: 'GET', url: '/payments/7' });
    assert.deepEqual(byPath.json(), { id: 'pay_7', amountMinor: 700 });
    const badPath = await test.app.inject({ method: 'GET', url: '/payments/0' });
    assert.equal(badPath.json<ErrorResponse>().error.message, 'params/number must be >= 1');
    const stringAmount = await test.app.inject({ method: 'POST', url: '/payments', payload: { amountMinor: '100', currency: 'EUR' } });
    assert.equal(stringAmount.statusCode, 400);
    const good = await test.app.inject({ method: 'POST', url: '/payments', payload: { amountMinor: 100, currency: 'EUR' } });
    assert.equal(good.statusCode, 201);
  });

  it('maps a TesseraError to its status, code, message and details', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/expired', headers: { 'x-request-id': 'req-410' } });
    assert.equal(response.statusCode, 410);
    assert.deepEqual(response.json(), {
      error: { code: 'ERR_GATEWAY_OTP_EXPIRED', message: 'the one-time code has expired', requestId: 'req-410', details: { attemptsLeft: 0 } },
    });
    const declined = await test.app.inject({ method: 'GET', url: '/declined' });
    assert.equal(declined.statusCode, 400, 'a TesseraError without a status is the caller’s problem');
    assert.equal(declined.json<ErrorResponse>().error.message, 'card 424242******4242 declined');
  });

  it('answers an unexpected error with ERR_INTERNAL and keeps the detail in the log only', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/boom' });
    assert.equal(response.statusCode, 500);
    const body = response.json<ErrorResponse>();
    assert.equal(body.error.code, 'ERR_INTERNAL');
    assert.ok(!response.body.includes('pool exhausted'));
    assert.ok(!response.body.includes(SECRET_KEY_HEX));
    const requestId = body.error.requestId;
    const logged = test
      .logText()
      .split('\n')
      .filter((line) => line.includes(`"requestId":"${requestId}"`) && line.includes('pool exhausted'));
    assert.equal(logged.length, 1, 'the full error is logged under the request id');
    assert.ok(!test.logText().includes(SECRET_KEY_HEX), 'even the log does not get the key');
  });

  it('answers an unknown route with ERR_NOT_FOUND without echoing the path', async () => {
    const response = await test.app.inject({ method: 'GET', url: `/cards/${TEST_PAN}?pan=${TEST_PAN}` });
    assert.equal(response.statusCode, 404);
    const body = response.json<ErrorResponse>();
    assert.equal(body.error.code, 'ERR_NOT_FOUND');
    assert.equal(body.error.requestId, response.headers['x-request-id']);
    assert.ok(!response.body.includes(TEST_PAN));
    assert.ok(!test.logText().includes(TEST_PAN), 'the request URL is logged masked');
  });

  it('echoes a sane x-request-id and replaces anything else', async () => {
    const sane = await test.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'lb-7f3a:42' } });
    assert.equal(sane.headers['x-request-id'], 'lb-7f3a:42');
    for (const insane of ['has space', 'x'.repeat(129), '"quoted"', '']) {
      const response = await test.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': insane } });
      assert.match(String(response.headers['x-request-id']), /^generated-\d+$/);
      assert.equal(response.json<ErrorResponse>().error.requestId, response.headers['x-request-id']);
    }
  });

  it('refuses a body over the limit with 413 ERR_BODY_TOO_LARGE', async () => {
    const payload = JSON.stringify({ amountMinor: 1, currency: 'EUR', note: 'x'.repeat(BODY_LIMIT_BYTES) });
    const response = await test.app.inject({ method: 'POST', url: '/payments', payload, headers: { 'content-type': 'application/json' } });
    assert.equal(response.statusCode, 413);
    const body = response.json<ErrorResponse>();
    assert.equal(body.error.code, 'ERR_BODY_TOO_LARGE');
    assert.deepEqual(body.error.details, { bodyLimitBytes: BODY_LIMIT_BYTES });
  });

  it('refuses malformed JSON and unknown media types without quoting the body', async () => {
    const malformed = await test.app.inject({
      method: 'POST',
      url: '/payments',
      payload: `{"amountMinor": ${TEST_PAN},`,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json<ErrorResponse>().error.code, 'ERR_BODY_MALFORMED');
    assert.ok(!malformed.body.includes(TEST_PAN));
    const xml = await test.app.inject({ method: 'POST', url: '/payments', payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json<ErrorResponse>().error.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('serves the OpenAPI document at /docs/json listing the routes', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(response.statusCode, 200);
    const document = response.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.info, { title: 'Test service', version: '1.2.3' });
    const post = document.paths['/payments']?.['post'];
    assert.ok(post !== undefined);
    assert.deepEqual(Object.keys(post.responses).sort(), ['201', '400', '413', '415', '500']);
    assert.ok(document.paths['/health']?.['get'] !== undefined);
    const page = await test.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
  });

  it('never sends a field the response schema does not declare', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/account' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { id: 'acc_1', ownerName: 'Ada' });
    assert.ok(!response.body.includes(SECRET_KEY_HEX));
    assert.ok(!response.body.includes(TEST_PAN));
  });
});

describe('addHealthRoute', () => {
  it('answers 503 ERR_UNAVAILABLE when the check fails or is too slow', async () => {
    const logger = createLogger({ level: 'silent' });
    const failing = await buildHttpApp({ logger, openapi: { title: 't', version: '0' }, docs: false });
    addHealthRoute(failing, { check: () => Promise.reject(new Error('database unreachable')) });
    const slow = await buildHttpApp({ logger, openapi: { title: 't', version: '0' }, docs: false });
    addHealthRoute(slow, { check: () => new Promise((resolve) => setTimeout(resolve, 1_000)), timeoutMs: 10 });
    try {
      for (const app of [failing, slow]) {
        const response = await app.inject({ method: 'GET', url: '/health' });
        assert.equal(response.statusCode, 503);
        assert.equal(response.json<ErrorResponse>().error.code, 'ERR_UNAVAILABLE');
        assert.ok(!response.body.includes('database unreachable'));
      }
      assert.equal((await failing.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404, 'docs: false serves no page');
    } finally {
      await failing.close();
      await slow.close();
    }
  });
});

describe('mapError', () => {
  it('treats a TesseraError with a non-error status as internal', () => {
    assert.equal(mapError(new TesseraError('ERR_ODD', 'odd', { httpStatus: 200 })).code, 'ERR_INTERNAL');
    assert.equal(mapError('a thrown string').statusCode, 500);
    assert.equal(mapError(Object.assign(new Error('x'), { statusCode: 405 })).code, 'ERR_BAD_REQUEST');
  });
});
