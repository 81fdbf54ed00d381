import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { computeARQC, deriveICCMasterKey, deriveSessionKey } from '../../../src/lib/emv/index.js';
import { constructedNode, decodeTLV, encodeTLV, findTag, primitiveNode, type TLVNode } from '../../../src/lib/tlv/index.js';
import { PPSE_FIRMWARE_CLASS } from '../../../src/card/client.js';
import {
  createPPSEApplet, decodePerformCardAPDU, encodeTerminalResponse, PPSE_AID, RESULT_CARD_READER_ERROR, RESULT_PERFORMED,
} from '../../../src/applets/payment/client.js';
import { ISD_AID } from '../../../src/card/client.js';
import { installApplet, loadPackage, newTestCard } from '../../card/harness.js';
import { verifyPIN } from '../crypto-se/registration.js';
import {
  apdu, CDOL1_DATA, ISSUER_MASTER_KEY, matchFinger, newDevice, PACKAGE_AID, PAN, PAYMENT_AID, personalize, ppseDirectory, PPSE_MODULE_AID,
  PSN_DIGITS, relay, type Device,
} from './fixture.js';

function value(nodes: readonly TLVNode[], tag: number): string {
  const node = findTag(nodes, tag);
  assert.ok(node !== undefined && !node.constructed, `tag ${tag.toString(16)} present`);
  return toHex(node.value);
}

interface Tap {
  readonly record: TLVNode[];
  readonly cryptogram: TLVNode[];
  readonly aip: string;
}

/** The reader's side of one contactless transaction, every answer checked. */
function tap(device: Device, cdol1Data = CDOL1_DATA, generateACP1 = '80'): Tap {
  const ppse = relay(device, apdu('00A40400', toHex(PPSE_AID)));
  assert.equal(ppse.sw, 0x9000, 'SELECT PPSE');
  const aid = value(decodeTLV(fromHex(ppse.data)), 0x4f);
  assert.equal(aid, PAYMENT_AID);
  const selected = relay(device, apdu('00A40400', aid));
  assert.equal(selected.sw, 0x9000, 'SELECT AID');
  assert.equal(Buffer.from(value(decodeTLV(fromHex(selected.data)), 0x50), 'hex').toString(), 'TESSERA DEBIT');
  const gpo = relay(device, apdu('80A80000', '8300'));
  assert.equal(gpo.sw, 0x9000, 'GET PROCESSING OPTIONS');
  const gpoNodes = decodeTLV(fromHex(gpo.data));
  assert.equal(value(gpoNodes, 0x94), '08010100');
  const read = relay(device, '00B2010C00');
  assert.equal(read.sw, 0x9000, 'READ RECORD');
  const cryptogram = relay(device, apdu(`80AE${generateACP1}00`, cdol1Data));
  assert.equal(cryptogram.sw, 0x9000, 'GENERATE AC');
  return { record: decodeTLV(fromHex(read.data)), cryptogram: decodeTLV(fromHex(cryptogram.data)), aip: value(gpoNodes, 0x82) };
}

/** The issuer's check: derive the card key from the IMK, the session key from the ATC, and recompute. */
function issuerCryptogram(atc: string, aip: string, issuerApplicationData: string, cdol1Data = CDOL1_DATA): string {
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: ISSUER_MASTER_KEY, pan: PAN, panSequenceNumber: PSN_DIGITS });
  const sessionKey = deriveSessionKey({ iccMasterKey, atc: fromHex(atc), method: 'emv-csk' });
  return toHex(computeARQC({ sessionKey, data: fromHex(cdol1Data + aip + atc + issuerApplicationData) }));
}

describe('tap to pay: App SE payment application + Crypto SE cryptogram', () => {
  it('answers PPSE, SELECT, GPO, READ RECORD and GENERATE AC with an ARQC the issuer verifies', async () => {
    const device = await newDevice();
    matchFinger(device);
    const { record, cryptogram, aip } = tap(device);
    const template = findTag(record, 0x70);
    assert.ok(template?.constructed === true);
    assert.equal(value(template.children, 0x5a), PAN);
    assert.equal(value(template.children, 0x57), `${PAN}D2912201` + '00000F');
    assert.equal(value(template.children, 0x5f24), '291231');
    assert.equal(value(template.children, 0x5f34), '01');
    const body = findTag(cryptogram, 0x77);
    assert.ok(body?.constructed === true);
    assert.equal(value(body.children, 0x9f27), '80', 'an ARQC: the application goes online');
    assert.equal(value(body.children, 0x9f36), '0001');
    const issuerApplicationData = value(body.children, 0x9f10);
    assert.equal(issuerApplicationData, '06011203' + '8002' + '00', 'CVN 18 layout; the CVR says ARQC and finger verified on the device');
    assert.equal(value(body.children, 0x9f26), issuerCryptogram('0001', aip, issuerApplicationData));
    // The CVV never left the Crypto SE, and the App SE kept the card data only for the transaction.
    assert.ok(!device.carried.join('').includes('333231'), 'no CVV in anything the device carried');
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.ok(!JSON.stringify(device.appSE.card.state).includes(PAN), 'after the next SELECT the App SE holds no PAN');
  });

  it('counts the ATC per transaction and needs a fresh verification for each', async () => {
    const device = await newDevice();
    verifyPIN(device.cryptoSE);
    const first = findTag(tap(device).cryptogram, 0x77);
    assert.ok(first?.constructed === true);
    assert.equal(value(first.children, 0x9f36), '0001');
    assert.equal(value(first.children, 0x9f10), '06011203' + '8001' + '00', 'the CVR says PIN verified on the device');
    // The cryptogram used the verification up: the next tap is told to see the phone.
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x6986, 'see phone');
    matchFinger(device);
    const second = tap(device);
    const body = findTag(second.cryptogram, 0x77);
    assert.ok(body?.constructed === true);
    assert.equal(value(body.children, 0x9f36), '0002');
    assert.equal(value(body.children, 0x9f10), '06011203' + '8002' + '00', 'the CVR says finger this time');
    assert.equal(value(body.children, 0x9f26), issuerCryptogram('0002', second.aip, value(body.children, 0x9f10)));
  });

  it('tells the reader to see the phone without a verification, and gives it no card data', async () => {
    const device = await newDevice();
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    const gpo = relay(device, apdu('80A80000', '8300'));
    assert.equal(gpo.sw, 0x6986);
    assert.equal(gpo.data, '');
    assert.equal(relay(device, '00B2010C00').sw, 0x6985, 'no record without card data');
  });

  it('is refused by the Crypto SE when its TSM key is not the one the ACL names', async () => {
    const device = await newDevice({ keyId: fromHex('0BADBEEF') });
    matchFinger(device);
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x6986);
    assert.ok(!JSON.stringify(device.appSE.card.state).includes(PAN));
  });

  it('refuses to make cryptograms for a credential that came without EMV keys', async () => {
    const device = await newDevice({ emv: false });
    matchFinger(device);
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x6985);
  });

  it('keeps the EMV order: no GENERATE AC or READ RECORD before GPO, exact CDOL1 and PDOL lengths', async () => {
    const device = await newDevice();
    matchFinger(device);
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80AE8000', CDOL1_DATA)).sw, 0x6985, 'GENERATE AC before GPO');
    assert.equal(relay(device, apdu('80A80000', '830100')).sw, 0x6700, 'PDOL data where the PDOL is empty');
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x9000);
    assert.equal(relay(device, '00B2021C00').sw, 0x6a83, 'no record 2 or SFI 3');
    assert.equal(relay(device, apdu('80AE8000', CDOL1_DATA.slice(2))).sw, 0x6700, 'CDOL1 data one byte short');
    assert.equal(relay(device, apdu('80AEC000', CDOL1_DATA)).sw, 0x6a86, 'P1 C0 is not a cryptogram type');
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x6985, 'a second GPO');
  });

  it('answers an AAC request with an AAC and a TC request with an ARQC', async () => {
    const device = await newDevice();
    matchFinger(device);
    const declined = tap(device, CDOL1_DATA, '00');
    const body = findTag(declined.cryptogram, 0x77);
    assert.ok(body?.constructed === true);
    assert.equal(value(body.children, 0x9f27), '00');
    assert.equal(value(body.children, 0x9f26), issuerCryptogram(value(body.children, 0x9f36), declined.aip, value(body.children, 0x9f10)));
    matchFinger(device);
    const online = tap(device, CDOL1_DATA, '40');
    const onlineBody = findTag(online.cryptogram, 0x77);
    assert.ok(onlineBody?.constructed === true);
    assert.equal(value(onlineBody.children, 0x9f27), '80');
  });

  it('ends the transaction on a terminal response that is not for the pending command or not performed', async () => {
    const device = await newDevice();
    matchFinger(device);
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(device.appSE.send('80120000' + '10').sw, 0x6985, 'FETCH with nothing pending');
    const pending = device.appSE.send(apdu('80A80000', '8300'));
    assert.equal(pending.sw >> 8, 0x91);
    assert.equal(device.appSE.send(apdu('80140000', toHex(encodeTerminalResponse(1, RESULT_PERFORMED, fromHex('9000'))))).sw, 0x6985, 'TERMINAL RESPONSE before FETCH');
    const fetched = decodePerformCardAPDU(fromHex(device.appSE.send(`80120000${(pending.sw & 0xff).toString(16)}`).data));
    assert.equal(device.appSE.send(apdu('80140000', toHex(encodeTerminalResponse(fetched.commandNumber + 1, RESULT_PERFORMED, fromHex('9000'))))).sw, 0x6a80, 'wrong command number');
    assert.equal(device.appSE.send(apdu('80140000', toHex(encodeTerminalResponse(fetched.commandNumber, RESULT_CARD_READER_ERROR, undefined)))).sw, 0x6985, 'the Crypto SE could not be reached');
    assert.equal(relay(device, '00B2010C00').sw, 0x6985, 'the transaction is over');
  });
});

describe('PPSE', () => {
  it('is not found until personalized, and refuses a directory that is not BF0C with 61 entries', async () => {
    const appSE = newTestCard('uicc', { [PPSE_FIRMWARE_CLASS]: createPPSEApplet }, 'ppse');
    const isd = await appSE.secure(ISD_AID);
    await loadPackage(isd, { packageAID: fromHex(PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS }] });
    assert.equal((await installApplet(isd, { packageAid: PACKAGE_AID, moduleAid: PPSE_MODULE_AID, aid: toHex(PPSE_AID) })).sw, 0x9000);
    assert.equal(appSE.select(toHex(PPSE_AID)).sw, 0x6a82);
    const badEntry = encodeTLV([constructedNode(0xbf0c, [constructedNode(0x61, [primitiveNode(0x4f, fromHex('A000'))])])]);
    assert.deepEqual(await personalize(appSE, toHex(PPSE_AID), [badEntry]), [0x6a80], 'an AID shorter than 5 bytes');
    assert.deepEqual(await personalize(appSE, toHex(PPSE_AID), [fromHex('5004414243')]), [0x6a80], 'not a BF0C template');
    assert.deepEqual(await personalize(appSE, toHex(PPSE_AID), [ppseDirectory()]), [0x9000]);
    const fci = appSE.select(toHex(PPSE_AID));
    assert.equal(fci.sw, 0x9000);
    assert.equal(value(decodeTLV(fromHex(fci.data)), 0x84), toHex(PPSE_AID));
  });
});
