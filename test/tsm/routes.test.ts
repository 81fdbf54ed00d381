import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/infra/log/index.js';
import { buildHttpApp, type HttpApp } from '../../src/infra/http/index.js';
import { CardLocks } from '../../src/tsm/cardLocks.js';
import type { TsmContext } from '../../src/tsm/context.js';
import type { VirtualCard } from '../../src/card/client.js';
import { registerService } from '../../src/tsm/registry.js';
import { registerTsmRoutes } from '../../src/tsm/routes.js';
import { startWorker } from '../../src/tsm/worker.js';
import { ECHO_LOAD_FILE, ECHO_MODULE_AID, ECHO_PACKAGE_AID, openTsmHarness, type TsmHarness } from './harness.js';

const INSTANCE_AID = 'F0544553539901D1';
const MSI = '8613800000010';

/**
 * The SP-TSM routes through app.inject (the caller is named by a header here; TLS is the end-to-end
 * test's business): work a call records is run at once when the card is reachable, and queued for
 * the worker when it is not, with the same answers on replay.
 */
describe('SP-TSM routes: recorded work runs at once or waits for the card', () => {
  let harness: TsmHarness;
  let context: TsmContext;
  let app: HttpApp;
  let cin: string;
  let card: VirtualCard;
  before(async () => {
    harness = await openTsmHarness();
    context = { ...harness.context, cardLocks: new CardLocks() };
    await harness.context.db.transaction().execute((trx) => registerService(trx, 'bank-a', {
      serviceId: 'bank-a-pay', version: '1', packageAid: ECHO_PACKAGE_AID, moduleAid: ECHO_MODULE_AID, instanceAid: INSTANCE_AID, loadFile: ECHO_LOAD_FILE,
    }));
    ({ cin, card } = await harness.newCard(MSI));
    app = await buildHttpApp({ logger: createLogger({ level: 'silent' }), openapi: { title: 'test', version: '0' } });
    registerTsmRoutes(app, context, (request) => String(request.headers['x-test-sp']));
    await app.ready();
  });
  after(async () => {
    await app.close();
    await harness.close();
  });

  const post = (url: string, key: string, payload: unknown) => app.inject({
    method: 'POST', url, payload: payload as Record<string, unknown>, headers: { 'x-test-sp': 'bank-a', 'idempotency-key': key },
  });

  it('pre-personalizes at once, and a replay answers the same without running it again', async () => {
    const first = await post(`/v1/secure-elements/${cin}/pre-personalization`, 'pre-1', { serviceId: 'bank-a-pay' });
    assert.equal(first.statusCode, 200, first.body);
    const operation = first.json<{ operationId: string; state: string; result: { steps: string[] } }>();
    assert.equal(operation.state, 'completed');
    assert.ok(operation.result.steps.includes('provisional-keys-set'));
    const replay = await post(`/v1/secure-elements/${cin}/pre-personalization`, 'pre-1', { serviceId: 'bank-a-pay' });
    assert.equal(replay.statusCode, 200);
    assert.deepEqual(replay.json(), first.json());
    const runs = await context.db.selectFrom('tsm.audit_log').select('action').where('cin', '=', cin).where('action', '=', 'pre-personalization.done').execute();
    assert.equal(runs.length, 1);
  });

  it('queues a script for an offline card (202, nothing leased) and the worker delivers it', async () => {
    const conversation = await post('/v1/conversations', 'conversation-1', {
      cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', serviceQualifier: { spName: 'bank-a', prn: 'P1' },
      targetAid: INSTANCE_AID, scriptFormat: 'apdu-list', scriptBytes: 4096, requestedOperation: 'content-management',
    });
    assert.equal(conversation.statusCode, 201, conversation.body);
    const { conversationId } = conversation.json<{ conversationId: string }>();
    harness.cards.detach(cin);

    const queued = await post(`/v1/conversations/${conversationId}/scripts`, 'script-1', { wrapping: 'tsm', commands: ['80CA006600'] });
    assert.equal(queued.statusCode, 202, queued.body);
    const execution = queued.json<{ executionId: string; state: string }>();
    assert.equal(execution.state, 'queued');
    const row = await context.db.selectFrom('tsm.script_executions').select(['state', 'lease_expires_at']).where('id', '=', execution.executionId).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'queued', lease_expires_at: null }, 'the recording call gave its lease back');

    harness.cards.attach(cin, card);
    const worker = startWorker(context, 60_000);
    await worker.runOnce();
    await worker.stop();
    const replay = await post(`/v1/conversations/${conversationId}/scripts`, 'script-1', { wrapping: 'tsm', commands: ['80CA006600'] });
    assert.equal(replay.statusCode, 200, replay.body);
    const delivered = replay.json<{ executionId: string; state: string; responses: string[] }>();
    assert.equal(delivered.executionId, execution.executionId);
    assert.equal(delivered.state, 'completed');
    assert.match(delivered.responses[0] ?? '', /9000$/);
  });

  it('checks the CIN and MSI of an activation before recording anything', async () => {
    const refused = await post('/v1/services/activate', 'activate-1', { cin, msi: '8613800000099', serviceId: 'bank-a-pay', serviceQualifier: { spName: 'bank-a', prn: 'P1' } });
    assert.equal(refused.statusCode, 404, refused.body);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'ERR_TSM_NOT_FOUND');
    const activations = await context.db.selectFrom('tsm.operations').select('id').where('cin', '=', cin).where('kind', '=', 'activation').execute();
    assert.equal(activations.length, 0);
    const accepted = await post('/v1/services/activate', 'activate-1', { cin, msi: MSI, serviceId: 'bank-a-pay', serviceQualifier: { spName: 'bank-a', prn: 'P1' } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json<{ state: string }>().state, 'completed');
  });
});
