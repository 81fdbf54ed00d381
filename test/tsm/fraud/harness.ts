import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { deriveICCMasterKey } from '../../../src/lib/emv/index.js';
import { encodeCommandAPDU } from '../../../src/lib/apdu.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import {
  createModelFinger, CRYPTO_SE_CLA, CRYPTO_SE_INS, CRYPTO_SE_TAG, getPaymentAttestationCommand, parsePaymentAttestation, PAYMENT_CVM,
  type PaymentAttestation,
} from '../../../src/applets/crypto-se/client.js';
import { runContactlessKernel, type KernelOutcome } from '../../../src/pos/client.js';
import { PAYMENT_APPLICATION_AID, type Device, type ModelFinger } from '../../../src/device/client.js';
import { runAgent, tokenPAN, type Platform } from '../../device/harness.js';
import { PAYMENT_SLOT as SLOT } from '../../device/tapHarness.js';

export { PAYMENT_SLOT as SLOT, publishPaymentApplets } from '../../device/tapHarness.js';

/** CDOL1 data of a reader (the payment applet's default CDOL1: 29 bytes). */
const CDOL1_DATA = '000000001250' + '000000000000' + '0156' + '0000000000' + '0156' + '261121' + '00' + '1A2B3C4D';
const AIP = '1880';
const ISSUER_MASTER_KEY = fromHex('0123456789ABCDEFFEDCBA9876543210');

/** A tap at a reader (the POS kernel alone, no acquirer): finger, payment mode, PPSE … GENERATE AC. */
export async function tapAtReader(subject: AttestingDevice, random: { bytes(length: number): Uint8Array }): Promise<KernelOutcome> {
  assert.equal(subject.device.prepareTap(subject.finger).verified, true);
  const outcome = await runContactlessKernel(subject.device.contactless(), {
    amountMinor: 12_50n, currencyNumeric: 156, countryNumeric: 156, at: new Date(), unpredictableNumber: random.bytes(4),
  });
  subject.device.radios.press();
  return outcome;
}

export interface AttestingDevice {
  readonly device: Device;
  readonly finger: ModelFinger;
  readonly pan: string;
}

/**
 * A device that can make payment attestations without a POS: registered with the TSM, the
 * catalogue's payment application installed on its App SE (the caller the Crypto SE's ACL knows),
 * an EMV credential deployed by bank-a (so bank-a serves the device).
 */
export async function attestingDevice(platform: Platform, name: string, msisdn: string, seed: number): Promise<AttestingDevice> {
  const { device } = await platform.newDevice(name, msisdn);
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 37 + seed) % 256)) });
  device.enrolFinger(finger);
  const tsm = platform.client();
  await device.register(tsm, finger);
  const updated = await device.update(tsm, runAgent);
  assert.deepEqual(updated.failed, []);
  const pan = tokenPAN(platform.random);
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: ISSUER_MASTER_KEY, pan, panSequenceNumber: '01' });
  const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, {
    credentialSlot: SLOT, pan, expiry: '301231', emv: { iccMasterKey: toHex(iccMasterKey), panSequenceNumber: 1 },
  });
  assert.equal(deployed.status, 201);
  assert.equal((await device.receiveCredentials(tsm)).stored.length, 1);
  return { device, finger, pan };
}

/**
 * One attestation, as the payment application would ask for it: the finger in a fresh session
 * (prepareTap), GENERATE AC on behalf of the payment application (the host relays what the App
 * SE's PERFORM CARD APDU would carry), then GET PAYMENT ATTESTATION in the same session.
 */
export function attest(subject: AttestingDevice): PaymentAttestation {
  const { device } = subject;
  assert.equal(device.prepareTap(subject.finger).verified, true);
  if (device.radios.paymentMode) device.radios.press();
  const caller = device.appSE.callerFor(PAYMENT_APPLICATION_AID);
  assert.ok(caller !== undefined, 'the payment application is installed');
  const generateAC = encodeCommandAPDU({
    cla: CRYPTO_SE_CLA, ins: CRYPTO_SE_INS.generateAC, p1: PAYMENT_CVM.either, p2: 0x00, le: 256,
    data: encodeTLV([
      constructedNode(CRYPTO_SE_TAG.caller, [primitiveNode(CRYPTO_SE_TAG.callerAID, caller.aid), primitiveNode(CRYPTO_SE_TAG.callerKeyId, caller.keyId)]),
      primitiveNode(CRYPTO_SE_TAG.credentialSlot, Uint8Array.of(SLOT)),
      primitiveNode(CRYPTO_SE_TAG.cryptogramData, fromHex(CDOL1_DATA)),
      primitiveNode(CRYPTO_SE_TAG.cryptogramType, Uint8Array.of(0x80)),
      primitiveNode(CRYPTO_SE_TAG.applicationInterchangeProfile, fromHex(AIP)),
    ]),
  });
  assert.equal(device.relay(generateAC).sw, 0x9000, 'GENERATE AC');
  const answer = device.relay(getPaymentAttestationCommand());
  assert.equal(answer.sw, 0x9000, 'GET PAYMENT ATTESTATION');
  return parsePaymentAttestation(answer.data);
}

/** The report body the device route takes. */
export function reportOf(attestation: PaymentAttestation): { record: string; signature: string } {
  return { record: toHex(attestation.record), signature: toHex(attestation.signature) };
}

/** Rows of tsm.payment_reports (to show a refusal changed nothing). */
export async function reportRows(platform: Platform): Promise<number> {
  const db = platform.database.db.withTables<{ 'tsm.payment_reports': { device_id: string } }>();
  const rows = await db.selectFrom('tsm.payment_reports').select('device_id').execute();
  return rows.length;
}
