import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  createModelFinger, CRYPTO_SE_TAG, getDataCommand, parseStatus, tsmRequestDigest, verifyTsmRequestSignature,
} from '../../src/applets/crypto-se/client.js';
import { DeviceErrorCode, DeviceTsmClient, type Device } from '../../src/device/client.js';
import { runAgent, startPlatform, tokenPAN, type Platform } from './harness.js';

describe('device: its calls to the TSM\'s device routes are signed by its Crypto SE', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 29 + 3) % 256)) });
  const nonceCount = async (): Promise<number> => {
    const result = await sql<{ count: string | number }>`select count(*) as count from tsm.device_request_nonces where device_id = ${device.id}`.execute(platform.database.db);
    return Number(result.rows[0]?.count ?? 0);
  };

  before(async () => {
    platform = await startPlatform();
    device = (await platform.newDevice('signing-phone', '3725550201')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
  });

  after(async () => {
    device.close();
    await platform.close();
  });

  it('signs each call with a fresh nonce: update (GET + POST) and credential fetch', async () => {
    assert.equal(await nonceCount(), 0, 'registration carries its own proof');
    const updated = await device.update(tsm, runAgent);
    assert.equal(updated.installed.length, 1);
    assert.equal(await nonceCount(), 2, 'GET and POST updates');
    const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, { credentialSlot: 2, pan: tokenPAN(platform.random), expiry: '301231' });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    assert.equal((await device.receiveCredentials(tsm)).stored.length, 1);
    assert.equal(await nonceCount(), 3);
    const again = await device.update(tsm, runAgent);
    assert.deepEqual(again, { installed: [], failed: [] }, 'nothing new, and no refusal for the second round');
    assert.equal(await nonceCount(), 4);
  });

  it('SIGN TSM REQUEST answers a signature the certificate\'s key verifies, and keeps a prepared tap\'s verification', () => {
    const certificate = device.deviceCertificate();
    assert.ok(certificate !== undefined);
    const key = new X509Certificate(certificate).publicKey;
    assert.equal(device.prepareTap(finger).verified, true);
    const digest = tsmRequestDigest({ method: 'GET', pathWithQuery: `/v1/devices/${device.id}/updates`, timestampSeconds: 1_800_000_000, nonce: 'F'.repeat(32), body: new Uint8Array(0) });
    assert.equal(verifyTsmRequestSignature(key, digest, device.signTsmRequest(digest)), true);
    const status = parseStatus(device.relay(getDataCommand(CRYPTO_SE_TAG.status)).data);
    assert.equal(status.verified.biometric, true, 'the verification for the tap is still there');
    device.radios.press();
  });

  it('fails with the TSM\'s code when the phone\'s clock is off by more than the window', async () => {
    const skewed = new DeviceTsmClient({ url: platform.tsm.otaUrl, ca: platform.pki.rootPEM, now: () => Date.now() + 400_000 });
    try {
      await assert.rejects(device.update(skewed, runAgent), (error: { code?: string; details?: { status?: number; code?: string } }) =>
        error.code === DeviceErrorCode.tsm && error.details?.status === 401 && error.details.code === 'ERR_TSM_DEVICE_SIGNATURE_STALE');
    } finally {
      skewed.close();
    }
  });
});
