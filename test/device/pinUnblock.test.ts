import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createModelFinger, getChallengeCommand, unblockPINCommand } from '../../src/applets/crypto-se/client.js';
import { fromHex } from '../../src/lib/bytes.js';
import { DeviceErrorCode, type Device, type DeviceTsmClient } from '../../src/device/client.js';
import { startPlatform, tokenPAN, type Platform } from './harness.js';

const PIN = '2468';
const PIN_TRY_LIMIT = 3;

const refusedByTsm = (tsmCode: string) => (error: unknown): boolean => {
  const typed = error as { code?: string; details?: { code?: string; status?: number } };
  return typed.code === DeviceErrorCode.tsm && typed.details?.code === tsmCode && typed.details.status === 403;
};
const sw = (value: number): string => value.toString(16).toUpperCase();

describe('device: PIN unblock through the TSM (bank approves, device proves itself, TSM signs the challenge)', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 41 + 11) % 256)) });

  /** Three wrong PINs: the Crypto SE blocks the PIN. */
  function blockPIN(): void {
    for (let attempt = 0; attempt < PIN_TRY_LIMIT; attempt++) device.verifyPIN('0000');
    assert.deepEqual(device.verifyPIN(PIN), { verified: false, triesLeft: 0, blocked: true }, 'blocked: even the right PIN is refused');
  }

  function assertBlocked(what: string): void {
    assert.deepEqual(device.status().pin, { set: true, triesLeft: 0 }, what);
  }

  async function approve(): Promise<{ approvalId: string; expiresAt: string }> {
    const answer = await platform.bank.call<{ approvalId: string; expiresAt: string }>('POST', `/v1/devices/${device.id}/pin-unblock-approvals`, {});
    assert.equal(answer.status, 201);
    return answer.body;
  }

  before(async () => {
    platform = await startPlatform();
    device = (await platform.newDevice('unblock-phone', '3725550301')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
    device.setPIN(PIN);
    // The bank serves this device: it has deployed a credential to it.
    const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, { credentialSlot: 2, pan: tokenPAN(platform.random), expiry: '301231' });
    assert.equal(deployed.status, 201);
  });

  after(async () => {
    device.close();
    await platform.close();
  });

  it('refuses without the bank\'s approval: the PIN stays blocked', async () => {
    blockPIN();
    await assert.rejects(device.unblockPIN(tsm), refusedByTsm('ERR_TSM_PIN_UNBLOCK_NOT_APPROVED'));
    assertBlocked('no approval, no unblock');
  });

  it('unblocks after the bank approves: the same PIN works again with its full tries', async () => {
    const started = Date.now();
    const approval = await approve();
    const expiresAtMs = Date.parse(approval.expiresAt);
    assert.ok(expiresAtMs >= started + 10 * 60_000 - 1_000 && expiresAtMs <= Date.now() + 10 * 60_000 + 1_000, `valid 10 minutes: ${approval.expiresAt}`);

    assert.deepEqual(await device.unblockPIN(tsm), { set: true, triesLeft: PIN_TRY_LIMIT });
    assert.deepEqual(device.verifyPIN(PIN), { verified: true, triesLeft: -1, blocked: false });

    const row = await platform.database.db.withTables<{ 'tsm.pin_unblock_approvals': { id: string; used_at: Date | null; challenge: string | null } }>()
      .selectFrom('tsm.pin_unblock_approvals').select(['used_at', 'challenge']).where('id', '=', approval.approvalId).executeTakeFirstOrThrow();
    assert.ok(row.used_at !== null, 'the approval is used');
    assert.match(row.challenge ?? '', /^[0-9A-F]{32}$/);
    const audit = await platform.database.db.selectFrom('tsm.audit_log').select(['actor', 'action'])
      .where('action', 'in', ['device.pin-unblock-approved', 'device.pin-unblock-signed']).orderBy('id').execute();
    assert.deepEqual(audit, [
      { actor: 'sp:bank-a', action: 'device.pin-unblock-approved' },
      { actor: `device:${device.id}`, action: 'device.pin-unblock-signed' },
    ]);
  });

  it('uses an approval once: the next unblock is refused and the PIN stays blocked', async () => {
    blockPIN();
    await assert.rejects(device.unblockPIN(tsm), refusedByTsm('ERR_TSM_PIN_UNBLOCK_NOT_APPROVED'));
    assertBlocked('the used approval unblocks nothing');
  });

  it('sets a new PIN with the unblock when one is typed on the keypad', async () => {
    await approve();
    // A new PIN the card would refuse is refused before the TSM uses up the approval.
    await assert.rejects(device.unblockPIN(tsm, '123'), (error: { code?: string }) => error.code === DeviceErrorCode.invalid);
    assertBlocked('nothing asked yet');
    assert.deepEqual(await device.unblockPIN(tsm, '97531'), { set: true, triesLeft: PIN_TRY_LIMIT });
    assert.deepEqual(device.verifyPIN(PIN), { verified: false, triesLeft: PIN_TRY_LIMIT - 1, blocked: false }, 'the old PIN is gone');
    assert.deepEqual(device.verifyPIN('97531'), { verified: true, triesLeft: -1, blocked: false });
    assert.equal(device.status().pin.triesLeft, PIN_TRY_LIMIT);
    device.setPIN(PIN, '97531');
  });

  it('a signature for one challenge unblocks nothing after a new challenge or a new session', async () => {
    blockPIN();
    await approve();
    // The device's own steps, by hand: challenge A, the TSM signs it (request signed in this session)...
    const first = device.relay(getChallengeCommand());
    assert.equal(first.sw, 0x9000);
    const signed = await tsm.pinUnblock(device.id, first.data, device);
    // ...but the card has since made challenge B: the signature over A does not verify.
    const second = device.relay(getChallengeCommand());
    assert.notDeepEqual(second.data, first.data);
    assert.equal(sw(device.relay(unblockPINCommand(fromHex(signed.signature))).sw), '6982');
    assertBlocked('a signature over an old challenge');
    // A new session (status() selects the applet again) has no challenge at all.
    assert.equal(sw(device.relay(unblockPINCommand(fromHex(signed.signature))).sw), '6982');
    assertBlocked('a signature in another session');
    // The approval was used when the TSM signed: the bank approves again.
    await assert.rejects(device.unblockPIN(tsm), refusedByTsm('ERR_TSM_PIN_UNBLOCK_NOT_APPROVED'));
    await approve();
    assert.deepEqual(await device.unblockPIN(tsm), { set: true, triesLeft: PIN_TRY_LIMIT });
    assert.equal(device.verifyPIN(PIN).verified, true);
  });

  it('needs a registered device: an unregistered one is told so before anything is asked', async () => {
    const fresh = (await platform.newDevice('unblock-unregistered', '3725550302')).device;
    try {
      await assert.rejects(fresh.unblockPIN(tsm), (error: { code?: string }) => error.code === DeviceErrorCode.notRegistered);
    } finally {
      fresh.close();
    }
  });
});
