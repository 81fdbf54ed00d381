import type { KeyObject } from 'node:crypto';
import { fromHex, toHex } from '../../lib/bytes.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import { sealCredentialPackage } from '../../applets/crypto-se/client.js';
import { audit } from '../audit.js';
import type { Transaction } from 'kysely';
import type { TsmContext } from '../context.js';
import type { TsmDatabase } from '../schema.js';
import { tsmError, TsmErrorCode } from '../errors.js';

/** Most packages one device fetch returns (a device has at most 4 credential slots). */
export const CREDENTIAL_PACKAGES_PER_FETCH_MAX = 16;
const COUNTER_HEX_DIGITS = 16;
const COUNTER_MAX = (1n << 64n) - 1n;

export interface CredentialToDeploy {
  readonly credentialSlot: number;
  readonly pan: string;
  /** YYMMDD. */
  readonly expiry: string;
  readonly cvv?: string;
  /** EMV keys for tap to pay: ICC MK-AC (32 hex digits) and PAN sequence number. */
  readonly emv?: { readonly iccMasterKey: string; readonly panSequenceNumber: number };
}

export interface DeployedCredential {
  readonly deviceId: string;
  readonly counter: string;
  readonly credentialSlot: number;
  /** Last four digits only (the fraud feed's view, SPEC S1). */
  readonly panLastFour: string;
}

export interface CredentialPackage {
  readonly counter: string;
  readonly credentialSlot: number;
  /** The sealed STORE CREDENTIAL PACKAGE data, hex. */
  readonly package: string;
}

function counterText(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(COUNTER_HEX_DIGITS, '0');
}

/**
 * OTA credential deployment (seed 000 [0060]-[0062]): the SP's token PAN, expiry and CVV are sealed
 * at once — ECIES to the device key the TSM certified, a counter above every earlier one for this
 * device, the TSM's signature (the root CA key the Crypto SE was personalized with) — and only the
 * sealed package is stored until the device fetches it. Runs in the caller's transaction (the
 * idempotency record of the SP's request commits with it). The PAN never reaches the database or a log.
 */
export async function deployCredential(
  trx: Transaction<TsmDatabase>,
  tsmPrivateKey: KeyObject,
  spName: string,
  deviceId: string,
  credential: CredentialToDeploy,
  random: RandomSource,
): Promise<DeployedCredential> {
  const id = deviceId.toUpperCase();
  {
    const device = await trx.selectFrom('tsm.devices').select(['id', 'state', 'device_public_key', 'credential_counter'])
      .where('id', '=', id).forUpdate().executeTakeFirst();
    if (device === undefined) throw tsmError(TsmErrorCode.notFound, 'no such device');
    if (device.state !== 'registered') throw tsmError(TsmErrorCode.notEligible, 'the device has no certificate yet: it registers first');
    const counter = BigInt(`0x${device.credential_counter}`) + 1n;
    if (counter > COUNTER_MAX) throw tsmError(TsmErrorCode.notEligible, 'the device\'s credential counter is exhausted');
    let sealed: Uint8Array;
    try {
      sealed = sealCredentialPackage({
        devicePublicKey: fromHex(device.device_public_key), tsmPrivateKey, counter, credentialSlot: credential.credentialSlot,
        pan: credential.pan, expiry: credential.expiry, ...(credential.cvv === undefined ? {} : { cvv: credential.cvv }),
        ...(credential.emv === undefined ? {} : { emv: { iccMasterKey: fromHex(credential.emv.iccMasterKey), panSequenceNumber: credential.emv.panSequenceNumber } }),
        random,
      });
    } catch (error) {
      throw tsmError(TsmErrorCode.invalid, `the credential cannot be sealed: ${error instanceof Error ? error.message : 'invalid'}`);
    }
    await trx.updateTable('tsm.devices').set({ credential_counter: counterText(counter) }).where('id', '=', id).execute();
    await trx.insertInto('tsm.credential_packages').values({
      device_id: id, counter: counterText(counter), sp_name: spName, credential_slot: credential.credentialSlot, package: sealed,
    }).execute();
    await audit(trx, { actor: `sp:${spName}`, action: 'device.credential-deployed', details: { deviceId: id, counter: counterText(counter), slot: credential.credentialSlot } });
    return { deviceId: id, counter: counterText(counter), credentialSlot: credential.credentialSlot, panLastFour: credential.pan.slice(-4) };
  }
}

/** The packages waiting for a device above the counter its Crypto SE last accepted, oldest first. */
export async function credentialPackagesFor(context: TsmContext, deviceId: string, afterCounter: string): Promise<CredentialPackage[]> {
  const rows = await context.db.selectFrom('tsm.credential_packages').select(['counter', 'credential_slot', 'package'])
    .where('device_id', '=', deviceId.toUpperCase()).where('counter', '>', afterCounter.toUpperCase())
    .orderBy('counter').limit(CREDENTIAL_PACKAGES_PER_FETCH_MAX).execute();
  return rows.map((row) => ({ counter: row.counter, credentialSlot: row.credential_slot, package: toHex(row.package) }));
}
