import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { toHex } from '../../../src/lib/bytes.js';
import {
  createModelFinger, encodeTsmRequestSignatureHeader, TSM_REQUEST_SIGNATURE_HEADER, tsmRequestDigest,
} from '../../../src/applets/crypto-se/client.js';
import { DeviceTsmClient, type Device, type TsmRequestSigner } from '../../../src/device/client.js';
import { DEVICE_REQUEST_NONCE_RETENTION_MS } from '../../../src/tsm/devices/verifyDeviceRequest.js';
import { runAgent, startPlatform, type Platform } from '../../device/harness.js';

interface Answer {
  readonly status: number;
  readonly body: { readonly error?: { readonly code?: string } } & Record<string, unknown>;
}

interface SignedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Who signs (default: nobody, no header). */
  readonly signer?: TsmRequestSigner;
  /** What the signature covers, when it differs from what is sent (tampering after signing). */
  readonly signedPath?: string;
  readonly signedBody?: string;
  readonly body?: string;
  readonly timestampSeconds?: number;
  readonly nonce?: string;
  /** A header to send as is. */
  readonly header?: string;
}

const nonces: string[] = [];
function freshNonce(platform: Platform): string {
  const nonce = toHex(platform.random.bytes(16));
  nonces.push(nonce);
  return nonce;
}

function signatureHeader(platform: Platform, request: SignedRequest): string | undefined {
  if (request.header !== undefined) return request.header;
  if (request.signer === undefined) return undefined;
  const timestampSeconds = request.timestampSeconds ?? Math.floor(Date.now() / 1000);
  const nonce = request.nonce ?? freshNonce(platform);
  const signedBody = request.signedBody ?? request.body;
  const digest = tsmRequestDigest({
    method: request.method, pathWithQuery: request.signedPath ?? request.path, timestampSeconds, nonce,
    body: signedBody === undefined ? new Uint8Array(0) : new TextEncoder().encode(signedBody),
  });
  return encodeTsmRequestSignatureHeader({ timestampSeconds, nonce, signature: request.signer.signTsmRequest(digest) });
}

/** One request to the device listener with exactly these bytes (no client library in between). */
function send(platform: Platform, request: SignedRequest): Promise<Answer> {
  const header = signatureHeader(platform, request);
  const payload = request.body === undefined ? undefined : Buffer.from(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(new URL(request.path, platform.tsm.otaUrl), {
      method: request.method, ca: platform.pki.rootPEM,
      headers: {
        accept: 'application/json', ...(header === undefined ? {} : { [TSM_REQUEST_SIGNATURE_HEADER]: header }),
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
      },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (payload !== undefined) outgoing.write(payload);
    outgoing.end();
  });
}

function assertRefused(answer: Answer, code: string, what: string): void {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error?.code, code, what);
}

describe('TSM device routes: the device signs every request (SIGN TSM REQUEST)', () => {
  let platform: Platform;
  let device: Device;
  let other: Device;
  let unregistered: Device;
  let tsm: DeviceTsmClient;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 53 + 7) % 256)) });
  const packagesPath = (id: string, after = '0000000000000000'): string => `/v1/devices/${id}/credential-packages?after=${after}`;
  const nonceRows = async (): Promise<number> => {
    const result = await sql<{ count: string | number }>`select count(*) as count from tsm.device_request_nonces`.execute(platform.database.db);
    return Number(result.rows[0]?.count ?? 0);
  };

  before(async () => {
    platform = await startPlatform();
    device = (await platform.newDevice('signed-1', '3725550101')).device;
    other = (await platform.newDevice('signed-2', '3725550102')).device;
    unregistered = (await platform.newDevice('signed-3', '3725550103')).device;
    tsm = platform.client();
    for (const phone of [device, other]) {
      phone.enrolFinger(finger);
      await phone.register(tsm, finger);
    }
  });

  after(async () => {
    for (const phone of [device, other, unregistered]) phone.close();
    await platform.close();
  });

  it('answers the device whose Crypto SE signed: catalogue, install, packages', async () => {
    const catalogue = await send(platform, { method: 'GET', path: `/v1/devices/${device.id}/updates`, signer: device });
    assert.equal(catalogue.status, 200, JSON.stringify(catalogue.body));
    const packages = await send(platform, { method: 'GET', path: packagesPath(device.id), signer: device });
    assert.deepEqual(packages, { status: 200, body: { packages: [] } });
    // The device's own client, through update(): GET and POST signed alike.
    const outcome = await device.update(tsm, runAgent);
    assert.equal(outcome.installed.length, 1);
    assert.deepEqual(await device.receiveCredentials(tsm), { stored: [], refused: [] });
  });

  it('refuses a request without the header (401), and nothing runs', async () => {
    const rowsBefore = await nonceRows();
    assertRefused(await send(platform, { method: 'GET', path: `/v1/devices/${device.id}/updates` }), 'ERR_TSM_DEVICE_SIGNATURE_MISSING', 'GET updates');
    assertRefused(await send(platform, { method: 'POST', path: `/v1/devices/${other.id}/updates`, body: '{}' }), 'ERR_TSM_DEVICE_SIGNATURE_MISSING', 'POST updates');
    assertRefused(await send(platform, { method: 'GET', path: packagesPath(device.id) }), 'ERR_TSM_DEVICE_SIGNATURE_MISSING', 'packages');
    const installed = await platform.database.db.selectFrom('tsm.device_applications').selectAll().where('device_id', '=', other.id).execute();
    assert.deepEqual(installed, [], 'the unauthenticated POST installed nothing');
    assert.equal(await nonceRows(), rowsBefore, 'no nonce recorded');
  });

  it('refuses a signature by another registered device\'s key, and an unregistered or unknown device', async () => {
    assertRefused(await send(platform, { method: 'GET', path: packagesPath(device.id), signer: other }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'other device');
    assertRefused(await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, body: '{}', signer: other }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'other device POST');
    const unregisteredAnswer = await send(platform, { method: 'GET', path: `/v1/devices/${unregistered.id}/updates`, signer: unregistered });
    assertRefused(unregisteredAnswer, 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'unregistered device');
    const unknown = await send(platform, { method: 'GET', path: '/v1/devices/0123456789ABCDEF0123/updates', signer: device });
    assertRefused(unknown, 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'unknown device');
    assert.equal(unknown.body.error && JSON.stringify(unknown.body.error).replace(/"requestId":"[^"]*"/, ''), JSON.stringify(unregisteredAnswer.body.error).replace(/"requestId":"[^"]*"/, ''), 'unknown and unregistered look the same');
    // The device's own client refuses likewise when the device is not registered with the TSM.
    await assert.rejects(tsm.updates(unregistered.id, unregistered), (error: { details?: { status?: number; code?: string } }) => error.details?.status === 401 && error.details.code === 'ERR_TSM_DEVICE_SIGNATURE_INVALID');
  });

  it('refuses a path, query, method or body changed after signing', async () => {
    assertRefused(await send(platform, { method: 'GET', path: packagesPath(device.id, '0000000000000001'), signedPath: packagesPath(device.id), signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'query');
    assertRefused(await send(platform, { method: 'GET', path: `/v1/devices/${device.id}/updates`, signedPath: packagesPath(device.id), signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'path');
    // The path as sent, not as the router reads it: a percent-encoded character of the id names the
    // same device and is refused all the same; so is another case of the id (when it has letters:
    // it is 8 random bytes in hex, and may be all digits).
    const encodedId = `%${device.id.charCodeAt(0).toString(16).toUpperCase()}${device.id.slice(1)}`;
    assertRefused(await send(platform, { method: 'GET', path: `/v1/devices/${encodedId}/updates`, signedPath: `/v1/devices/${device.id}/updates`, signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'id encoded');
    // Signed as sent, the encoded path is this device's: the refusal above was the signature's.
    assert.equal((await send(platform, { method: 'GET', path: `/v1/devices/${encodedId}/updates`, signer: device })).status, 200);
    if (device.id.toLowerCase() !== device.id) {
      assertRefused(await send(platform, { method: 'GET', path: `/v1/devices/${device.id.toLowerCase()}/updates`, signedPath: `/v1/devices/${device.id}/updates`, signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'id case');
    }
    assertRefused(await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, body: '{ }', signedBody: '{}', signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'body bytes');
    assertRefused(await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, body: '{}', signedBody: '', signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'body added');
    assertRefused(await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, signedBody: '{}', signer: device }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'body removed');
    // The exact bytes signed go through, whatever their spacing.
    const spaced = await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, body: '{ }', signer: device });
    assert.equal(spaced.status, 200, JSON.stringify(spaced.body));
    const empty = await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, signer: device });
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    // Signed but not JSON, or JSON that tries to poison a prototype: refused by the parser, before any check or write.
    for (const body of ['not json', '{"__proto__":{"admin":true}}']) {
      const answer = await send(platform, { method: 'POST', path: `/v1/devices/${device.id}/updates`, body, signer: device });
      assert.equal(answer.status, 400, `${body}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('refuses a time 301 s old or 301 s ahead, and accepts 300 s either way', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const path = packagesPath(device.id);
    assertRefused(await send(platform, { method: 'GET', path, signer: device, timestampSeconds: nowSeconds - 301 }), 'ERR_TSM_DEVICE_SIGNATURE_STALE', '301 s old');
    assertRefused(await send(platform, { method: 'GET', path, signer: device, timestampSeconds: nowSeconds + 302 }), 'ERR_TSM_DEVICE_SIGNATURE_STALE', 'ahead');
    assert.equal((await send(platform, { method: 'GET', path, signer: device, timestampSeconds: nowSeconds - 299 })).status, 200, 'just inside, behind');
    assert.equal((await send(platform, { method: 'GET', path, signer: device, timestampSeconds: nowSeconds + 299 })).status, 200, 'just inside, ahead');
    const lateClient = new DeviceTsmClient({ url: platform.tsm.otaUrl, ca: platform.pki.rootPEM, now: () => Date.now() - 301_000 });
    try {
      await assert.rejects(device.receiveCredentials(lateClient), (error: { details?: { code?: string } }) => error.details?.code === 'ERR_TSM_DEVICE_SIGNATURE_STALE');
    } finally {
      lateClient.close();
    }
  });

  it('refuses a replayed nonce, even with a new signature; another device may use the same nonce', async () => {
    const path = packagesPath(device.id);
    const header = signatureHeader(platform, { method: 'GET', path, signer: device });
    assert.ok(header !== undefined);
    assert.equal((await send(platform, { method: 'GET', path, header })).status, 200);
    assertRefused(await send(platform, { method: 'GET', path, header }), 'ERR_TSM_DEVICE_SIGNATURE_REPLAYED', 'the same header again');
    const nonce = /n=([0-9A-F]{32})/.exec(header)?.[1];
    assert.ok(nonce !== undefined);
    assertRefused(await send(platform, { method: 'GET', path: `/v1/devices/${device.id}/updates`, signer: device, nonce }), 'ERR_TSM_DEVICE_SIGNATURE_REPLAYED', 'same nonce, other request');
    assert.equal((await send(platform, { method: 'GET', path: packagesPath(other.id), signer: other, nonce })).status, 200, 'nonces are per device');
  });

  it('refuses malformed headers as invalid signatures', async () => {
    const path = packagesPath(device.id);
    for (const header of ['garbage', 't=1,n=2,s=3', `t=${Math.floor(Date.now() / 1000)},n=${toHex(platform.random.bytes(16))},s=MAYCAQECAQE=`]) {
      assertRefused(await send(platform, { method: 'GET', path, header }), 'ERR_TSM_DEVICE_SIGNATURE_INVALID', header);
    }
  });

  it('deletes nonces past their retention when it records a new one', async () => {
    const old = new Date(Date.now() - DEVICE_REQUEST_NONCE_RETENTION_MS - 60_000);
    await platform.database.db.withTables<{ 'tsm.device_request_nonces': { device_id: string; nonce: string; seen_at: Date } }>()
      .insertInto('tsm.device_request_nonces').values([
        { device_id: device.id, nonce: 'A'.repeat(32), seen_at: old }, { device_id: other.id, nonce: 'B'.repeat(32), seen_at: old },
      ]).execute();
    const before = await nonceRows();
    assert.equal((await send(platform, { method: 'GET', path: packagesPath(device.id), signer: device })).status, 200);
    const left = await sql<{ nonce: string }>`select nonce from tsm.device_request_nonces where seen_at < ${new Date(Date.now() - DEVICE_REQUEST_NONCE_RETENTION_MS)}`.execute(platform.database.db);
    assert.deepEqual(left.rows, [], 'both expired nonces are gone');
    assert.equal(await nonceRows(), before - 2 + 1);
  });

  it('documents the header on the signed routes in the OpenAPI document', async () => {
    const document = await new Promise<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>((resolve, reject) => {
      httpsRequest(new URL('/docs/json', platform.tsm.otaUrl), { ca: platform.pki.rootPEM }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as never));
      }).on('error', reject).end();
    });
    for (const [path, method] of [['/v1/devices/{id}/updates', 'get'], ['/v1/devices/{id}/updates', 'post'], ['/v1/devices/{id}/credential-packages', 'get']] as const) {
      const parameters = document.paths[path]?.[method]?.parameters ?? [];
      assert.ok(parameters.some((parameter) => parameter.in === 'header' && parameter.name === TSM_REQUEST_SIGNATURE_HEADER), `${method} ${path}`);
    }
    const registration = document.paths['/v1/devices/registrations']?.['post']?.parameters ?? [];
    assert.ok(!registration.some((parameter) => parameter.name === TSM_REQUEST_SIGNATURE_HEADER), 'registration carries its own proof');
  });
});
