import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CENTRAL_SD_AID } from '../../../../src/card/client.js';
import { fromHex, toHex } from '../../../../src/lib/bytes.js';
import { computeAESKeyCheckValue } from '../../../../src/lib/scp03/index.js';
import { GET_STATUS_PAGES_MAX, GPHostErrorCode } from '../../../../src/lib/gp/host/index.js';
import { parseResponseAPDU } from '../../../../src/lib/apdu.js';
import {
  authenticate, CENTRAL_SD, echoLoadFile, ECHO_MODULE, ECHO_PACKAGE, ISD, newHostBench, rejectsWith, TEST_KEYS,
} from './helpers.js';

const NEW_KEYS = {
  enc: fromHex('00112233445566778899AABBCCDDEEFF'),
  mac: fromHex('102132435465768798A9BACBDCEDFE0F'),
  dek: fromHex('2031425364758697A8B9CADBECFD0E1F'),
} as const;
const APP = fromHex('F054455353EC0101');

describe('GPManager PUT KEY against the virtual card', () => {
  it('replaces the keyset, checks the key check values, and then only the new keys authenticate', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    const result = await bench.manager.putKey({ replaceVersion: 0x30, newVersion: 0x31, keys: NEW_KEYS });
    assert.equal(result.keyVersion, 0x31);
    assert.equal(result.replaced, true);
    assert.deepEqual(result.keyCheckValuesHex, [NEW_KEYS.enc, NEW_KEYS.mac, NEW_KEYS.dek].map((key) => toHex(computeAESKeyCheckValue(key))));
    const keyInformation = await bench.manager.getKeyInformation();
    assert.deepEqual(keyInformation.map((key) => [key.keyIdentifier, key.keyVersionNumber]), [[1, 0x31], [2, 0x31], [3, 0x31]]);

    const next = bench.newManager();
    await next.selectSecurityDomain(ISD);
    const session = await next.openSecureChannel(NEW_KEYS, 0x13, { keyVersion: 0x31 });
    assert.equal(session.keyVersion, 0x31);
    assert.equal((await next.getStatus()).issuerSecurityDomain.aidHex, 'A000000151000000');

    await next.selectSecurityDomain(ISD);
    const refused = await rejectsWith(next.openSecureChannel(TEST_KEYS, 0x03), GPHostErrorCode.authentication);
    assert.match(refused.message, /did not verify/);
    // Asking for the replaced version names it: the card has no keyset 30 any more.
    await next.selectSecurityDomain(ISD);
    const gone = await rejectsWith(next.openSecureChannel(TEST_KEYS, 0x03, { keyVersion: 0x30 }), GPHostErrorCode.status, '6A88');
    assert.equal(gone.details?.['command'], 'INITIALIZE UPDATE');
  });

  it('adds a keyset next to the old one (P1 00); both authenticate by version', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager, CENTRAL_SD);
    const result = await bench.manager.putKey({ newVersion: 0x40, keys: NEW_KEYS });
    assert.equal(result.replaced, false);
    for (const [keys, keyVersion] of [[NEW_KEYS, 0x40], [TEST_KEYS, 0x30]] as const) {
      const manager = bench.newManager();
      await manager.selectSecurityDomain(CENTRAL_SD);
      assert.equal((await manager.openSecureChannel(keys, 0x03, { keyVersion })).keyVersion, keyVersion);
    }
  });

  it('after an SP SD rotates its keys the ISD cannot authenticate to it, but can still lock it (seed 001)', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager, CENTRAL_SD);
    await bench.manager.putKey({ replaceVersion: 0x30, newVersion: 0x31, keys: NEW_KEYS });
    await bench.manager.selectSecurityDomain(CENTRAL_SD);
    await rejectsWith(bench.manager.openSecureChannel(TEST_KEYS, 0x03), GPHostErrorCode.authentication);
    await authenticate(bench.manager);
    await bench.manager.lock(CENTRAL_SD);
    const central = (await bench.manager.getStatusOf('applications', { aidQualifier: CENTRAL_SD }))[0];
    assert.equal(central?.aidHex, CENTRAL_SD_AID);
    assert.equal(central?.lifeCycleStateName, 'LOCKED');
    await bench.manager.unlock(CENTRAL_SD);
    assert.equal((await bench.manager.getStatusOf('applications', { aidQualifier: CENTRAL_SD }))[0]?.lifeCycleStateName, 'PERSONALIZED');
  });

  it('refuses a key version outside 01-7F before sending anything', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    await assert.rejects(bench.manager.putKey({ newVersion: 0x80, keys: NEW_KEYS }), { code: 'ERR_GP_MALFORMED' });
  });
});

describe('GPManager SET STATUS against the virtual card', () => {
  it('locks and unlocks an application: a locked application cannot be selected', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    await bench.manager.loadFile(echoLoadFile());
    await bench.manager.installForInstall({ loadFileAID: ECHO_PACKAGE, moduleAID: ECHO_MODULE, applicationAID: APP });
    await bench.manager.lock(APP);
    assert.equal((await bench.manager.getStatusOf('applications', { aidQualifier: APP }))[0]?.lifeCycleStateName, 'LOCKED');
    await rejectsWith(bench.manager.lock(APP), GPHostErrorCode.status, '6985');
    await rejectsWith(bench.newManager().selectSecurityDomain(APP), GPHostErrorCode.status, '6A82');

    await authenticate(bench.manager);
    await bench.manager.unlock(APP);
    assert.equal((await bench.manager.getStatusOf('applications', { aidQualifier: APP }))[0]?.lifeCycleStateName, 'SELECTABLE');
    await bench.newManager().selectSecurityDomain(APP);
  });

  it('locks the card (only the ISD stays selectable) and unlocks it', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    await bench.manager.setStatus({ kind: 'card', state: 'lock' });
    assert.equal((await bench.manager.getStatus()).cardLifeCycleStateName, 'CARD_LOCKED');
    await rejectsWith(bench.newManager().selectSecurityDomain(CENTRAL_SD), GPHostErrorCode.status, '6A82');
    await authenticate(bench.manager);
    await bench.manager.setStatus({ kind: 'card', state: 'unlock' });
    assert.equal((await bench.manager.getStatus()).cardLifeCycleStateName, 'SECURED');
  });

  it('refuses to lock the card from a domain without the Card Lock privilege', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager, CENTRAL_SD);
    await rejectsWith(bench.manager.setStatus({ kind: 'card', state: 'lock' }), GPHostErrorCode.status, '6985');
  });
});

describe('GPManager GET DATA against the virtual card', () => {
  it('reads CPLC, card data, key information, IIN and CIN without a secure channel', async () => {
    const bench = newHostBench('uicc');
    await bench.manager.selectSecurityDomain(ISD);
    const cplc = await bench.manager.getCPLC();
    assert.equal(typeof cplc.icSerialNumber, 'number');
    const cardData = await bench.manager.getCardData();
    assert.equal(cardData.secureChannelProtocols[0]?.protocol, 0x03);
    const keys = await bench.manager.getKeyInformation();
    assert.deepEqual(keys.map((key) => [key.keyIdentifier, key.keyVersionNumber, key.components[0]?.keyType, key.components[0]?.lengthBytes]), [
      [1, 0x30, 0x88, 16], [2, 0x30, 0x88, 16], [3, 0x30, 0x88, 16],
    ]);
    assert.equal(toHex(await bench.manager.getData(0x42)), bench.card.state.iinHex);
    assert.equal(toHex(await bench.manager.getData(0x45)), bench.card.state.cinHex);
    await rejectsWith(bench.manager.getData(0x5f20), GPHostErrorCode.status, '6A88');
  });

  it('reads the sequence counter, which each INITIALIZE UPDATE advances (pseudo-random card challenges)', async () => {
    const bench = newHostBench('uicc');
    await bench.manager.selectSecurityDomain(ISD);
    const before = await bench.manager.getData(0xc1);
    const session = await bench.manager.openSecureChannel(TEST_KEYS, 0x03);
    assert.equal(session.sequenceCounter, Number.parseInt(toHex(before), 16));
    assert.equal(toHex(await bench.manager.getData(0xc1)), (Number.parseInt(toHex(before), 16) + 1).toString(16).toUpperCase().padStart(6, '0'));
    assert.equal(parseResponseAPDU(bench.card.transmit(fromHex('80CA00C100'))).sw, 0x9000);
  });
});

describe('GPManager checks what the card answers', () => {
  it('refuses a PUT KEY answer whose key check value differs from the key sent (ERR_GP_RESPONSE)', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    // At level 03 responses carry no R-MAC, so a meddler can change them; the host's KCV check still notices.
    bench.rewriteNext((command) => command.ins === 0xd8, (response) => {
      const changed = response.slice();
      changed[1] = (changed[1] ?? 0) ^ 0x01;
      return changed;
    });
    const error = await rejectsWith(bench.manager.putKey({ replaceVersion: 0x30, newVersion: 0x31, keys: NEW_KEYS }), GPHostErrorCode.response);
    assert.match(error.message, /key check value for key 1/);
  });

  it('with R-MAC (level 13) the same meddling fails the response MAC instead', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager, ISD, TEST_KEYS, 0x13);
    bench.rewriteNext((command) => command.ins === 0xd8, (response) => {
      const changed = response.slice();
      changed[1] = (changed[1] ?? 0) ^ 0x01;
      return changed;
    });
    await rejectsWith(bench.manager.putKey({ replaceVersion: 0x30, newVersion: 0x31, keys: NEW_KEYS }), 'ERR_CRYPTO_VERIFY');
  });

  it('stops paging after GET_STATUS_PAGES_MAX answers of 6310 from a card that never finishes', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    let pages = 0;
    for (let i = 0; i < GET_STATUS_PAGES_MAX + 1; i++) {
      bench.rewriteNext((command) => command.ins === 0xf2, (response) => {
        pages += 1;
        const changed = response.slice();
        changed.set([0x63, 0x10], changed.length - 2);
        return changed;
      });
    }
    await rejectsWith(bench.manager.getStatusOf('applications'), GPHostErrorCode.status, '6310');
    assert.equal(pages, GET_STATUS_PAGES_MAX);
  });
});
