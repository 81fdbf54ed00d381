import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import {
  decodeRegistryEntries, encodeDeleteCommandData, encodeGetStatusCriteria, encodeInstallCommand, encodeLoadFile,
} from '../../src/lib/gp/index.js';
import {
  CENTRAL_SD_AID, ISD_AID, MANDATED_DAP_SD_AID, PAYMENT_MODULE_AID, PAYMENT_PACKAGE_AID, SECURITY_DOMAIN_MODULE_AID, SECURITY_DOMAIN_PACKAGE_AID,
} from '../../src/card/client.js';
import {
  dapKeyStoreData, ECHO_PACKAGE_AID, echoLoadFile, extradite, installApplet, loadPackage, newDAPKey, newTestCard, putKeyData, TEST_KEY,
  type SecureChannel, type TestCard,
} from './harness.js';

const ALL = encodeGetStatusCriteria({ aidQualifier: new Uint8Array(0), other: [] });
const APP_AID = 'F05445535399010101';
const SP_SD_AID = 'F054455353100001';
const SP_KEY = fromHex('00112233445566778899AABBCCDDEEFF');
const SD_MODULE = { packageAid: SECURITY_DOMAIN_PACKAGE_AID, moduleAid: SECURITY_DOMAIN_MODULE_AID };

async function registry(channel: SecureChannel, p1 = 0x40): Promise<Map<string, ReturnType<typeof decodeRegistryEntries>[number]>> {
  const response = await channel.send({ ins: 0xf2, p1, p2: 0x02, data: ALL, le: 256 });
  if (response.sw === 0x6a88) return new Map();
  assert.equal(response.sw, 0x9000);
  return new Map(decodeRegistryEntries(fromHex(response.data)).map((entry) => [toHex(entry.aid), entry]));
}

async function deleteAid(channel: SecureChannel, aid: string, related = false): Promise<number> {
  return (await channel.send({ ins: 0xe4, p1: 0x00, p2: related ? 0x80 : 0x00, data: encodeDeleteCommandData({ kind: 'card-content', aid: fromHex(aid) }) })).sw;
}

async function setStatus(channel: SecureChannel, p1: number, p2: number, aid = ''): Promise<number> {
  return (await channel.send({ ins: 0xf0, p1, p2, data: aid })).sw;
}

/** The seed 001 fig. 3 set-up: the central SD loads the echo package and creates an SP SD. */
async function withSPDomain(test: TestCard): Promise<SecureChannel> {
  const central = await test.secure(CENTRAL_SD_AID);
  assert.ok((await loadPackage(central, echoLoadFile())).every((response) => response.sw === 0x9000));
  assert.equal((await installApplet(central, { aid: SP_SD_AID, ...SD_MODULE, privileges: ['securityDomain', 'trustedPath'] })).sw, 0x9000);
  return central;
}

describe('LOAD and INSTALL (GP 2.3 §11.5, §11.6)', () => {
  it('loads a package in blocks, installs an instance that works and keeps its state', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    const responses = await loadPackage(central, echoLoadFile(), { blockBytes: 16 });
    assert.ok(responses.length > 3, 'several LOAD blocks');
    assert.deepEqual(responses.map((response) => response.sw), responses.map(() => 0x9000));
    assert.equal(responses.at(-1)?.data, '00', 'no receipt');
    assert.equal((await installApplet(central, { aid: APP_AID, parameters: 'CAFE' })).sw, 0x9000);

    const entries = await registry(central);
    assert.equal(entries.get(APP_AID)?.lifeCycleState, 0x07);
    assert.equal(toHex(entries.get(APP_AID)?.associatedSecurityDomainAID ?? new Uint8Array(0)), CENTRAL_SD_AID);
    const files = await registry(central, 0x20);
    assert.ok(files.has(ECHO_PACKAGE_AID));

    assert.equal(test.select(APP_AID).sw, 0x9000);
    assert.deepEqual(test.send('8001000003ABCDEF'), { data: 'ABCDEF', sw: 0x9000 });
    assert.deepEqual(test.send('8002000000'), { data: '00000001', sw: 0x9000 });
    assert.deepEqual(test.send('800200000400000005'), { data: '00000006', sw: 0x9000 });
    assert.equal(test.card.state.applets[APP_AID]?.['counter'], '00000006');
  });

  it('refuses a LOAD without INSTALL [for load], out of sequence, with a wrong hash or an unknown firmware class', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    assert.equal((await central.send({ ins: 0xe8, p1: 0x80, p2: 0x00, data: 'C40100' })).sw, 0x6985, 'no INSTALL [for load]');

    const outOfOrder = await loadPackage(central, echoLoadFile(), { blockBytes: 16 });
    assert.equal(outOfOrder.at(-1)?.sw, 0x9000);
    const install = encodeInstallCommand({ kind: 'load', loadFileAID: fromHex('F0544553539903'), securityDomainAID: new Uint8Array(0), loadFileDataBlockHash: new Uint8Array(0), loadParameters: { other: [] }, loadToken: new Uint8Array(0) });
    assert.equal((await central.send({ ins: 0xe6, p1: install.p1, p2: 0, data: install.data })).sw, 0x9000);
    assert.equal((await central.send({ ins: 0xe8, p1: 0x00, p2: 0x01, data: 'C4' })).sw, 0x6a86, 'block 1 before block 0');

    const wrongHash = await loadPackage(central, echoLoadFile('F0544553539904', 'F054455353990401'), { announcedHash: new Uint8Array(32) });
    assert.equal(wrongHash.at(-1)?.sw, 0x6982);
    const unknownClass = await loadPackage(central, echoLoadFile('F0544553539905', 'F054455353990501', 'no.such.class'));
    assert.equal(unknownClass.at(-1)?.sw, 0x6a80);
    const duplicate = await loadPackage(central, echoLoadFile());
    assert.equal(duplicate[0]?.sw, 0x6a80, 'the package is already loaded');
    const files = await registry(central, 0x20);
    assert.deepEqual([...files.keys()].sort(), [ECHO_PACKAGE_AID, PAYMENT_PACKAGE_AID].sort(), 'failed loads left nothing');
  });

  it('refuses INSTALL without Authorized Management, duplicate AIDs and privileges the domain cannot grant', async () => {
    const test = newTestCard('uicc');
    const central = await withSPDomain(test);
    assert.equal((await installApplet(central, { aid: APP_AID })).sw, 0x9000);
    assert.equal((await installApplet(central, { aid: APP_AID })).sw, 0x6a80, 'duplicate AID');
    assert.equal((await installApplet(central, { aid: 'F05445535399010199', privileges: ['cardLock'] })).sw, 0x6982, 'the central SD holds no Card Lock');
    const invalid = encodeInstallCommand({
      kind: 'install', makeSelectable: true, loadFileAID: fromHex(SECURITY_DOMAIN_PACKAGE_AID), moduleAID: fromHex(SECURITY_DOMAIN_MODULE_AID), applicationAID: fromHex('F05445535399010198'),
      privileges: ['securityDomain', 'dapVerification'], privilegesLength: 3, installParameters: { applicationSpecific: new Uint8Array(0), other: [] }, installToken: new Uint8Array(0),
    });
    const dapWithoutSD = fromHex(toHex(invalid.data).replace('03C00000', '03400000'));
    assert.equal((await central.send({ ins: 0xe6, p1: invalid.p1, p2: 0, data: dapWithoutSD })).sw, 0x6a80, 'DAP Verification without Security Domain');
    assert.equal((await installApplet(central, { aid: 'F05445535399010197', moduleAid: 'F054455353990199' })).sw, 0x6a88, 'no such module');
    assert.equal((await installApplet(central, { aid: 'F05445535399010196', packageAid: PAYMENT_PACKAGE_AID, moduleAid: PAYMENT_MODULE_AID })).sw, 0x6985, 'the payment applet class is not in this firmware');
    const sp = await test.secure(SP_SD_AID);
    assert.equal((await installApplet(sp, { aid: 'F05445535399010195' })).sw, 0x6982, 'an SP SD has no Authorized Management');
  });

  it('installs without making selectable, then makes selectable', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    await loadPackage(central, echoLoadFile());
    assert.equal((await installApplet(central, { aid: APP_AID, makeSelectable: false })).sw, 0x9000);
    assert.equal(test.select(APP_AID).sw, 0x6a82, 'INSTALLED is not selectable');
    const again = await test.secure(CENTRAL_SD_AID);
    const makeSelectable = encodeInstallCommand({ kind: 'make-selectable', applicationAID: fromHex(APP_AID), privileges: [], privilegesLength: 3, parameters: { other: [] }, token: new Uint8Array(0) });
    assert.equal((await again.send({ ins: 0xe6, p1: makeSelectable.p1, p2: 0, data: makeSelectable.data })).sw, 0x9000);
    assert.equal((await again.send({ ins: 0xe6, p1: makeSelectable.p1, p2: 0, data: makeSelectable.data })).sw, 0x6985, 'already SELECTABLE');
    assert.equal(test.select(APP_AID).sw, 0x9000);
  });
});

describe('DAP verification (GP 2.3 §9.2)', () => {
  it('loads into a DAP-verifying domain only with a DAP block that verifies under its key', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    assert.equal((await installApplet(central, { aid: SP_SD_AID, packageAid: 'F0544553539999', moduleAid: SECURITY_DOMAIN_MODULE_AID, privileges: ['securityDomain', 'dapVerification'] })).sw, 0x6a88, 'no such package');
    await loadPackage(central, echoLoadFile());
    assert.equal((await installApplet(central, { aid: SP_SD_AID, ...SD_MODULE, privileges: ['securityDomain', 'dapVerification', 'trustedPath'] })).sw, 0x9000);
    const dap = newDAPKey();
    const sp = await test.secure(SP_SD_AID);
    assert.equal((await sp.send({ ins: 0xe2, p1: 0x90, p2: 0x00, data: dapKeyStoreData(dap.publicKeySpki) })).sw, 0x9000);

    const central2 = await test.secure(CENTRAL_SD_AID);
    const file = echoLoadFile('F0544553539910', 'F054455353991001');
    assert.equal((await loadPackage(central2, file, { sdAid: SP_SD_AID })).at(-1)?.sw, 0x6982, 'no DAP block');
    const other = newDAPKey();
    assert.equal((await loadPackage(central2, file, { sdAid: SP_SD_AID, dap: [{ sdAid: SP_SD_AID, key: other.privateKey }] })).at(-1)?.sw, 0x6982, 'signed with another key');
    const good = await loadPackage(central2, file, { sdAid: SP_SD_AID, dap: [{ sdAid: SP_SD_AID, key: dap.privateKey }] });
    assert.equal(good.at(-1)?.sw, 0x9000);
    const files = await registry(central2, 0x20);
    assert.equal(toHex(files.get('F0544553539910')?.associatedSecurityDomainAID ?? new Uint8Array(0)), SP_SD_AID);
  });

  it('requires the mandated-DAP domain\'s signature on every load (uicc-third-party)', async () => {
    const test = newTestCard('uicc-third-party');
    const mandated = newDAPKey();
    const mdph = await test.secure(MANDATED_DAP_SD_AID);
    assert.equal((await mdph.send({ ins: 0xe2, p1: 0x90, p2: 0x00, data: dapKeyStoreData(mandated.publicKeySpki) })).sw, 0x9000);
    const central = await test.secure(CENTRAL_SD_AID);
    assert.equal((await loadPackage(central, echoLoadFile())).at(-1)?.sw, 0x6982, 'unsigned');
    assert.equal((await loadPackage(central, echoLoadFile(), { dap: [{ sdAid: MANDATED_DAP_SD_AID, key: mandated.privateKey }] })).at(-1)?.sw, 0x9000);
  });

  it('refuses a DAP key for a domain without DAP privileges, and a malformed key', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    assert.equal((await central.send({ ins: 0xe2, p1: 0x90, p2: 0x00, data: dapKeyStoreData(newDAPKey().publicKeySpki) })).sw, 0x6985);
    const mdphCard = newTestCard('embedded-third-party');
    const mdph = await mdphCard.secure(MANDATED_DAP_SD_AID);
    assert.equal((await mdph.send({ ins: 0xe2, p1: 0x90, p2: 0x00, data: 'DF700401020304' })).sw, 0x6a80);
  });
});

describe('extradition, key rotation and locking (seed 001)', () => {
  it('extradites a generic instance into the SP domain; after the SP rotates its keys the central SD cannot open it but can lock it', async () => {
    const test = newTestCard('uicc');
    const central = await withSPDomain(test);
    assert.equal((await installApplet(central, { aid: APP_AID })).sw, 0x9000);
    assert.equal((await extradite(central, APP_AID, SP_SD_AID)).sw, 0x9000);
    assert.equal((await extradite(central, APP_AID, 'F0544553531099')).sw, 0x6a88, 'no such domain');

    // The SP opens its domain (still with the keys it was created with) and rotates them.
    const sp = await test.secure(SP_SD_AID);
    const rotated = await sp.send({ ins: 0xd8, p1: 0x30, p2: 0x81, data: putKeyData(0x31, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) });
    assert.equal(rotated.sw, 0x9000);
    assert.match(rotated.data, /^31/);
    const entries = await registry(await test.secure(SP_SD_AID, { key: SP_KEY, keyVersion: 0x31 }));
    assert.equal(toHex(entries.get(APP_AID)?.associatedSecurityDomainAID ?? new Uint8Array(0)), SP_SD_AID);

    await assert.rejects(test.secure(SP_SD_AID), 'the central keys no longer open the SP domain');
    await assert.rejects(test.secure(SP_SD_AID, { keyVersion: 0x30 }));

    const centralAgain = await test.secure(CENTRAL_SD_AID);
    assert.equal(await setStatus(centralAgain, 0x60, 0x80, SP_SD_AID), 0x9000, 'the central SD locks the SP domain and its applications');
    assert.equal(test.select(APP_AID).sw, 0x6a82);
    assert.equal(test.select(SP_SD_AID).sw, 0x6a82);
    const unlock = await test.secure(CENTRAL_SD_AID);
    assert.equal(await setStatus(unlock, 0x60, 0x00, SP_SD_AID), 0x9000);
    assert.equal(test.select(APP_AID).sw, 0x9000);
  });

  it('refuses PUT KEY with a wrong check value, a non-AES key, a missing version, or a duplicate version', async () => {
    const test = newTestCard('uicc');
    const isd = await test.secure(ISD_AID);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x00, p2: 0x81, data: putKeyData(0x40, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY, true) })).sw, 0x9485);
    const desKey = putKeyData(0x40, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY);
    desKey[1] = 0x80;
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x00, p2: 0x81, data: desKey })).sw, 0x9484);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x22, p2: 0x81, data: putKeyData(0x40, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) })).sw, 0x6a88);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x00, p2: 0x81, data: putKeyData(0x30, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) })).sw, 0x6a80);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x00, p2: 0x81, data: putKeyData(0x40, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) })).sw, 0x9000, 'adds keyset 40');
    await test.secure(ISD_AID, { key: SP_KEY, keyVersion: 0x40 });
    await test.secure(ISD_AID, { keyVersion: 0x30 });
  });

  it('lets one session replace its own keyset and then add another under the DEK it authenticated with', async () => {
    const test = newTestCard('embedded');
    const isd = await test.secure(ISD_AID);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x30, p2: 0x81, data: putKeyData(0x31, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) })).sw, 0x9000);
    assert.equal((await isd.send({ ins: 0xd8, p1: 0x00, p2: 0x81, data: putKeyData(0x32, { enc: SP_KEY, mac: SP_KEY, dek: SP_KEY }, TEST_KEY) })).sw, 0x9000);
    await test.secure(ISD_AID, { key: SP_KEY, keyVersion: 0x32 });
  });
});

describe('DELETE (GP 2.3 §11.2)', () => {
  it('deletes instances, load files with their instances, and refuses what it must', async () => {
    const test = newTestCard('uicc');
    const central = await withSPDomain(test);
    assert.equal((await installApplet(central, { aid: APP_AID })).sw, 0x9000);
    assert.equal(await deleteAid(central, ISD_AID), 0x6985, 'the ISD');
    assert.equal(await deleteAid(central, 'F0544553539999'), 0x6a88, 'unknown');
    assert.equal(await deleteAid(central, ECHO_PACKAGE_AID), 0x6985, 'a load file with instances');
    test.send('0070000001');
    test.send(`01A4040009${APP_AID}`);
    assert.equal(await deleteAid(central, APP_AID), 0x6985, 'selected on channel 1');
    test.send('00708001');
    assert.equal(await deleteAid(central, APP_AID), 0x9000);
    assert.equal((await installApplet(central, { aid: APP_AID })).sw, 0x9000);
    assert.equal(await deleteAid(central, ECHO_PACKAGE_AID, true), 0x9000, 'the package and its instance');
    const files = await registry(central, 0x20);
    assert.ok(!files.has(ECHO_PACKAGE_AID));
    assert.ok(!(await registry(central)).has(APP_AID));
    assert.ok((await registry(central)).has(SP_SD_AID), 'the SP SD comes from the Security Domain package and stays');

    const mno = newTestCard('uicc');
    const mnoChannel = await mno.secure('F054455353000002');
    // A package of the MNO SD, an instance of it extradited under the ISD: deleting the MNO SD with
    // its related objects takes the instance too, wherever it lives.
    assert.equal(await deleteAid(mnoChannel, PAYMENT_PACKAGE_AID), 0x6985, 'the MNO SD does not manage the central SD\'s package');
    assert.equal((await loadPackage(mnoChannel, echoLoadFile())).at(-1)?.sw, 0x9000);
    assert.equal((await installApplet(mnoChannel, { aid: APP_AID })).sw, 0x9000);
    assert.equal((await extradite(mnoChannel, APP_AID, CENTRAL_SD_AID)).sw, 0x9000);
    const isdForMno = await mno.secure(ISD_AID);
    assert.equal(await deleteAid(isdForMno, 'F054455353000002'), 0x6985, 'the MNO SD owns a package');
    assert.equal(await deleteAid(isdForMno, 'F054455353000002', true), 0x9000);
    const left = await registry(isdForMno);
    assert.ok(!left.has(APP_AID), 'the instance of the deleted package is gone');
    assert.ok(!(await registry(isdForMno, 0x20)).has(ECHO_PACKAGE_AID));
  });
});

describe('STORE DATA and personalization (GP 2.3 §11.11)', () => {
  it('delivers STORE DATA to the application after INSTALL [for personalization]', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    await loadPackage(central, echoLoadFile());
    await installApplet(central, { aid: APP_AID });
    const personalize = encodeInstallCommand({ kind: 'personalization', applicationAID: fromHex(APP_AID) });
    assert.equal((await central.send({ ins: 0xe6, p1: personalize.p1, p2: 0, data: personalize.data })).sw, 0x9000);
    assert.equal((await central.send({ ins: 0xe2, p1: 0x00, p2: 0x00, data: '5A0841111111111111115F24032812' })).sw, 0x9000);
    assert.equal((await central.send({ ins: 0xe2, p1: 0x00, p2: 0x02, data: '01' })).sw, 0x6a86, 'block 2 after block 0');
    assert.equal((await central.send({ ins: 0xe2, p1: 0x80, p2: 0x00, data: '9F3602' })).sw, 0x9000, 'a new sequence starts at 0');
    test.select(APP_AID);
    assert.equal(test.send('8004000000').data, '5A0841111111111111115F240328129F3602');
  });

  it('refuses personalization of an application the domain does not own', async () => {
    const test = newTestCard('uicc');
    const central = await withSPDomain(test);
    await installApplet(central, { aid: APP_AID });
    await extradite(central, APP_AID, SP_SD_AID);
    const personalize = encodeInstallCommand({ kind: 'personalization', applicationAID: fromHex(APP_AID) });
    assert.equal((await central.send({ ins: 0xe6, p1: personalize.p1, p2: 0, data: personalize.data })).sw, 0x6985);
    const sp = await test.secure(SP_SD_AID);
    assert.equal((await sp.send({ ins: 0xe6, p1: personalize.p1, p2: 0, data: personalize.data })).sw, 0x9000);
  });
});

describe('SET STATUS and the card life cycle (GP 2.3 §5.1, §11.10)', () => {
  it('locks and unlocks the card with Card Lock, and terminates it for good', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    await loadPackage(central, echoLoadFile());
    await installApplet(central, { aid: APP_AID });
    assert.equal(await setStatus(central, 0x80, 0x7f), 0x6985, 'the central SD has no Card Lock');
    const isd = await test.secure(ISD_AID);
    assert.equal(await setStatus(isd, 0x80, 0x7f), 0x9000);
    assert.equal(test.select(APP_AID).sw, 0x6a82, 'a locked card selects only the ISD');
    assert.equal(test.select(CENTRAL_SD_AID).sw, 0x6a82);
    const isd2 = await test.secure(ISD_AID);
    assert.equal(await setStatus(isd2, 0x80, 0x0f), 0x9000, 'unlock');
    assert.equal(test.select(APP_AID).sw, 0x9000);
    const isd3 = await test.secure(ISD_AID);
    assert.equal(await setStatus(isd3, 0x80, 0x07), 0x6985, 'no way back to INITIALIZED');
    assert.equal(await setStatus(isd3, 0x80, 0x33), 0x6a86, 'not a card state');
    assert.equal(await setStatus(isd3, 0x80, 0x7f, CENTRAL_SD_AID), 0x6a80, 'P1 80 names no other AID');
    assert.equal(await setStatus(isd3, 0x80, 0xff, ISD_AID), 0x9000, 'terminate (the ISD AID in the data, as GPShell sends it)');
    assert.equal(test.select(APP_AID).sw, 0x6a82);
    assert.equal(test.select(ISD_AID).sw, 0x9000);
    assert.equal(test.send('80CA9F7F00').sw, 0x9000, 'GET DATA still answers');
    assert.equal(test.send('8050300008' + '0001020304050607').sw, 0x6985, 'no more secure channels');
  });

  it('lets only a managing domain lock an application', async () => {
    const test = newTestCard('uicc');
    const central = await test.secure(CENTRAL_SD_AID);
    await loadPackage(central, echoLoadFile());
    await installApplet(central, { aid: APP_AID });
    const mno = await test.secure('F054455353000002');
    assert.equal(await setStatus(mno, 0x40, 0x83, APP_AID), 0x6982);
    const central2 = await test.secure(CENTRAL_SD_AID);
    assert.equal(await setStatus(central2, 0x40, 0x83, APP_AID), 0x9000);
    assert.equal(await setStatus(central2, 0x40, 0x83, APP_AID), 0x6985, 'already locked');
    assert.equal(test.select(APP_AID).sw, 0x6a82);
    const isd = await test.secure(ISD_AID);
    assert.equal(await setStatus(isd, 0x40, 0x07, APP_AID), 0x9000, 'the ISD (Global Lock) unlocks it');
    assert.equal(test.select(APP_AID).sw, 0x9000);
    assert.equal(await setStatus(await test.secure(ISD_AID), 0x40, 0x80, ISD_AID), 0x6985, 'the ISD follows the card');
  });

  it('leaves the image unchanged when a command fails half-way (no half-writes)', async () => {
    const test = newTestCard('uicc');
    const central = await withSPDomain(test);
    const before = JSON.stringify(test.card.state);
    assert.equal((await loadPackage(central, echoLoadFile('F0544553539920', 'F054455353992001'), { dataBlock: encodeLoadFile(echoLoadFile('F0544553539921', 'F054455353992101')) })).at(-1)?.sw, 0x6a80);
    assert.equal(JSON.stringify(test.card.state), before);
  });
});
