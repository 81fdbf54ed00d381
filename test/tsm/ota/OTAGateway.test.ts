import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import { decodeCommandScript, encodeResponseScript, type ResponseScript } from '../../../src/lib/ram/index.js';
import {
  OTAErrorCode, OTAGateway, checkBatchAnswer, type AgentAnswer, type OTAExchangeRecord, type OTAGatewayOptions,
} from '../../../src/tsm/ota/index.js';

const CIN = '0011223344556677';
const SELECT_ISD = fromHex('00A4040008A00000015100000000');
const GET_DATA = fromHex('80CA004500');

function gatewayWith(options: Partial<OTAGatewayOptions> = {}): OTAGateway {
  return new OTAGateway({ carrier: 'unit-carrier', pollWaitMs: 1_000, exchangeTimeoutMs: 1_000, ...options });
}

/** One agent request through the gateway's transport-free entry point. */
function poll(gateway: OTAGateway, options: { cin?: string; body?: Uint8Array; batchId?: string; signal?: AbortSignal } = {}): Promise<AgentAnswer> {
  return gateway.handleAgentRequest({
    cin: options.cin ?? CIN,
    body: options.body,
    batchId: options.batchId,
    signal: options.signal ?? new AbortController().signal,
  });
}

function answerFor(responses: string[], extra: Partial<ResponseScript> = {}): Uint8Array {
  return encodeResponseScript({ executedCount: responses.length, responses: responses.map(fromHex), ...extra });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TesseraError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

function script(answer: AgentAnswer): { batchId: string; commands: string[] } {
  assert.equal(answer.kind, 'script');
  return { batchId: answer.batchId, commands: decodeCommandScript(answer.script).commands.map(toHex) };
}

describe('OTAGateway', () => {
  it('hands a batch to the parked poll and resolves the exchange with the next POST\'s responses', async () => {
    const records: OTAExchangeRecord[] = [];
    const gateway = gatewayWith({ onExchange: (record) => records.push(record) });
    const parked = poll(gateway);
    const link = await gateway.linkFor(CIN.toLowerCase(), 0);
    assert.ok(link, 'a parked poll means the agent is connected');
    assert.equal(link.cin, CIN);
    const exchange = link.exchange([SELECT_ISD, GET_DATA]);
    const delivered = script(await parked);
    assert.deepEqual(delivered.commands, [toHex(SELECT_ISD), toHex(GET_DATA)]);
    const next = poll(gateway, { body: answerFor(['9000', '45080102030405060708' + '9000']), batchId: delivered.batchId });
    assert.deepEqual((await exchange).map(toHex), ['9000', '450801020304050607089000']);
    gateway.close();
    assert.deepEqual(await next, { kind: 'none' });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.carrier, 'unit-carrier');
    assert.equal(records[0]?.outcome, 'completed');
  });

  it('queues a batch for a card that is between polls and delivers it on the next POST', async () => {
    const gateway = gatewayWith({ pollWaitMs: 10 });
    assert.deepEqual(await poll(gateway), { kind: 'none' });
    const link = await gateway.linkFor(CIN, 0);
    assert.ok(link, 'seen within the presence window');
    const exchange = link.exchange([SELECT_ISD]);
    const delivered = script(await poll(gateway));
    void poll(gateway, { body: answerFor(['9000']), batchId: delivered.batchId });
    assert.equal((await exchange).length, 1);
    gateway.close();
  });

  it('waits in linkFor until the agent polls, and gives up after waitMs', async () => {
    const gateway = gatewayWith();
    const waiting = gateway.linkFor(CIN, 2_000);
    void poll(gateway);
    assert.equal((await waiting)?.cin, CIN);
    assert.equal(await gateway.linkFor('AA', 20), undefined);
    assert.equal(await gateway.linkFor('BB', 0), undefined);
    gateway.close();
  });

  it('rejects an exchange the card does not answer in time with ERR_TSM_CARD_UNREACHABLE, and ignores the late answer', async () => {
    const gateway = gatewayWith({ exchangeTimeoutMs: 30 });
    const parked = poll(gateway);
    const link = await gateway.linkFor(CIN, 0);
    assert.ok(link);
    const exchange = link.exchange([SELECT_ISD]);
    const delivered = script(await parked);
    await rejectsWith(exchange, OTAErrorCode.cardUnreachable);
    const late = poll(gateway, { body: answerFor(['9000']), batchId: delivered.batchId });
    // The late answer settles nothing; the request simply becomes the next poll.
    const next = link.exchange([GET_DATA]);
    assert.deepEqual(script(await late).commands, [toHex(GET_DATA)]);
    gateway.close();
    await rejectsWith(next, OTAErrorCode.gatewayClosed);
  });

  it('fails a delivered batch as ERR_TSM_CARD_SESSION_RESTARTED when the agent starts a new session instead of answering', async () => {
    const gateway = gatewayWith();
    // The batch goes to a request whose agent is already gone (its connection closes just after).
    const dead = new AbortController();
    const parked = poll(gateway, { signal: dead.signal });
    const link = await gateway.linkFor(CIN, 0);
    assert.ok(link);
    const lost = rejectsWith(link.exchange([SELECT_ISD]), OTAErrorCode.sessionRestarted);
    script(await parked);
    dead.abort();
    const fresh = poll(gateway);
    await lost;
    const next = link.exchange([GET_DATA]);
    assert.deepEqual(script(await fresh).commands, [toHex(GET_DATA)]);
    gateway.close();
    await rejectsWith(next, OTAErrorCode.gatewayClosed);
  });

  it('forgets a parked poll whose agent hangs up, and serves only the newest poll of a card', async () => {
    const gateway = gatewayWith();
    const hangUp = new AbortController();
    const first = poll(gateway, { signal: hangUp.signal });
    hangUp.abort();
    assert.deepEqual(await first, { kind: 'none' });
    const older = poll(gateway);
    const newer = poll(gateway);
    assert.deepEqual(await older, { kind: 'none' }, 'the older poll is released when a newer one arrives');
    const link = await gateway.linkFor(CIN, 0);
    assert.ok(link);
    const exchange = link.exchange([SELECT_ISD]);
    const delivered = script(await newer);
    void poll(gateway, { body: answerFor(['6A82']), batchId: delivered.batchId });
    assert.deepEqual((await exchange).map(toHex), ['6A82']);
    gateway.close();
  });

  it('keeps one batch in flight per card', async () => {
    const gateway = gatewayWith();
    const link = await gateway.linkFor(CIN, 20).then(() => gateway.linkFor(CIN, 0));
    assert.equal(link, undefined);
    void poll(gateway);
    const present = await gateway.linkFor(CIN, 0);
    assert.ok(present);
    const first = present.exchange([SELECT_ISD]);
    await rejectsWith(present.exchange([GET_DATA]), OTAErrorCode.cardBusy);
    gateway.close();
    await rejectsWith(first, OTAErrorCode.gatewayClosed);
  });

  it('refuses an answer that does not fit the batch with ERR_TSM_CARD_RESPONSE_INVALID', async () => {
    const gateway = gatewayWith();
    const parked = poll(gateway);
    const link = await gateway.linkFor(CIN, 0);
    assert.ok(link);
    const exchange = link.exchange([SELECT_ISD, GET_DATA]);
    const delivered = script(await parked);
    void poll(gateway, { body: answerFor(['6A82', '9000']), batchId: delivered.batchId });
    await rejectsWith(exchange, OTAErrorCode.responseInvalid);
    gateway.close();
  });

  it('answers a malformed body with ERR_OTA_SCRIPT_MALFORMED (HTTP 400) naming the Bad format', async () => {
    const gateway = gatewayWith();
    await assert.rejects(poll(gateway, { body: fromHex('AB0180') }), (error: unknown) => {
      assert.ok(error instanceof TesseraError);
      assert.equal(error.code, OTAErrorCode.scriptMalformed);
      assert.equal(error.httpStatus, 400);
      assert.equal(error.details?.['badFormat'], 3);
      return true;
    });
    gateway.close();
  });

  it('refuses an invalid CIN, and works no more once closed', async () => {
    const gateway = gatewayWith();
    await rejectsWith(gateway.linkFor('not hex', 0), OTAErrorCode.cinInvalid);
    await rejectsWith(poll(gateway, { cin: 'ABC' }), OTAErrorCode.cinInvalid);
    const waiting = gateway.linkFor(CIN, 5_000);
    gateway.close();
    assert.equal(await waiting, undefined);
    assert.equal(await gateway.linkFor(CIN, 5_000), undefined);
    await rejectsWith(poll(gateway), OTAErrorCode.gatewayClosed);
  });

  it('forgets idle cards and stays within cardsMax', async () => {
    let now = 1_000_000;
    const gateway = gatewayWith({ idleMs: 60_000, cardsMax: 2, now: () => now });
    const hangUps = { A1: new AbortController(), B2: new AbortController(), C3: new AbortController() };
    const a1 = poll(gateway, { cin: 'A1', signal: hangUps.A1.signal });
    const b2 = poll(gateway, { cin: 'B2', signal: hangUps.B2.signal });
    hangUps.B2.abort();
    await b2;
    assert.equal(gateway.trackedCards, 2);
    // A1 is parked, B2 idle: a third card evicts B2, the least recently active idle one.
    const c3 = poll(gateway, { cin: 'C3', signal: hangUps.C3.signal });
    assert.equal(gateway.trackedCards, 2);
    assert.equal(await gateway.linkFor('B2', 0), undefined, 'B2 was forgotten');
    assert.ok(await gateway.linkFor('A1', 0), 'A1 is still polling');
    hangUps.A1.abort();
    hangUps.C3.abort();
    await Promise.all([a1, c3]);
    now += 60_001;
    // Both are idle and old: admitting a new card sweeps them out.
    const d4 = poll(gateway, { cin: 'D4' });
    assert.equal(gateway.trackedCards, 1);
    gateway.close();
    await d4;
  });

  it('answers ERR_OTA_CAPACITY (503) when every tracked card is busy', async () => {
    const gateway = gatewayWith({ cardsMax: 1 });
    const parked = poll(gateway, { cin: 'A1' });
    await assert.rejects(poll(gateway, { cin: 'B2' }), (error: unknown) => error instanceof TesseraError && error.code === OTAErrorCode.capacity && error.httpStatus === 503);
    gateway.close();
    assert.deepEqual(await parked, { kind: 'none' });
  });
});

describe('checkBatchAnswer', () => {
  const ok = (responses: string[], extra: Partial<ResponseScript> = {}): ResponseScript => ({ executedCount: responses.length, responses: responses.map(fromHex), ...extra });
  const invalid = (commands: number, script: ResponseScript): void => {
    assert.throws(() => checkBatchAnswer(commands, script), (error: unknown) => error instanceof TesseraError && error.code === OTAErrorCode.responseInvalid);
  };
  it('accepts full answers, answers that stop at a failure, and answers cut short by 62F1', () => {
    assert.equal(checkBatchAnswer(2, ok(['9000', '6310'])).length, 2);
    assert.equal(checkBatchAnswer(3, ok(['9000', '6A82'])).length, 2);
    assert.equal(checkBatchAnswer(3, ok(['6110', 'AABB62F1'])).length, 2);
  });
  it('refuses what a card running the script could not have produced', () => {
    invalid(2, ok(['9000', '9000', '9000']));
    invalid(2, ok(['6A82', '9000']));
    invalid(3, ok(['9000', '9000']));
    invalid(1, ok([]));
    invalid(1, { executedCount: 2, responses: [fromHex('9000')] });
    invalid(1, ok([], { executedCount: 0, badFormat: 1 }));
    invalid(1, ok(['9000'], { scriptChainingResponse: 2 }));
  });
});
