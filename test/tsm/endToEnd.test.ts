import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/infra/log/index.js';
import { runCardAgent } from '../../src/card/agent/index.js';
import { createFileKeyStore } from '../../src/tsm/keystore/index.js';
import { loadOrCreateTsmPki, issueSPCredential } from '../../src/tsm/pkiStore.js';
import { addMnoRoute, addServiceProvider, registerSecureElement } from '../../src/tsm/registry.js';
import { otaPath, startTsm, type RunningTsm } from '../../src/tsm/server.js';
import { SPClient, SPSecureChannel } from '../../src/tsm/spClient.js';
import type { TsmContext } from '../../src/tsm/context.js';
import { migrate } from '../../src/infra/db/index.js';
import { tsmMigrations, type TsmDatabase } from '../../src/tsm/schema.js';
import { CENTRAL_SD_AID, createMemoryCard, ISD_AID, MNO_SD_AID, newCardState, type VirtualCard } from '../../src/card/client.js';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ECHO_LOAD_FILE, ECHO_MODULE_AID, ECHO_PACKAGE_AID, TEST_KEY } from './harness.js';

const MSI = '8613800138000';
const CARRIER = 'tessera-mobile-https';
const INSTANCE_AID = 'F0544553539901B1';
const SP_KEY = { version: 0x02, enc: fromHex('A1A2A3A4A5A6A7A8A9AAABACADAEAFA0'), mac: fromHex('B1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0'), dek: fromHex('C1C2C3C4C5C6C7C8C9CACBCCCDCECFC0') };
const isCode = (code: string) => (error: unknown): boolean => isTesseraError(error) && error.code === code;

describe('central TSM end to end over real sockets (issue 4 acceptance)', () => {
  let directory: string;
  let database: TestDatabase<TsmDatabase>;
  let tsm: RunningTsm;
  let card: VirtualCard;
  let cin: string;
  let bankA: SPClient;
  let bankB: SPClient;
  let rootPEM: string;
  const agent = new AbortController();
  let agentDone: Promise<void>;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'tessera-tsm-'));
    database = await openTestDatabase<TsmDatabase>();
    const random = createSystemRandomSource();
    const logger = createLogger({ level: 'silent' });
    const keyStore = createFileKeyStore(join(directory, 'kek.key'), { random });
    const pki = await loadOrCreateTsmPki(join(directory, 'pki'), { random, now: new Date() });
    rootPEM = pki.rootPEM;
    await migrate(database.db, 'tsm', tsmMigrations);
    const admin: TsmContext = { db: database.db, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger, cardWaitMs: 0 };
    await addMnoRoute(admin, 'Tessera Mobile', CARRIER, 'operator');
    await addServiceProvider(admin, 'bank-a', 'operator');
    await addServiceProvider(admin, 'bank-b', 'operator');

    card = createMemoryCard(newCardState({ profile: 'uicc', random }), { firmware: new Map([[ECHO_FIRMWARE_CLASS, createEchoApplet]]) });
    cin = card.state.cinHex;
    await registerSecureElement(admin, {
      cin, iin: card.state.iinHex, msi: MSI, mno: 'Tessera Mobile', profile: 'uicc', seType: 'uicc', gpVersion: '2.3.1', javacardVersion: '3.0.5',
      certificationLevel: 'virtual', masterKeyIndex: 1, expiresAt: new Date(Date.now() + 365 * 86_400_000),
      domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: { version: 0x30, enc: TEST_KEY, mac: TEST_KEY, dek: TEST_KEY } }],
    }, 'operator');

    tsm = await startTsm({ host: '127.0.0.1', port: 0, otaPort: 0, cardWaitMs: 10_000, otaPollWaitMs: 1_000, workerIntervalMs: 200 }, { db: database.db, keyStore, pki, random, now: Date.now, logger });
    agentDone = runCardAgent(card, { tsmUrl: `${tsm.otaUrl}${otaPath(CARRIER)}`, ca: rootPEM, signal: agent.signal, pollDelayMs: 0 });
    const credentialA = await issueSPCredential(pki, 'bank-a', { random, now: new Date() });
    const credentialB = await issueSPCredential(pki, 'bank-b', { random, now: new Date() });
    bankA = new SPClient({ url: tsm.url, certificate: credentialA.certificatePEM, privateKey: credentialA.privateKeyPEM, ca: rootPEM });
    bankB = new SPClient({ url: tsm.url, certificate: credentialB.certificatePEM, privateKey: credentialB.privateKeyPEM, ca: rootPEM });
    await bankA.registerService({ serviceId: 'bank-a-pay', version: '1', packageAid: ECHO_PACKAGE_AID, moduleAid: ECHO_MODULE_AID, instanceAid: INSTANCE_AID, loadFile: ECHO_LOAD_FILE });
  });

  after(async () => {
    agent.abort();
    await agentDone.catch(() => undefined);
    bankA.close();
    bankB.close();
    await tsm.stop();
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('provisions: look-up by MSI, conversation, pre-personalization, key rotation by the SP, personalization, activation', async () => {
    const { cin: found } = await bankA.lookUp(MSI);
    assert.equal(found, cin);
    const conversation = await bankA.startConversation({ cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', spName: 'bank-a', prn: 'PRN-0001', targetAid: INSTANCE_AID, requestedOperation: 'personalization' });
    assert.equal(conversation.otaCarrier, CARRIER);

    const pre = await bankA.prePersonalize(cin, 'bank-a-pay', 'pre-1');
    assert.equal(pre.state, 'completed');
    const spAid = pre.result?.securityDomainAid ?? '';
    const replay = await bankA.prePersonalize(cin, 'bank-a-pay', 'pre-1');
    assert.deepEqual(replay, pre, 'a replayed Idempotency-Key answers what the first call answered');

    const provisional = await bankA.provisionalKeys(cin);
    const channel = await SPSecureChannel.open(bankA, conversation.conversationId, provisional, 0x03);
    await channel.rotateKeys(SP_KEY);
    const data = await bankA.secureElement(cin);
    assert.equal(data.serviceProvider.securityDomainAid, spAid);
    assert.equal(data.serviceProvider.tsmHoldsKeys, false, 'after the rotation the TSM keeps no keys of the SP domain');

    const personalization = await SPSecureChannel.open(bankA, conversation.conversationId, SP_KEY, 0x33);
    await personalization.personalize(INSTANCE_AID, [fromHex('5A0862000000000000055F2403301231')]);
    assert.equal((await bankA.activate({ cin, msi: MSI, serviceId: 'bank-a-pay', spName: 'bank-a', prn: 'PRN-0001' })).state, 'completed');
    const ended = await bankA.endConversation(conversation.conversationId, 'completed');
    assert.equal(ended.state, 'ended');

    // The card: the instance extradited into the SP's domain, personalized, selectable.
    const instance = card.state.registry.find((entry) => entry.aid === INSTANCE_AID);
    assert.equal(instance?.associatedSecurityDomain, spAid);
    assert.equal(instance?.lifeCycle, 0x07);
    card.powerOff();
    card.powerOn();
    assert.equal(toHex(card.transmit(fromHex(`00A4040008${INSTANCE_AID}`))).slice(-4), '9000');
    assert.equal(toHex(card.transmit(fromHex('8004000000'))), '5A0862000000000000055F24033012319000');
    const services = (await bankA.secureElement(cin)).serviceProvider.services;
    assert.deepEqual(services.map((service) => [service.serviceId, service.state]), [['bank-a-pay', 'active']]);

    // Every change wrote its audit line in the statement that made it, and only once (the replay wrote none).
    const trail = await database.db.selectFrom('tsm.audit_log').select(['actor', 'action']).where('cin', '=', cin).orderBy('id').execute();
    assert.deepEqual(trail.map((line) => `${line.actor} ${line.action}`), [
      'operator secure-element.add',
      'bank-a conversation.start',
      'bank-a pre-personalization.request',
      'bank-a pre-personalization.done',
      'bank-a security-domain.keys-handed-over',
      'bank-a script.queue', 'bank-a script.run', // INITIALIZE UPDATE with the provisional keys
      'bank-a script.queue', 'bank-a security-domain.keys-forgotten', 'bank-a script.run', // PUT KEY
      'bank-a script.queue', 'bank-a script.run', // INITIALIZE UPDATE with the SP's keys
      'bank-a script.queue', 'bank-a script.run', // personalization
      'bank-a activation.request',
      'bank-a activation.done',
      'bank-a conversation.end',
    ]);

    // Scripts after the conversation ended are refused; the TSM cannot open the SP domain any more.
    await assert.rejects(bankA.script(conversation.conversationId, 'sp', [fromHex('80CA006600')]), isCode('ERR_TSM_CONVERSATION_CLOSED'));
    const next = await bankA.startConversation({ cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', spName: 'bank-a', prn: 'PRN-0001', targetAid: spAid, requestedOperation: 'post-personalization' });
    await assert.rejects(bankA.script(next.conversationId, 'tsm', [fromHex('80CA006600')]), isCode('ERR_TSM_KEYS_NOT_HELD'));
    await assert.rejects(SPSecureChannel.open(bankA, next.conversationId, provisional, 0x01), 'the provisional keys no longer open the domain');
  });

  it('keeps SPs apart: SP B cannot see, converse about or script SP A\'s domain and service', async () => {
    const written = async () => ({
      audit: (await database.db.selectFrom('tsm.audit_log').select('id').where('cin', '=', cin).execute()).length,
      conversations: (await database.db.selectFrom('tsm.conversations').select('id').where('cin', '=', cin).execute()).length,
      operations: (await database.db.selectFrom('tsm.operations').select('id').where('cin', '=', cin).execute()).length,
    });
    const before = await written();
    const seen = await bankB.secureElement(cin);
    assert.equal(seen.serviceProvider.securityDomainAid, null);
    assert.deepEqual(seen.serviceProvider.services, []);
    await assert.rejects(bankB.startConversation({ cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', spName: 'bank-b', prn: 'X', targetAid: INSTANCE_AID, requestedOperation: 'personalization' }), isCode('ERR_TSM_NOT_FOUND'));
    const mine = await bankA.startConversation({ cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', spName: 'bank-a', prn: 'PRN-0001', targetAid: INSTANCE_AID, requestedOperation: 'content-management' });
    await assert.rejects(bankB.script(mine.conversationId, 'sp', [fromHex('80CA006600')]), isCode('ERR_TSM_NOT_FOUND'));
    await assert.rejects(bankB.prePersonalize(cin, 'bank-a-pay'), isCode('ERR_TSM_NOT_FOUND'));
    await assert.rejects(bankA.startConversation({ cin, msi: MSI, serviceId: 'bank-a-pay', serviceVersion: '1', spName: 'bank-b', prn: 'X', targetAid: INSTANCE_AID, requestedOperation: 'personalization' }), isCode('ERR_TSM_FORBIDDEN'));
    await assert.rejects(bankA.script(mine.conversationId, 'sp', [fromHex(`00A4040008${ISD_AID}`)]), isCode('ERR_TSM_FORBIDDEN'), 'no SELECT of other applications');
    await assert.rejects(bankA.activate({ cin, msi: '8613800138999', serviceId: 'bank-a-pay', spName: 'bank-a', prn: 'PRN-0001' }), isCode('ERR_TSM_NOT_FOUND'), 'the MSI is checked with the CIN');
    // A refusal rolls back whatever its statement wrote: only the one conversation started above remains.
    const after = await written();
    assert.deepEqual(after, { audit: before.audit + 1, conversations: before.conversations + 1, operations: before.operations });
    const script = await database.db.selectFrom('tsm.script_executions').select('id').where('conversation_id', '=', mine.conversationId).execute();
    assert.deepEqual(script, [], 'the refused script left no execution');
  });

  it('refuses a caller without a client certificate at TLS', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = httpsRequest(`${tsm.url}/v1/secure-elements?msi=${MSI}`, { ca: rootPEM }, (response) => resolve(`reached the route: ${response.statusCode}`));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code ?? error.message}`));
      request.end();
    });
    assert.match(outcome, /^refused/);
  });
});
