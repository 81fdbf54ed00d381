import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCardAgent, type CardAgentEvent } from '../../../src/card/agent/index.js';
import { createMemoryCard, newCardState, type CardState, type SmartCard } from '../../../src/card/client.js';
import { buildHttpApp, listen, type ListeningServer } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  ADMIN_PROTOCOL, ADMIN_RESPONSE_CONTENT_TYPE, ADMIN_ROUTE_PATH, decodeCommandScript,
} from '../../../src/lib/ram/index.js';
import { OTAErrorCode, OTAGateway, registerOTARoutes, type OTAExchangeRecord } from '../../../src/tsm/ota/index.js';

const SELECT_ISD = fromHex('00A4040008A00000015100000000');
const GET_DATA_CPLC = fromHex('80CA9F7F00');
const GET_DATA_IIN = fromHex('80CA004200');
const SELECT_MISSING = fromHex('00A4040005F0FFFFFFFF00');
const CARRIER = 'test-mno-a-https';
const POLL_WAIT_MS = 400;

function manufacture(seed: string): CardState {
  return newCardState({ profile: 'uicc', random: createDeterministicRandomSource(new TextEncoder().encode(seed)) });
}

/** A card made from a copy of `state`, so a twin answers exactly as the card behind the agent. */
function cardFrom(state: CardState): SmartCard {
  return createMemoryCard(structuredClone(state), { firmware: new Map(), random: createDeterministicRandomSource(Uint8Array.of(1)) });
}

function statusWordOf(response: Uint8Array): string {
  return toHex(response.subarray(-2));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<TesseraError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${code}`), (error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof TesseraError, `expected a TesseraError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

interface RunningAgent {
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly events: CardAgentEvent[];
}

function startAgent(card: SmartCard, url: string, stop = new AbortController()): RunningAgent {
  const events: CardAgentEvent[] = [];
  const done = runCardAgent(card, { tsmUrl: url, pollDelayMs: 0, backoffMinMs: 20, backoffMaxMs: 200, signal: stop.signal, onEvent: (event) => events.push(event) });
  return { stop, done, events };
}

describe('OTA over real sockets: TSM gateway ⇄ admin agent ⇄ virtual card', { timeout: 10_000 }, () => {
  let server: ListeningServer;
  let gateway: OTAGateway;
  const records: OTAExchangeRecord[] = [];
  const state = manufacture('ota-e2e');
  const card = cardFrom(state);
  let agent: RunningAgent;

  before(async () => {
    const app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'OTA test', version: '0.0.0' }, docs: false });
    gateway = new OTAGateway({ carrier: CARRIER, pollWaitMs: POLL_WAIT_MS, exchangeTimeoutMs: 3_000, onExchange: (record) => records.push(record) });
    await registerOTARoutes(app, gateway);
    server = await listen(app);
    agent = startAgent(card, server.url);
  });

  after(async () => {
    agent.stop.abort();
    await agent.done;
    await server.stop();
  });

  it('finds the card by its CIN and returns the card\'s real answers to SELECT ISD and GET DATA 9F7F', async () => {
    const link = await gateway.linkFor(state.cinHex, 5_000);
    assert.ok(link, 'the agent is polling');
    assert.equal(link.carrier, CARRIER);
    const responses = await link.exchange([SELECT_ISD, GET_DATA_CPLC]);

    const twin = cardFrom(state);
    twin.powerOn();
    assert.deepEqual(responses.map(toHex), [toHex(twin.transmit(SELECT_ISD)), toHex(twin.transmit(GET_DATA_CPLC))]);
    assert.equal(statusWordOf(responses[0] as Uint8Array), '9000');
    assert.ok(toHex(responses[1] as Uint8Array).startsWith('9F7F'), 'GET DATA answers the CPLC data object');
    assert.equal(toHex(responses[1] as Uint8Array).slice(6, -4), state.cplcHex.toUpperCase());
    assert.deepEqual(agent.events.find((event) => event.type === 'started'), { type: 'started', agentId: state.cinHex.toUpperCase(), url: `${server.url}${ADMIN_ROUTE_PATH}` });

    const record = records.at(-1);
    assert.ok(record);
    assert.equal(record.carrier, CARRIER);
    assert.equal(record.outcome, 'completed');
    assert.equal(record.commandCount, 2);
    assert.equal(record.responseCount, 2);
  });

  it('stops a batch at the first error status word, as the remote APDU format does', async () => {
    const link = await gateway.linkFor(state.cinHex, 5_000);
    assert.ok(link);
    const responses = await link.exchange([SELECT_ISD, SELECT_MISSING, GET_DATA_CPLC]);
    assert.equal(responses.length, 2);
    assert.equal(statusWordOf(responses[0] as Uint8Array), '9000');
    assert.equal(statusWordOf(responses[1] as Uint8Array), '6A82');
  });

  it('keeps one batch per card in flight', async () => {
    const link = await gateway.linkFor(state.cinHex, 5_000);
    assert.ok(link);
    const first = link.exchange([SELECT_ISD]);
    await rejectsWith(link.exchange([SELECT_ISD]), OTAErrorCode.cardBusy);
    assert.equal((await first).length, 1);
  });

  it('resolves linkFor with undefined after waitMs when the card is offline', async () => {
    const started = Date.now();
    assert.equal(await gateway.linkFor('0102030405060708', 300), undefined);
    assert.ok(Date.now() - started >= 290, 'it waited');
  });

  it('answers 204 No Content with X-Admin-Protocol after the long-poll wait', async () => {
    const started = Date.now();
    const answer = await fetch(`${server.url}${ADMIN_ROUTE_PATH}`, { method: 'POST', headers: { 'x-admin-protocol': ADMIN_PROTOCOL, 'x-admin-from': 'AABBCCDD' } });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('x-admin-protocol'), ADMIN_PROTOCOL);
    assert.ok(Date.now() - started >= POLL_WAIT_MS - 20, 'the request was held for the long-poll wait');
  });

  it('answers a malformed response script with 400 ERR_OTA_SCRIPT_MALFORMED and fails the batch it answered', async () => {
    const cin = '0A0B0C0D0E0F1011';
    const poll = fetch(`${server.url}${ADMIN_ROUTE_PATH}`, { method: 'POST', headers: { 'x-admin-protocol': ADMIN_PROTOCOL, 'x-admin-from': cin } });
    const link = await gateway.linkFor(cin, 2_000);
    assert.ok(link);
    const failed = rejectsWith(link.exchange([SELECT_ISD]), OTAErrorCode.responseInvalid);
    const delivered = await poll;
    assert.equal(delivered.status, 200);
    assert.equal(delivered.headers.get('content-type'), 'application/vnd.globalplatform.card-content-mgt;version=1.0');
    assert.deepEqual(decodeCommandScript(new Uint8Array(await delivered.arrayBuffer())).commands.map(toHex), [toHex(SELECT_ISD)]);
    const nextURI = delivered.headers.get('x-admin-next-uri');
    assert.ok(nextURI !== null && nextURI.startsWith(`${ADMIN_ROUTE_PATH}?batch=`));

    const answer = await fetch(new URL(nextURI, server.url), {
      method: 'POST',
      headers: { 'x-admin-protocol': ADMIN_PROTOCOL, 'x-admin-from': cin, 'content-type': ADMIN_RESPONSE_CONTENT_TYPE },
      body: fromHex('AB05800101230190'),
    });
    assert.equal(answer.status, 400);
    const body = await answer.json() as { error: { code: string; details?: { badFormat?: number } } };
    assert.equal(body.error.code, OTAErrorCode.scriptMalformed);
    assert.equal(body.error.details?.badFormat, 2);
    await failed;
    assert.equal(records.at(-1)?.errorCode, OTAErrorCode.responseInvalid);
  });

  it('fails the batch with a clear error when the agent restarts mid-batch, and the next batch works', async () => {
    const link = await gateway.linkFor(state.cinHex, 5_000);
    assert.ok(link);
    // Replace the agent by one that is stopped while the card executes the second command of a
    // batch (the phone dies): it never answers that batch.
    agent.stop.abort();
    await agent.done;
    // Let the TSM see the old agent hang up. Were the batch queued first, it would go to the old
    // agent's dead request, and the new agent's first POST would fail it as lost: the right
    // answer, but not the case this test is about.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const dying = new AbortController();
    let transmitted = 0;
    const dyingCard: SmartCard = {
      get atr() { return card.atr; },
      powerOn: () => card.powerOn(),
      powerOff: () => card.powerOff(),
      reset: () => card.reset(),
      transmit: (command) => {
        transmitted++;
        const response = card.transmit(command);
        if (toHex(command) === toHex(GET_DATA_IIN)) dying.abort();
        return response;
      },
    };
    agent = startAgent(dyingCard, server.url, dying);
    assert.ok(await gateway.linkFor(state.cinHex, 5_000));
    transmitted = 0;
    const lost = rejectsWith(link.exchange([SELECT_ISD, GET_DATA_IIN, GET_DATA_CPLC]), OTAErrorCode.sessionRestarted);
    await agent.done;
    assert.equal(transmitted, 2, 'the agent stopped before the third command');

    // A fresh agent (the phone rebooted) starts a new admin session: the TSM learns that the batch is lost.
    agent = startAgent(card, server.url);
    const error = await lost;
    assert.match(error.message, /new admin session/);
    assert.equal(records.at(-1)?.errorCode, OTAErrorCode.sessionRestarted);
    const responses = await link.exchange([SELECT_ISD, GET_DATA_IIN]);
    assert.deepEqual(responses.map(statusWordOf), ['9000', '9000']);
    assert.equal(toHex(responses[1] as Uint8Array).slice(4, -4), state.iinHex.toUpperCase());
  });
});
