import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { encodeCommandAPDU } from '../../src/lib/apdu.js';
import {
  decodeCardData, decodeCPLCResponse, decodeKeyInformationTemplate, decodeRegistryEntries, encodeGetStatusCriteria,
} from '../../src/lib/gp/index.js';
import { SCP03HostSession } from '../../src/lib/scp03/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID, PAYMENT_PACKAGE_AID, SECURITY_DOMAIN_PACKAGE_AID } from '../../src/card/client.js';
import { newTestCard, split, TEST_KEY, installApplet, loadPackage, echoLoadFile } from './harness.js';

const ALL = encodeGetStatusCriteria({ aidQualifier: new Uint8Array(0), other: [] });

describe('SCP03 on the card (Amendment D)', () => {
  it('opens a session at every security level with the default keys', async () => {
    for (const level of [0x01, 0x03, 0x11, 0x13, 0x33]) {
      const test = newTestCard();
      const channel = await test.secure(ISD_AID, { level });
      const status = await channel.send({ ins: 0xf2, p1: 0x80, p2: 0x02, data: ALL, le: 256 });
      assert.equal(status.sw, 0x9000, `level ${level.toString(16)}`);
      assert.equal(toHex(decodeRegistryEntries(fromHex(status.data))[0]?.aid ?? new Uint8Array(0)), ISD_AID);
    }
  });

  it('advances the persistent sequence counter with every INITIALIZE UPDATE (pseudo-random challenges)', async () => {
    const test = newTestCard();
    await test.secure(ISD_AID);
    await test.secure(ISD_AID);
    assert.equal(test.send('80CA00C100').data, 'C103000002');
  });

  it('refuses a wrong host cryptogram with 6300 and opens no session', () => {
    const test = newTestCard();
    test.select(ISD_AID);
    const wrong = fromHex('000102030405060708090A0B0C0D0E0F');
    const host = new SCP03HostSession({ keys: { keyVersion: 0x30, enc: wrong, mac: wrong, dek: wrong } });
    const response = test.card.transmit(host.initializeUpdate(fromHex('0001020304050607')));
    assert.equal(split(response).sw, 0x9000, 'INITIALIZE UPDATE itself succeeds');
    assert.throws(() => host.processInitializeUpdateResponse(response), 'the host sees a wrong card cryptogram');
    // A host that ignores the card cryptogram and sends its own (wrong-key) cryptogram gets 6300.
    const right = new SCP03HostSession({ keys: { keyVersion: 0x30, enc: TEST_KEY, mac: TEST_KEY, dek: TEST_KEY } });
    right.processInitializeUpdateResponse(test.card.transmit(right.initializeUpdate(fromHex('1011121314151617'))));
    const authenticate = right.externalAuthenticate(0x01);
    const tampered = authenticate.slice();
    tampered[5] = (tampered[5] ?? 0) ^ 0x01;
    assert.equal(split(test.card.transmit(tampered)).sw, 0x6982, 'a changed cryptogram breaks the C-MAC first');
    assert.equal(test.send('80F28002024F00').sw, 0x6982, 'no session after a failed EXTERNAL AUTHENTICATE');
  });

  it('answers 6A88 for an unknown key version', () => {
    const test = newTestCard();
    test.select(ISD_AID);
    assert.equal(test.send('8050310008' + '0001020304050607').sw, 0x6a88);
  });

  it('closes the session on a bad C-MAC and refuses what follows', async () => {
    const test = newTestCard();
    const channel = await test.secure(ISD_AID, { level: 0x01 });
    const wrapped = channel.channel;
    assert.ok(wrapped);
    const plain = encodeCommandAPDU({ cla: 0x84, ins: 0xf2, p1: 0x80, p2: 0x02, data: fromHex('4F00' + '0000000000000000'), le: 256 });
    assert.equal(split(test.card.transmit(plain)).sw, 0x6982, 'a made-up MAC fails');
    const next = await channel.send({ ins: 0xf2, p1: 0x80, p2: 0x02, data: ALL, le: 256 }).catch((error: unknown) => error);
    assert.ok(next instanceof Error || (next as { sw: number }).sw === 0x6982, 'the session is gone');
  });

  it('requires a secure channel for content management and GET STATUS', () => {
    const test = newTestCard();
    test.select(ISD_AID);
    for (const command of ['80F28002024F00', '80E60C0000', '80E4000002' + '4F00', '80D8008100', '80F0400008' + CENTRAL_SD_AID, '80E2900000']) {
      assert.equal(test.send(command).sw, 0x6982, command);
    }
  });
});

describe('GET DATA', () => {
  it('answers CPLC, card recognition data, key information, IIN, CIN and unknown tags', () => {
    const test = newTestCard();
    test.select(ISD_AID);
    const cplc = test.send('80CA9F7F00');
    assert.equal(cplc.sw, 0x9000);
    assert.equal(fromHex(cplc.data).length, 3 + 42);
    assert.equal(decodeCPLCResponse(fromHex(cplc.data)).icFabricator, 0x5445);
    const cardData = decodeCardData(fromHex(test.send('80CA006600').data));
    assert.equal(cardData.gpVersion, '2.3.1');
    assert.equal(cardData.secureChannelProtocols[0]?.protocol, 0x03);
    const keys = decodeKeyInformationTemplate(fromHex(test.send('80CA00E000').data));
    assert.deepEqual(keys.map((key) => [key.keyIdentifier, key.keyVersionNumber]), [[1, 0x30], [2, 0x30], [3, 0x30]]);
    assert.match(test.send('80CA004200').data, /^42/);
    assert.match(test.send('80CA004500').data, /^4508/);
    assert.equal(test.send('80CA00CF00').data.length, 2 * 12);
    assert.equal(test.send('80CA00FE00').sw, 0x6a88);
    assert.equal(test.send('00CA9F7F00').sw, 0x9000, 'GET DATA in the interindustry class too');
  });
});

describe('GET STATUS (GP 2.3 §11.4)', () => {
  it('lists domains with privileges and associations, and load files with modules', async () => {
    const test = newTestCard('uicc');
    const channel = await test.secure(ISD_AID);
    const domains = decodeRegistryEntries(fromHex((await channel.send({ ins: 0xf2, p1: 0x40, p2: 0x02, data: ALL, le: 256 })).data));
    const central = domains.find((entry) => toHex(entry.aid) === CENTRAL_SD_AID);
    assert.deepEqual(central?.privileges, ['securityDomain', 'trustedPath', 'authorizedManagement']);
    assert.equal(toHex(central?.associatedSecurityDomainAID ?? new Uint8Array(0)), ISD_AID);
    assert.ok(domains.some((entry) => toHex(entry.aid) === MNO_SD_AID));
    const files = decodeRegistryEntries(fromHex((await channel.send({ ins: 0xf2, p1: 0x10, p2: 0x02, data: ALL, le: 256 })).data));
    const payment = files.find((file) => toHex(file.aid) === PAYMENT_PACKAGE_AID);
    assert.equal(payment?.executableModuleAIDs.length, 2);
    assert.equal(toHex(payment?.associatedSecurityDomainAID ?? new Uint8Array(0)), CENTRAL_SD_AID);
    const domainPackage = files.find((file) => toHex(file.aid) === SECURITY_DOMAIN_PACKAGE_AID);
    assert.equal(toHex(domainPackage?.associatedSecurityDomainAID ?? new Uint8Array(0)), ISD_AID);
  });

  it('pages long answers with 6310 and P2 next occurrence', async () => {
    const test = newTestCard('uicc');
    const channel = await test.secure(CENTRAL_SD_AID);
    await loadPackage(channel, echoLoadFile());
    for (let index = 0; index < 12; index++) {
      assert.equal((await installApplet(channel, { aid: `F05445535399010101${index.toString(16).padStart(2, '0')}` })).sw, 0x9000);
    }
    const isd = await test.secure(ISD_AID);
    const first = await isd.send({ ins: 0xf2, p1: 0x40, p2: 0x02, data: ALL, le: 256 });
    assert.equal(first.sw, 0x6310);
    const entries = decodeRegistryEntries(fromHex(first.data));
    let page = first;
    while (page.sw === 0x6310) {
      page = await isd.send({ ins: 0xf2, p1: 0x40, p2: 0x03, data: ALL, le: 256 });
      entries.push(...decodeRegistryEntries(fromHex(page.data)));
    }
    assert.equal(page.sw, 0x9000);
    assert.equal(entries.length, 2 + 12, 'MNO SD, central SD and the 12 instances');
    assert.equal((await isd.send({ ins: 0xf2, p1: 0x40, p2: 0x03, data: ALL, le: 256 })).sw, 0x6a88, 'nothing left to page');
  });

  it('shows a domain without Global Registry only its own content', async () => {
    const test = newTestCard('uicc');
    const channel = await test.secure(MNO_SD_AID);
    const response = await channel.send({ ins: 0xf2, p1: 0x40, p2: 0x02, data: ALL, le: 256 });
    assert.equal(response.sw, 0x9000);
    assert.deepEqual(decodeRegistryEntries(fromHex(response.data)).map((entry) => toHex(entry.aid)), [MNO_SD_AID], 'itself, and nothing of the central SD');
    const files = await channel.send({ ins: 0xf2, p1: 0x20, p2: 0x02, data: ALL, le: 256 });
    assert.equal(files.sw, 0x6a88, 'the payment package is the central SD\'s');
  });

  it('answers the legacy format and refuses undefined P1/P2', async () => {
    const test = newTestCard('uicc');
    const channel = await test.secure(ISD_AID);
    const legacy = await channel.send({ ins: 0xf2, p1: 0x80, p2: 0x00, data: ALL, le: 256 });
    assert.equal(legacy.sw, 0x9000);
    assert.match(legacy.data, new RegExp(`^08${ISD_AID}0F`));
    assert.equal((await channel.send({ ins: 0xf2, p1: 0x81, p2: 0x02, data: ALL, le: 256 })).sw, 0x6a86);
    assert.equal((await channel.send({ ins: 0xf2, p1: 0x80, p2: 0x04, data: ALL, le: 256 })).sw, 0x6a86);
    assert.equal((await channel.send({ ins: 0xf2, p1: 0x80, p2: 0x02, data: '4F', le: 256 })).sw, 0x6a80, 'malformed criteria');
  });
});
