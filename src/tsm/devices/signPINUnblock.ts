import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { unblockMessage } from '../../applets/crypto-se/client.js';
import { copyBytes, toHex } from '../../lib/bytes.js';
import { signECDSAP256 } from '../../lib/crypto/index.js';
import { auditRow } from '../audit.js';
import type { TsmContext } from '../context.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { pinUnblockError, PINUnblockErrorCode } from './errors.js';
import type { PINUnblockApprovalTables } from './schema.js';

/** What the Crypto SE's GET CHALLENGE answers (src/applets/crypto-se/README.md "PIN"): 16 random bytes. */
export const PIN_UNBLOCK_CHALLENGE_BYTES = 16;

export interface PINUnblockSignature {
  readonly approvalId: string;
  /** The TSM root key's ECDSA P-256/SHA-256 signature, DER, over unblockMessage(challenge). */
  readonly signature: Uint8Array;
}

/**
 * The device's side of a PIN unblock (docs/device.md "PIN unblock"). The caller has authenticated
 * the device (its signed request, verifyDeviceRequest.ts). In one transaction: take the device's
 * unused, unexpired approval that expires first (locked, so two concurrent requests cannot both
 * use it), mark it used with the challenge, sign `"tessera.crypto-se/unblock-pin/v1" ‖ challenge`
 * with the TSM root key — the key the Crypto SE was personalized with (DF03), which also signs
 * device certificates and credential packages, each under its own label — and write the audit
 * line. Refusals (no unused approval, only an expired one) change nothing.
 *
 * The signature is good only for this challenge, which the Crypto SE keeps for its current
 * session and uses once: a signature that reaches the card after a new challenge or a new session
 * unblocks nothing, and the approval is used up either way (the SP approves again).
 */
export async function signPINUnblock(context: TsmContext, tsmPrivateKey: KeyObject, deviceId: string, receivedChallenge: Uint8Array): Promise<PINUnblockSignature> {
  if (receivedChallenge.length !== PIN_UNBLOCK_CHALLENGE_BYTES) {
    throw tsmError(TsmErrorCode.invalid, `a Crypto SE challenge is ${PIN_UNBLOCK_CHALLENGE_BYTES} bytes, received ${receivedChallenge.length}`);
  }
  const challenge = copyBytes(receivedChallenge);
  const id = deviceId.toUpperCase();
  const nowMs = context.now();
  const now = new Date(nowMs);
  return context.db.withTables<PINUnblockApprovalTables>().transaction().execute(async (trx) => {
    const approval = await trx.selectFrom('tsm.pin_unblock_approvals').select(['id', 'sp_name'])
      .where('device_id', '=', id).where('used_at', 'is', null).where('expires_at', '>', now)
      .orderBy('expires_at').orderBy('id').limit(1).forUpdate().executeTakeFirst();
    if (approval === undefined) {
      const expired = await trx.selectFrom('tsm.pin_unblock_approvals').select('id')
        .where('device_id', '=', id).where('used_at', 'is', null).limit(1).executeTakeFirst();
      context.logger.info({ deviceId: id, expired: expired !== undefined }, 'PIN unblock refused: no live approval');
      if (expired !== undefined) throw pinUnblockError(PINUnblockErrorCode.approvalExpired, 'the approval for this device has expired: ask the bank to approve again');
      throw pinUnblockError(PINUnblockErrorCode.notApproved, 'no unused PIN unblock approval for this device: the bank approves first');
    }
    const signature = signECDSAP256(tsmPrivateKey, unblockMessage(challenge), 'der');
    const used = await trx.updateTable('tsm.pin_unblock_approvals').set({ used_at: now, challenge: toHex(challenge) })
      .where('id', '=', approval.id).where('used_at', 'is', null).executeTakeFirstOrThrow();
    assert.equal(used.numUpdatedRows, 1n, 'the locked approval was unused');
    await trx.insertInto('tsm.audit_log').values(auditRow({
      actor: `device:${id}`, action: 'device.pin-unblock-signed', details: { deviceId: id, approvalId: approval.id, approvedBy: approval.sp_name },
    })).execute();
    return { approvalId: approval.id, signature };
  });
}
