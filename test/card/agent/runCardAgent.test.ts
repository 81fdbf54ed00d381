import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CardAgentErrorCode, runCardAgent, type CardAgentEvent } from '../../../src/card/agent/index.js';
import { createMemoryCard, newCardState, type SmartCard } from '../../../src/card/client.js';
import { buildHttpApp, listen } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../../src/lib/crypto/index.js';
import { ADMIN_COMMAND_CONTENT_TYPE, ADMIN_PROTOCOL, encodeCommandScript } from '../../../src/lib/ram/index.js';
import { OTAGateway, registerOTARoutes } from '../../../src/tsm/ota/index.js';

const AGENT_ID = '1122334455667788';

function okCard(): SmartCard & { readonly sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    atr: fromHex('3B00'),
    powerOn: () => fromHex('3B00'),
    powerOff: () => undefined,
    reset: () => fromHex('3B00'),
    transmit: (command) => {
      sent.push(toHex(command));
      return fromHex('9000');
    },
  };
}

interface SeenRequest {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A stand-in administration server: `handle` decides each answer, in order. */
async function fakeTSM(handle: (request: SeenRequest, response: ServerResponse, index: number) => void): Promise<{ url: string; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('hex').toUpperCase() };
      seen.push(entry);
      handle(entry, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function sendScript(response: ServerResponse, nextURI: string): void {
  response.writeHead(200, { 'x-admin-protocol': ADMIN_PROTOCOL, 'x-admin-next-uri': nextURI, 'content-type': ADMIN_COMMAND_CONTENT_TYPE });
  response.end(Buffer.from(encodeCommandScript([fromHex('00B00000')])));
}

function waitFor(events: CardAgentEvent[], predicate: (event: CardAgentEvent) => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (events.some(predicate)) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`no such event in ${JSON.stringify(events)}`));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('runCardAgent', () => {
  it('repeats a POST whose answer was lost with X-Admin-Resume, same body, same Next-URI', async () => {
    const tsm = await fakeTSM((request, response, index) => {
      if (index === 0) sendScript(response, '/ota/v1/admin?batch=b1');
      else if (index === 1) response.socket?.destroy();
      else {
        response.writeHead(204, { 'x-admin-protocol': ADMIN_PROTOCOL });
        response.end();
      }
    });
    const stop = new AbortController();
    const events: CardAgentEvent[] = [];
    const done = runCardAgent(okCard(), { tsmUrl: tsm.url, agentId: AGENT_ID, pollDelayMs: 10_000, backoffMinMs: 10, signal: stop.signal, onEvent: (event) => events.push(event) });
    await waitFor(events, (event) => event.type === 'idle');
    stop.abort();
    await done;
    tsm.server.close();
    const [first, lost, resent] = tsm.seen;
    assert.ok(first && lost && resent);
    assert.equal(first.headers['x-admin-from'], AGENT_ID);
    assert.equal(first.headers['x-admin-protocol'], ADMIN_PROTOCOL);
    assert.equal(first.body, '');
    assert.equal(lost.url, '/ota/v1/admin?batch=b1');
    assert.equal(lost.body, 'AB078001012302' + '9000');
    assert.equal(lost.headers['content-type'], 'application/vnd.globalplatform.card-content-mgt-response;version=1.0');
    assert.equal(lost.headers['x-admin-script-status'], 'ok');
    assert.equal(resent.url, lost.url);
    assert.equal(resent.body, lost.body);
    assert.equal(resent.headers['x-admin-resume'], 'true');
    assert.ok(events.some((event) => event.type === 'error' && event.code === CardAgentErrorCode.network));
  });

  it('refuses an X-Admin-Next-URI on another origin without running the script', async () => {
    const tsm = await fakeTSM((_request, response, index) => {
      if (index === 0) sendScript(response, 'http://elsewhere.example/steal');
      else {
        response.writeHead(204, { 'x-admin-protocol': ADMIN_PROTOCOL });
        response.end();
      }
    });
    const card = okCard();
    const stop = new AbortController();
    const events: CardAgentEvent[] = [];
    const done = runCardAgent(card, { tsmUrl: tsm.url, agentId: AGENT_ID, pollDelayMs: 10_000, backoffMinMs: 10, signal: stop.signal, onEvent: (event) => events.push(event) });
    await waitFor(events, (event) => event.type === 'idle');
    stop.abort();
    await done;
    tsm.server.close();
    assert.deepEqual(card.sent, []);
    assert.ok(events.some((event) => event.type === 'error' && event.code === CardAgentErrorCode.protocol));
    assert.equal(tsm.seen[1]?.url, '/ota/v1/admin', 'the agent started a new session at the admin URL');
    assert.equal(tsm.seen[1]?.body, '');
  });

  it('backs off exponentially while the TSM is unreachable, and stops cleanly', async () => {
    const tsm = await fakeTSM(() => undefined);
    const url = tsm.url;
    await new Promise<void>((resolve) => tsm.server.close(() => resolve()));
    const stop = new AbortController();
    const events: CardAgentEvent[] = [];
    const done = runCardAgent(okCard(), { tsmUrl: url, agentId: AGENT_ID, backoffMinMs: 5, backoffMaxMs: 20, signal: stop.signal, onEvent: (event) => events.push(event) });
    await waitFor(events, () => events.filter((event) => event.type === 'error').length >= 4);
    stop.abort();
    await done;
    const delays = events.flatMap((event) => (event.type === 'error' ? [event.retryInMs] : []));
    assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 20]);
    assert.equal(events.at(-1)?.type, 'stopped');
  });

  it('reaches a TSM served over HTTPS with a private CA, and fails without that CA', { skip: !hasOpenSSL() && 'openssl is not installed' }, async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-ota-tls-'));
    try {
      const { caPEM, keyPEM, certPEM } = makeServerCertificate(directory);
      const app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'OTA', version: '0.0.0' }, docs: false, tls: { key: keyPEM, cert: certPEM } });
      const gateway = new OTAGateway({ carrier: 'mno-b-https', pollWaitMs: 300 });
      await registerOTARoutes(app, gateway);
      const server = await listen(app);
      assert.ok(server.url.startsWith('https://'));
      const state = newCardState({ profile: 'uicc', random: createDeterministicRandomSource(Uint8Array.of(7)) });
      const card = createMemoryCard(state, { firmware: new Map() });

      const untrusting = new AbortController();
      const refusedEvents: CardAgentEvent[] = [];
      const refused = runCardAgent(createMemoryCard(structuredClone(state), { firmware: new Map() }), { tsmUrl: server.url, backoffMinMs: 10, signal: untrusting.signal, onEvent: (event) => refusedEvents.push(event) });
      await waitFor(refusedEvents, (event) => event.type === 'error');
      untrusting.abort();
      await refused;
      assert.match(JSON.stringify(refusedEvents), /certificate/i);

      const stop = new AbortController();
      const done = runCardAgent(card, { tsmUrl: server.url, ca: caPEM, pollDelayMs: 0, signal: stop.signal });
      const link = await gateway.linkFor(state.cinHex, 5_000);
      assert.ok(link);
      const [selected] = await link.exchange([fromHex('00A4040008A00000015100000000')]);
      assert.equal(toHex((selected as Uint8Array).subarray(-2)), '9000');
      stop.abort();
      await done;
      await server.stop();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

function hasOpenSSL(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A private CA and a server certificate for 127.0.0.1 (ECDSA P-256, one day), made with openssl. */
function makeServerCertificate(directory: string): { caPEM: string; keyPEM: string; certPEM: string } {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: directory, stdio: 'ignore' });
  };
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=Test OTA CA',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  writeFileSync(join(directory, 'server.ext'), 'extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=tsm', '-keyout', 'server.key', '-out', 'server.csr');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Date.now()), '-days', '1', '-extfile', 'server.ext', '-out', 'server.crt');
  const read = (name: string): string => readFileSync(join(directory, name), 'utf8');
  return { caPEM: read('ca.crt'), keyPEM: read('server.key'), certPEM: read('server.crt') };
}
