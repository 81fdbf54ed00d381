import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { deriveICCMasterKey } from '../../../src/lib/emv/index.js';
import { encodeInstallCommand } from '../../../src/lib/gp/index.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import { ISD_AID, PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS } from '../../../src/card/client.js';
import {
  createModelFinger, presentModelFinger, sealCredentialPackage, storeCredentialPackageCommand, verifyBiometricCommand,
} from '../../../src/applets/crypto-se/client.js';
import {
  createPaymentApplet, createPPSEApplet, decodePerformCardAPDU, encodeTerminalResponse, PAYMENT_PERSONALIZATION_TAG, PPSE_AID,
  RESULT_PERFORMED,
} from '../../../src/applets/payment/client.js';
import { installApplet, loadPackage, newTestCard, type Response, type TestCard } from '../../card/harness.js';
import { newCryptoSE, sw, WALLET, type CryptoSEFixture } from '../crypto-se/fixture.js';
import { enrol, generate } from '../crypto-se/registration.js';

/**
 * A device for payment tests: an App SE with the PPSE and the payment application, a Crypto SE
 * holding an OTA credential with EMV keys, and the device's relay for PERFORM CARD APDU.
 */
export const PACKAGE_AID = 'F0544553535099';
export const PAYMENT_MODULE_AID = 'F054455353509901';
export const PPSE_MODULE_AID = 'F054455353509902';
/** The payment application is installed under the AID and TSM key the Crypto SE fixture's ACL grants payments to. */
export const PAYMENT_AID = toHex(WALLET.aid);
export const PAN = '4761739001010119';
export const PAN_SEQUENCE_NUMBER = 1;
export const PSN_DIGITS = '01';
/** Issuer master key for application cryptograms (a test key, the pyemv/jPOS style "0123…" pattern). */
export const ISSUER_MASTER_KEY = fromHex('0123456789ABCDEFFEDCBA9876543210');
/** CDOL1 data a reader sends: 12.50 EUR, other 0, country 0250, TVR 0, currency 0978, 2026-11-21, purchase, UN. */
export const CDOL1_DATA = '000000001250' + '000000000000' + '0250' + '0000000000' + '0978' + '261121' + '00' + '1A2B3C4D';

export interface Device {
  readonly appSE: TestCard;
  readonly cryptoSE: CryptoSEFixture;
  readonly finger: Int8Array;
  /** Every C-APDU the device carried to the Crypto SE. */
  readonly carried: string[];
}

export async function personalize(appSE: TestCard, aid: string, blocks: readonly Uint8Array[]): Promise<number[]> {
  const isd = await appSE.secure(ISD_AID);
  const install = encodeInstallCommand({ kind: 'personalization', applicationAID: fromHex(aid) });
  assert.equal((await isd.send({ ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data })).sw, 0x9000);
  const answers: number[] = [];
  for (const [index, block] of blocks.entries()) {
    answers.push((await isd.send({ ins: 0xe2, p1: index === blocks.length - 1 ? 0x80 : 0x00, p2: index, data: block })).sw);
  }
  return answers;
}

export function paymentPersonalization(keyId: Uint8Array = WALLET.keyId): Uint8Array {
  return encodeTLV([
    primitiveNode(PAYMENT_PERSONALIZATION_TAG.credentialSlot, Uint8Array.of(1)),
    primitiveNode(PAYMENT_PERSONALIZATION_TAG.callerKeyId, keyId),
    primitiveNode(0x50, new TextEncoder().encode('TESSERA DEBIT')),
    primitiveNode(0x5f20, new TextEncoder().encode('CARDHOLDER/TEST')),
  ]);
}

export function ppseDirectory(): Uint8Array {
  return encodeTLV([constructedNode(0xbf0c, [constructedNode(0x61, [
    primitiveNode(0x4f, fromHex(PAYMENT_AID)), primitiveNode(0x50, new TextEncoder().encode('TESSERA DEBIT')), primitiveNode(0x87, Uint8Array.of(1)),
  ])])]);
}

/** An App SE with the PPSE and the payment application, and a Crypto SE holding an OTA credential with EMV keys. */
export async function newDevice(options: { keyId?: Uint8Array; emv?: boolean } = {}): Promise<Device> {
  const appSE = newTestCard('uicc', { [PAYMENT_FIRMWARE_CLASS]: createPaymentApplet, [PPSE_FIRMWARE_CLASS]: createPPSEApplet }, 'payment app se');
  const isd = await appSE.secure(ISD_AID);
  const loaded = await loadPackage(isd, {
    packageAID: fromHex(PACKAGE_AID), version: { major: 1, minor: 0 },
    modules: [{ aid: fromHex(PAYMENT_MODULE_AID), firmwareClass: PAYMENT_FIRMWARE_CLASS }, { aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS }],
  });
  assert.ok(loaded.every((response) => response.sw === 0x9000), 'LOAD');
  assert.equal((await installApplet(isd, { packageAid: PACKAGE_AID, moduleAid: PAYMENT_MODULE_AID, aid: PAYMENT_AID })).sw, 0x9000);
  assert.equal((await installApplet(isd, { packageAid: PACKAGE_AID, moduleAid: PPSE_MODULE_AID, aid: toHex(PPSE_AID) })).sw, 0x9000);
  assert.deepEqual(await personalize(appSE, PAYMENT_AID, [paymentPersonalization(options.keyId)]), [0x9000]);
  assert.deepEqual(await personalize(appSE, toHex(PPSE_AID), [ppseDirectory()]), [0x9000]);

  const cryptoSE = await newCryptoSE({ seed: 'payment crypto se' });
  const point = generate(cryptoSE);
  const finger = createModelFinger(cryptoSE.random);
  enrol(cryptoSE, finger);
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: ISSUER_MASTER_KEY, pan: PAN, panSequenceNumber: PSN_DIGITS });
  const credentialPackage = sealCredentialPackage({
    devicePublicKey: point, tsmPrivateKey: cryptoSE.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: PAN, expiry: '291231', cvv: '321',
    ...(options.emv === false ? {} : { emv: { iccMasterKey, panSequenceNumber: PAN_SEQUENCE_NUMBER } }),
    random: cryptoSE.random,
  });
  assert.equal(sw(cryptoSE.send(storeCredentialPackageCommand(credentialPackage))), '9000');
  cryptoSE.powerCycle();
  return { appSE, cryptoSE, finger, carried: [] };
}

export function apdu(header: string, data = '', le = '00'): string {
  return data === '' ? `${header}${le}` : `${header}${(data.length / 2).toString(16).padStart(2, '0')}${data}${le}`;
}

/**
 * What the device does with a reader's command: hand it to the App SE and, while the App SE
 * answers '91XX', FETCH the proactive command, carry its C-APDU to the Crypto SE (never reading
 * it), and return the R-APDU with TERMINAL RESPONSE.
 */
export function relay(device: Device, command: string): Response {
  let response = device.appSE.send(command);
  for (let round = 0; round < 4 && response.sw >> 8 === 0x91; round++) {
    const fetched = device.appSE.send(`80120000${(response.sw & 0xff).toString(16).padStart(2, '0')}`);
    assert.equal(fetched.sw, 0x9000, 'FETCH');
    const proactive = decodePerformCardAPDU(fromHex(fetched.data));
    device.carried.push(toHex(proactive.commandAPDU));
    const answer = device.cryptoSE.test.card.transmit(proactive.commandAPDU);
    const terminalResponse = encodeTerminalResponse(proactive.commandNumber, RESULT_PERFORMED, answer);
    response = device.appSE.send(apdu('80140000', toHex(terminalResponse)));
  }
  return response;
}

/** Presents the enrolled finger, again after a false reject (the model's FRR is about 1 %), as a person would. */
export function matchFinger(device: Device): void {
  const { cryptoSE, finger } = device;
  let answer = '';
  for (let attempt = 0; attempt < 3 && answer !== '9000'; attempt++) {
    answer = sw(cryptoSE.send(verifyBiometricCommand(cryptoSE.sensor.seal(presentModelFinger(finger, cryptoSE.random)))));
  }
  assert.equal(answer, '9000');
}

