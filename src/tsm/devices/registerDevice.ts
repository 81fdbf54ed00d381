import { timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../../lib/crypto/index.js';
import { audit } from '../audit.js';
import type { TsmContext } from '../context.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { issueCertificateFromCSR, type CertificateAuthority } from '../pki/index.js';
import { certificationRequestFacts } from './certificationRequestFacts.js';

/** Validity of a device certificate. */
/** The longest an end-entity certificate may live here (LEAF_VALIDITY_DAYS_MAX, CA/B-style 825 days). */
export const DEVICE_CERTIFICATE_VALIDITY_DAYS = 825;
export const DEVICE_CERTIFICATE_ORGANIZATION = 'Tessera devices';

export interface DeviceRegistration {
  readonly deviceId: string;
  /** DER. */
  readonly certificate: Uint8Array;
  readonly certificatePEM: string;
  readonly serialNumber: string;
  readonly subject: string;
  readonly notAfter: string;
}

function sameText(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Device registration (seed 000 [0056]-[0058], issue 5 item 4): the TSM acting as CA certifies the
 * Crypto SE's on-card key. Checks, in order: the device was handed over by its maker; the request's
 * key is the key the maker read from that Crypto SE (so a key made anywhere else — the host, the
 * App SE — is refused); the registration counter is above every counter this device used before
 * (replay protection); the request's signature verifies (the CA checks it: proof that the Crypto SE
 * signed it). The certificate: keyUsage digitalSignature + keyAgreement (ECIES to the device key).
 */
export async function registerDevice(
  context: TsmContext,
  ca: CertificateAuthority,
  received: { readonly deviceId: string; readonly certificationRequest: Uint8Array },
  random: RandomSource,
): Promise<DeviceRegistration> {
  const deviceId = received.deviceId.toUpperCase();
  const facts = certificationRequestFacts(received.certificationRequest);
  const device = await context.db.selectFrom('tsm.devices').selectAll().where('id', '=', deviceId).executeTakeFirst();
  if (device === undefined) throw tsmError(TsmErrorCode.notFound, 'no device with this id was handed over by its maker');
  if (!sameText(device.device_public_key, facts.publicKeyHex)) {
    throw tsmError(TsmErrorCode.forbidden, 'the request is not for this device\'s Crypto SE key');
  }
  if (device.registration_counter !== null && facts.registrationCounter <= device.registration_counter) {
    throw tsmError(TsmErrorCode.forbidden, 'the registration counter was used before (replay)');
  }
  const issued = await issueCertificateFromCSR(ca, received.certificationRequest, {
    subjectOverride: { commonName: `Tessera device ${deviceId}`, organization: DEVICE_CERTIFICATE_ORGANIZATION },
    validityDays: DEVICE_CERTIFICATE_VALIDITY_DAYS,
    keyUsage: ['digitalSignature', 'keyAgreement'],
    now: new Date(context.now()),
    random,
  });
  const certificate = new Uint8Array(issued.raw);
  // The counter check is repeated in the UPDATE's WHERE: two concurrent registrations with one
  // counter cannot both be stored (CONVENTIONS: no await between a check and its action).
  const updated = await context.db.updateTable('tsm.devices').set({
    state: 'registered', registration_counter: facts.registrationCounter, certificate_serial: issued.serialNumber,
    certificate_subject: issued.subject.replace(/\n/g, ', '), certificate_der: certificate, registered_at: new Date(context.now()),
  }).where('id', '=', deviceId)
    .where((eb) => eb.or([eb('registration_counter', 'is', null), eb('registration_counter', '<', facts.registrationCounter)]))
    .executeTakeFirst();
  if (updated.numUpdatedRows !== 1n) throw tsmError(TsmErrorCode.forbidden, 'the registration counter was used before (replay)');
  await audit(context.db, { actor: `device:${deviceId}`, action: 'device.registered', details: { serialNumber: issued.serialNumber } });
  return {
    deviceId, certificate, certificatePEM: issued.toString(), serialNumber: issued.serialNumber,
    subject: issued.subject.replace(/\n/g, ', '), notAfter: new Date(issued.validTo).toISOString(),
  };
}
