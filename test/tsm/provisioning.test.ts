import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { encodeCommandAPDU } from '../../src/lib/apdu.js';
import { computeAESCMAC } from '../../src/lib/crypto/index.js';
import { SCP03HostSession } from '../../src/lib/scp03/index.js';
import { encodeInstallCommand, encodePutKeyData } from '../../src/lib/gp/index.js';
import { computeAESKeyCheckValue, encryptKeyWithDEK } from '../../src/lib/scp03/index.js';
import { isTesseraError, TesseraError } from '../../src/lib/errors.js';
import { GPHostErrorCode, GPManager, type ManagedEntry } from '../../src/lib/gp/host/index.js';
import { tsmError, TsmErrorCode } from '../../src/tsm/errors.js';
import type { CardLinkProvider } from '../../src/tsm/types.js';
import { createOperation, getOperation, handOverProvisionalKeys, readCardContent, runOperation } from '../../src/tsm/operations.js';
import { CENTRAL_SD_AID, ISD_AID } from '../../src/card/client.js';
import { startConversation } from '../../src/tsm/conversations.js';
import { createScriptExecution, getScriptExecution, runScriptExecution } from '../../src/tsm/scripts.js';
import { registerService } from '../../src/tsm/registry.js';
import { TsmLimits } from '../../src/tsm/context.js';
import { startWorker } from '../../src/tsm/worker.js';
import { ECHO_LOAD_FILE, ECHO_MODULE_AID, ECHO_PACKAGE_AID, openTsmHarness, type TsmHarness } from './harness.js';

const INSTANCE_AID = 'F0544553539901A1';

/** A TSM harness whose SP bank-a has the echo service 'bank-a-pay' (instance INSTANCE_AID). */
async function openHarnessWithService(): Promise<TsmHarness> {
  const harness = await openTsmHarness();
  await harness.context.db.transaction().execute((trx) => registerService(trx, 'bank-a', {
    serviceId: 'bank-a-pay', version: '1', packageAid: ECHO_PACKAGE_AID, moduleAid: ECHO_MODULE_AID, instanceAid: INSTANCE_AID, loadFile: ECHO_LOAD_FILE,
  }));
  return harness;
}

describe('TSM provisioning flow (seed 001 figs. 3-4), in process', () => {
  let harness: TsmHarness;
  before(async () => {
    harness = await openHarnessWithService();
  });
  after(() => harness.close());

  it('pre-personalizes, hands over keys once, lets the SP rotate them, then refuses to wrap for it', async () => {
    const { context } = harness;
    const { card, cin } = await harness.newCard('8613800000001');
    const operationId = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', 'pre-personalization', cin, { serviceId: 'bank-a-pay' }));
    await runOperation(context, operationId, 0);
    const operation = await getOperation(context, 'bank-a', operationId);
    assert.equal(operation.state, 'completed', JSON.stringify(operation.error));
    const result = operation.result as { securityDomainAid: string; steps: string[] };
    assert.deepEqual(result.steps, ['security-domain-created', 'package-loaded', 'instance-installed', 'instance-extradited', 'provisional-keys-set']);
    const instance = card.state.registry.find((entry) => entry.aid === INSTANCE_AID);
    assert.equal(instance?.associatedSecurityDomain, result.securityDomainAid);

    // Idempotent against the card: a second run changes nothing.
    const again = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', 'pre-personalization', cin, { serviceId: 'bank-a-pay' }));
    await runOperation(context, again, 0);
    assert.deepEqual((await getOperation(context, 'bank-a', again)).result, { ...result, steps: [] });

    const handover = await handOverProvisionalKeys(context, 'bank-a', cin);
    await assert.rejects(handOverProvisionalKeys(context, 'bank-a', cin), (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_CONFLICT');
    await assert.rejects(handOverProvisionalKeys(context, 'bank-b', cin), (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_NOT_FOUND');

    // The SP rotates its keys with its own SCP03 (wrapping 'sp'), relayed by the TSM.
    const conversation = await context.db.transaction().execute((trx) => startConversation(context, trx, 'bank-a', {
      cin, msi: '8613800000001', serviceId: 'bank-a-pay', serviceVersion: '1', serviceQualifier: { spName: 'bank-a', prn: 'PRN-1' },
      targetAid: result.securityDomainAid, scriptFormat: 'apdu-list', scriptBytes: 4096, requestedOperation: 'key-rotation',
    }));
    const provisional = { keyVersion: handover.keyVersion, enc: fromHex(handover.keys.enc), mac: fromHex(handover.keys.mac), dek: fromHex(handover.keys.dek) };
    const host = new SCP03HostSession({ keys: provisional });
    const send = async (commands: Uint8Array[]) => {
      const id = await context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping: 'sp', commands: commands.map(toHex) }));
      await runScriptExecution(context, id, 0);
      return getScriptExecution(context, 'bank-a', id);
    };
    const initialize = await send([host.initializeUpdate()]);
    assert.equal(initialize.state, 'completed');
    host.processInitializeUpdateResponse(fromHex(initialize.responses[0] ?? ''));
    const newKey = computeAESCMAC(fromHex('000102030405060708090A0B0C0D0E0F'), new TextEncoder().encode('bank-a key'));
    const keyData = (key: Uint8Array) => ({ keyType: 0x88, keyData: encryptKeyWithDEK(provisional.dek, key), keyCheckValue: computeAESKeyCheckValue(key) });
    const putKey = encodeCommandAPDU({ cla: 0x80, ins: 0xd8, p1: provisional.keyVersion, p2: 0x81, data: encodePutKeyData({ keyVersionNumber: 0x02, keys: [keyData(newKey), keyData(newKey), keyData(newKey)] }), le: 256 });
    const authenticated = await send([host.externalAuthenticate(0x01)]);
    host.processExternalAuthenticateResponse(fromHex(authenticated.responses[0] ?? ''));
    const rotation = await send([host.wrapCommand(putKey)]);
    assert.deepEqual(rotation.failedCommandIndexes, [], JSON.stringify(rotation));
    const domain = await context.db.selectFrom('tsm.security_domains').selectAll().where('cin', '=', cin).where('aid', '=', result.securityDomainAid).executeTakeFirstOrThrow();
    assert.equal(domain.keyset_sealed, null, 'the TSM forgot the keys after the SP rotated them');

    await assert.rejects(context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping: 'tsm', commands: ['80CA006600'] })),
      (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_KEYS_NOT_HELD');
    assert.ok(encodeInstallCommand);
  });
});

describe('TSM pre-personalization resumes against the card\'s real state', () => {
  let harness: TsmHarness;
  before(async () => {
    harness = await openHarnessWithService();
  });
  after(() => harness.close());

  it('puts the provisional keys into a domain an interrupted run created, and they open it', async () => {
    const { context, cards } = harness;
    const { card, cin } = await harness.newCard('8613800000009');
    // The first run loses the card just as it sends PUT KEY: the domain exists, with the central keys only.
    const losesPutKey: CardLinkProvider = {
      async linkFor(target) {
        const link = await cards.linkFor(target);
        return link === undefined ? undefined : {
          exchange: (commands) => commands.some((command) => command[1] === 0xd8)
            ? Promise.reject(tsmError(TsmErrorCode.cardUnreachable, 'the link dropped'))
            : link.exchange(commands),
        };
      },
    };
    const first = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', 'pre-personalization', cin, { serviceId: 'bank-a-pay' }));
    await runOperation({ ...context, cards: losesPutKey }, first, 0);
    assert.equal((await getOperation(context, 'bank-a', first)).error?.code, 'ERR_TSM_CARD_UNREACHABLE');

    const second = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', 'pre-personalization', cin, { serviceId: 'bank-a-pay' }));
    await runOperation(context, second, 0);
    const resumed = await getOperation(context, 'bank-a', second);
    assert.equal(resumed.state, 'completed', JSON.stringify(resumed.error));
    assert.deepEqual((resumed.result as { steps: string[] }).steps, ['provisional-keys-set'], 'only what the card still lacked');

    const handover = await handOverProvisionalKeys(context, 'bank-a', cin);
    const gp = new GPManager((command) => card.transmit(command));
    await gp.selectSecurityDomain(fromHex(handover.securityDomainAid));
    const opened = await gp.openSecureChannel({ enc: fromHex(handover.keys.enc), mac: fromHex(handover.keys.mac), dek: fromHex(handover.keys.dek) }, 0x33, { keyVersion: handover.keyVersion });
    assert.equal(opened.keyVersion, handover.keyVersion);
  });
});

describe('reading what pre-personalization needs from the card', () => {
  const entry = (aidHex: string, associatedSecurityDomainAIDHex?: string): ManagedEntry => ({
    kind: 'application', aid: fromHex(aidHex), aidHex, lifeCycleState: 0x07, lifeCycleStateName: 'SELECTABLE', privileges: [], moduleAIDsHex: [],
    ...(associatedSecurityDomainAIDHex === undefined ? {} : { associatedSecurityDomainAIDHex }),
  });
  const aids = { instance: INSTANCE_AID, securityDomain: 'F054455353100001', package: ECHO_PACKAGE_AID };

  it('asks for the three entries by AID qualifier', async () => {
    const asked: string[] = [];
    const content = await readCardContent({
      getStatusOf: (scope, options) => {
        const aid = toHex(options?.aidQualifier ?? new Uint8Array(0));
        asked.push(`${scope} ${aid}`);
        // A qualifier is a prefix: the card may list longer AIDs too, which do not count.
        return Promise.resolve(aid === aids.securityDomain ? [entry(`${aid}01`)] : aid === INSTANCE_AID ? [entry(aid, CENTRAL_SD_AID)] : []);
      },
      getStatus: () => Promise.reject(new Error('not asked for the whole registry')),
    }, aids);
    assert.deepEqual(asked, [`applications ${INSTANCE_AID}`, `applications ${aids.securityDomain}`, `load-files ${ECHO_PACKAGE_AID}`]);
    assert.deepEqual({ ...content, instance: content.instance?.aidHex }, { instance: INSTANCE_AID, hasSecurityDomain: false, hasPackage: false });
  });

  it('reads the whole registry, with its fallbacks, from a card that refuses the qualified form (6A86)', async () => {
    const content = await readCardContent({
      getStatusOf: () => Promise.reject(new TesseraError(GPHostErrorCode.status, 'refused', { details: { sw: '6A86', command: 'GET STATUS' } })),
      getStatus: () => Promise.resolve({
        format: 'legacy', cardLifeCycleState: 0x0f, cardLifeCycleStateName: 'SECURED', issuerSecurityDomain: entry(ISD_AID),
        applications: [entry(aids.securityDomain), entry(INSTANCE_AID, aids.securityDomain)], loadFiles: [{ ...entry(ECHO_PACKAGE_AID), kind: 'executable-load-file' }],
      }),
    }, aids);
    assert.deepEqual({ ...content, instance: content.instance?.associatedSecurityDomainAIDHex }, { instance: aids.securityDomain, hasSecurityDomain: true, hasPackage: true });
  });
});

describe('TSM queues for offline cards and expires what waited too long', () => {
  let harness: TsmHarness;
  let clock = Date.parse('2026-11-21T12:00:00Z');
  before(async () => {
    harness = await openTsmHarness({ now: () => clock });
    await harness.context.db.transaction().execute((trx) => registerService(trx, 'bank-a', {
      serviceId: 'bank-a-pay', version: '1', packageAid: ECHO_PACKAGE_AID, moduleAid: ECHO_MODULE_AID, instanceAid: INSTANCE_AID, loadFile: ECHO_LOAD_FILE,
    }));
  });
  after(() => harness.close());

  it('queues a script while the card is offline and delivers it when the card comes back', async () => {
    const { context, cards } = harness;
    const { card, cin } = await harness.newCard('8613800000002');
    const operationId = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', 'pre-personalization', cin, { serviceId: 'bank-a-pay' }));
    cards.detach(cin);
    await runOperation(context, operationId, 0);
    assert.equal((await getOperation(context, 'bank-a', operationId)).state, 'pending', 'waits for the card');
    cards.attach(cin, card);
    const worker = startWorker(context, 60_000);
    await worker.runOnce();
    assert.equal((await getOperation(context, 'bank-a', operationId)).state, 'completed');

    const conversation = await context.db.transaction().execute((trx) => startConversation(context, trx, 'bank-a', {
      cin, msi: '8613800000002', serviceId: 'bank-a-pay', serviceVersion: '1', serviceQualifier: { spName: 'bank-a', prn: 'P' },
      targetAid: INSTANCE_AID, scriptFormat: 'apdu-list', scriptBytes: 4096, requestedOperation: 'content-management',
    }));
    cards.detach(cin);
    const queued = await context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping: 'tsm', commands: ['80CA006600'] }));
    await runScriptExecution(context, queued, 0);
    const waiting = await getScriptExecution(context, 'bank-a', queued);
    assert.equal(waiting.state, 'queued');
    assert.equal(Date.parse(waiting.expiresAt), clock + TsmLimits.QUEUE_TTL_MS, 'the answer says how long it waits');
    cards.attach(cin, card);
    await worker.runOnce();
    const delivered = await getScriptExecution(context, 'bank-a', queued);
    assert.equal(delivered.state, 'completed');
    assert.match(delivered.responses[0] ?? '', /^66.*9000$/);

    cards.detach(cin);
    const late = await context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping: 'tsm', commands: ['80CA006600'] }));
    clock += TsmLimits.QUEUE_TTL_MS + 1;
    await worker.runOnce();
    assert.equal((await getScriptExecution(context, 'bank-a', late)).state, 'expired');
    await assert.rejects(context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping: 'tsm', commands: ['80CA006600'] })),
      (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_CONVERSATION_CLOSED', 'the conversation expired too');
    await worker.stop();
  });

  it('refuses scripts that would leave the SP\'s domain or break the limits', async () => {
    const { context } = harness;
    const { cin } = await harness.newCard('8613800000003');
    const conversation = await context.db.transaction().execute((trx) => startConversation(context, trx, 'bank-a', {
      cin, msi: '8613800000003', serviceId: 'bank-a-pay', serviceVersion: '1', serviceQualifier: { spName: 'bank-a', prn: 'P' },
      targetAid: INSTANCE_AID, scriptFormat: 'apdu-list', scriptBytes: 64, requestedOperation: 'content-management',
    }));
    const attempt = (wrapping: 'tsm' | 'sp', commands: string[]) => context.db.transaction().execute((trx) => createScriptExecution(trx, context, 'bank-a', conversation.conversationId, { wrapping, commands }));
    const code = (expected: string) => (error: unknown): boolean => isTesseraError(error) && error.code === expected;
    await assert.rejects(attempt('sp', ['00A4040008A000000151000000']), code('ERR_TSM_FORBIDDEN'));
    await assert.rejects(attempt('sp', ['0070000001']), code('ERR_TSM_FORBIDDEN'));
    await assert.rejects(attempt('sp', ['81CA006600']), code('ERR_TSM_SCRIPT_INVALID'), 'another logical channel');
    await assert.rejects(attempt('tsm', ['8050300008' + '0001020304050607']), code('ERR_TSM_SCRIPT_INVALID'), 'the TSM runs the handshake itself');
    await assert.rejects(attempt('tsm', ['80CA']), code('ERR_TSM_SCRIPT_INVALID'));
    await assert.rejects(attempt('tsm', ['80E2800040' + '00'.repeat(64)]), code('ERR_TSM_SCRIPT_LIMIT'), 'over the conversation\'s script bytes');
    await assert.rejects(attempt('tsm', ['80CA006600']), code('ERR_TSM_NOT_FOUND'), 'no SP domain before pre-personalization');
  });
});

describe('TSM card round trips: each batch is one OTA exchange', () => {
  let harness: TsmHarness;
  before(async () => {
    harness = await openHarnessWithService();
  });
  after(() => harness.close());

  it('pre-personalizes a new card in 7 exchanges and activates in 3, every batch stopping at the card\'s first refusal', async () => {
    const batches: number[][] = [];
    const counted: CardLinkProvider = {
      async linkFor(cin) {
        const link = await harness.cards.linkFor(cin);
        return link && {
          exchange: async (commands: readonly Uint8Array[]) => {
            const responses = await link.exchange(commands);
            batches.push(commands.map((command) => command[1] ?? 0));
            return responses;
          },
        };
      },
    };
    const context = { ...harness.context, cards: counted };
    const { card, cin } = await harness.newCard('8613800000077');
    const run = async (kind: 'pre-personalization' | 'activation') => {
      batches.length = 0;
      const id = await context.db.transaction().execute((trx) => createOperation(trx, context, 'bank-a', kind, cin, { serviceId: 'bank-a-pay' }));
      await runOperation(context, id, 0);
      const operation = await getOperation(context, 'bank-a', id);
      assert.equal(operation.state, 'completed', JSON.stringify(operation.error));
      return batches.map((instructions) => instructions.map((ins) => ins.toString(16).toUpperCase().padStart(2, '0')).join(' '));
    };
    assert.deepEqual(await run('pre-personalization'), [
      'A4 50', // SELECT the central SD + INITIALIZE UPDATE
      '82 F2', // EXTERNAL AUTHENTICATE + GET STATUS of the instance
      'F2', // GET STATUS of the SP's domain
      'F2', // GET STATUS of the package
      'E6 E6 E8 E6 E6', // INSTALL the SP SD, INSTALL [for load] + LOAD, INSTALL the instance, extradition
      'A4 50', // SELECT the SP's new domain + INITIALIZE UPDATE under the central keys it starts with
      '82 D8', // EXTERNAL AUTHENTICATE + PUT KEY of the provisional keyset
    ]);
    assert.deepEqual(await run('activation'), ['A4 50', '82 F2', 'E6']);
    assert.equal(card.state.registry.find((entry) => entry.aid === INSTANCE_AID)?.lifeCycle, 0x07);
  });
});
