import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { audit } from '../audit.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import type { TsmDatabase } from '../schema.js';
import type { PINUnblockApprovalTables } from './schema.js';

/** How long an SP's approval of a PIN unblock may be redeemed by the device. */
export const PIN_UNBLOCK_APPROVAL_VALIDITY_MS = 10 * 60_000;
/** Unused, unexpired approvals one device may have at a time (a double click is fine, a flood is not). */
export const PIN_UNBLOCK_APPROVALS_LIVE_MAX = 4;

export interface PINUnblockApprovalRequest {
  readonly spName: string;
  readonly deviceId: string;
  /** The SP's case reference, kept in the audit log (1-64 of [0-9A-Za-z._:/-]). */
  readonly reference?: string;
}

export interface PINUnblockApproval {
  readonly approvalId: string;
  readonly deviceId: string;
  /** ISO 8601, the TSM's clock. */
  readonly expiresAt: string;
}

const NOT_SERVED_MESSAGE = 'no such device among the devices you serve';

/**
 * The SP's side of a PIN unblock (docs/device.md "PIN unblock"): the user's bank — an SP that has
 * deployed a credential to the device (tsm.credential_packages, the fraud feed's ownership rule) —
 * approves one unblock, good for PIN_UNBLOCK_APPROVAL_VALIDITY_MS and for one use. Any other SP,
 * and an unknown device, get ERR_TSM_NOT_FOUND alike, so devices cannot be probed. Runs in the
 * caller's transaction (the Idempotency-Key's record commits with it); the device row is locked so
 * that concurrent approvals count each other against PIN_UNBLOCK_APPROVALS_LIVE_MAX.
 */
export async function approvePINUnblock(trx: Transaction<TsmDatabase>, request: PINUnblockApprovalRequest, nowMs: number): Promise<PINUnblockApproval> {
  const deviceId = request.deviceId.toUpperCase();
  const served = await trx.selectFrom('tsm.credential_packages').select('device_id')
    .where('sp_name', '=', request.spName).where('device_id', '=', deviceId).limit(1).executeTakeFirst();
  if (served === undefined) throw tsmError(TsmErrorCode.notFound, NOT_SERVED_MESSAGE);
  const device = await trx.selectFrom('tsm.devices').select(['id', 'state']).where('id', '=', deviceId).forUpdate().executeTakeFirst();
  if (device === undefined) throw tsmError(TsmErrorCode.notFound, NOT_SERVED_MESSAGE);
  if (device.state !== 'registered') throw tsmError(TsmErrorCode.notEligible, 'the device is not registered');

  const db = trx.withTables<PINUnblockApprovalTables>();
  const now = new Date(nowMs);
  const live = await db.selectFrom('tsm.pin_unblock_approvals').select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('device_id', '=', deviceId).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirstOrThrow();
  if (Number(live.count) >= PIN_UNBLOCK_APPROVALS_LIVE_MAX) {
    throw tsmError(TsmErrorCode.conflict, `the device already has ${PIN_UNBLOCK_APPROVALS_LIVE_MAX} unused approvals: let one be used or expire`);
  }
  const approvalId = randomUUID();
  const expiresAt = new Date(nowMs + PIN_UNBLOCK_APPROVAL_VALIDITY_MS);
  await db.insertInto('tsm.pin_unblock_approvals').values({
    id: approvalId, device_id: deviceId, sp_name: request.spName, reference: request.reference ?? null,
    created_at: now, expires_at: expiresAt, used_at: null, challenge: null,
  }).execute();
  await audit(trx, {
    actor: `sp:${request.spName}`, action: 'device.pin-unblock-approved',
    details: { deviceId, approvalId, expiresAt: expiresAt.toISOString(), ...(request.reference === undefined ? {} : { reference: request.reference }) },
  });
  return { approvalId, deviceId, expiresAt: expiresAt.toISOString() };
}
