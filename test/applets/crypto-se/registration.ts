import assert from 'node:assert/strict';
import { fromHex } from '../../../src/lib/bytes.js';
import { encodeTLV } from '../../../src/lib/tlv/index.js';
import { createCertificateAuthority, issueCertificateFromCSR, type CertificateAuthority } from '../../../src/tsm/pki/index.js';
import {
  beginRegistrationCommand, createModelFinger, DEVICE_CERTIFICATE_SLOT, enrolFingerCommand, generateKeyCommand, presentModelFinger,
  registrationCounterText, signCommands, storeCertificateCommands, verifyBiometricCommand, verifyPINCommand,
} from '../../../src/applets/crypto-se/client.js';
import { certificationRequest, certificationRequestInfo } from './certificationRequest.js';
import { CARD_EPOCH_MS, PIN, sw, type CryptoSEFixture } from './fixture.js';

export function verifyPIN(se: CryptoSEFixture): void {
  assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
}

export function generate(se: CryptoSEFixture): Uint8Array {
  const response = se.send(generateKeyCommand());
  assert.equal(response.sw, 0x9000);
  return fromHex(response.data);
}

/** The TSM root CA whose key the card was personalized with. */
export async function tsmAuthority(se: CryptoSEFixture): Promise<CertificateAuthority> {
  return createCertificateAuthority({ name: 'Tessera TSM Root CA', validityDays: 3650, now: new Date(CARD_EPOCH_MS), random: se.random, keyPair: se.tsm });
}

/** Enrols `finger` in `slot`, retrying like an enrolment screen (at most 3 rounds). */
export function enrol(se: CryptoSEFixture, finger: Int8Array, slot = 1): void {
  let answer = 0;
  for (let round = 0; round < 3 && answer !== 0x9000; round++) {
    answer = se.send(enrolFingerCommand(slot, se.sensor.seal(presentModelFinger(finger, se.random)), se.sensor.seal(presentModelFinger(finger, se.random)))).sw;
  }
  assert.equal(answer, 0x9000, 'enrolment');
}

export interface Registration {
  readonly point: Uint8Array;
  readonly finger: Int8Array;
  readonly csr: Uint8Array;
  readonly certificate: Uint8Array;
  readonly counter: string;
}

/**
 * Registration as the device does it (seed 000 [0056]-[0058]): device key, finger enrolled twice,
 * registration counter, request signed after a biometric match, certificate from the TSM as CA.
 * With `store`, the certificate goes into slot 01 and the card counts as registered.
 */
export async function register(se: CryptoSEFixture, ca: CertificateAuthority, options: { readonly store?: boolean } = {}): Promise<Registration> {
  const point = generate(se);
  const finger = createModelFinger(se.random);
  enrol(se, finger);
  const counter = se.send(beginRegistrationCommand());
  assert.equal(counter.sw, 0x9000);
  const info = certificationRequestInfo('Tessera device', point, registrationCounterText(fromHex(counter.data)));
  assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(finger, se.random))))), '9000');
  const signature = se.sendAll(signCommands('certification-request', encodeTLV([info])));
  assert.equal(signature.sw, 0x9000);
  const csr = certificationRequest(info, fromHex(signature.data));
  const issued = await issueCertificateFromCSR(ca, csr, { validityDays: 365, keyUsage: ['digitalSignature', 'keyAgreement'], now: new Date(CARD_EPOCH_MS), random: se.random });
  const certificate = new Uint8Array(issued.raw);
  if (options.store === true) assert.equal(se.sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, certificate)).sw, 0x9000);
  return { point, finger, csr, certificate, counter: counter.data };
}
