import { audit } from '../audit.js';
import type { TsmContext } from '../context.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { isUniqueViolation } from '../../infra/db/index.js';

const HEX_ID = /^[0-9A-F]{2,32}$/;
const AID = /^([0-9A-F]{2}){5,16}$/;
const POINT = /^04[0-9A-F]{128}$/;
const COUNTER_ZERO = '0000000000000000';

/**
 * What a device maker hands the TSM for each device it builds (public facts only): the Crypto SE's
 * CIN (the device id) and the public half of the key GENERATE KEY made on it, the App SE's CIN and
 * its DAP-verifying domain. The App SE itself is registered as a secure element separately
 * (registerSecureElement: MSI, MNO, the central SD keys the TSM manages it with).
 */
export interface ManufacturedDevice {
  readonly deviceId: string;
  readonly devicePublicKeyHex: string;
  readonly appSECin: string;
  readonly appSEApplicationsDomainAid: string;
}

export async function recordManufacturedDevice(context: TsmContext, device: ManufacturedDevice, actor: string): Promise<void> {
  const id = device.deviceId.toUpperCase();
  const point = device.devicePublicKeyHex.toUpperCase();
  const appSE = device.appSECin.toUpperCase();
  const domain = device.appSEApplicationsDomainAid.toUpperCase();
  if (!HEX_ID.test(id) || !HEX_ID.test(appSE)) throw tsmError(TsmErrorCode.invalid, 'device and App SE ids are CINs: 1-16 bytes, hex');
  if (!POINT.test(point)) throw tsmError(TsmErrorCode.invalid, 'the device key is an uncompressed P-256 point (65 bytes, hex)');
  if (!AID.test(domain)) throw tsmError(TsmErrorCode.invalid, 'the applications domain AID is 5-16 bytes, hex');
  try {
    await context.db.transaction().execute(async (trx) => {
      await trx.insertInto('tsm.devices').values({
        id, app_se_cin: appSE, app_se_applications_domain_aid: domain, device_public_key: point, state: 'manufactured',
        registration_counter: null, credential_counter: COUNTER_ZERO, certificate_serial: null, certificate_subject: null,
        certificate_der: null, registered_at: null,
      }).execute();
      await audit(trx, { actor, action: 'device.manufactured', details: { deviceId: id, appSECin: appSE } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw tsmError(TsmErrorCode.conflict, 'a device with this id, App SE or device key is recorded already');
    throw error;
  }
}
