import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/lib/bytes.js';
import { createModelFinger } from '../../src/applets/crypto-se/client.js';
import { PAYMENT_APPLICATION_AID, PRELOADED_CREDENTIAL_SLOT, type Device, type DeviceTsmClient } from '../../src/device/client.js';
import { PAY_PACKAGE_AID, runAgent, startPlatform, tokenPAN, type Platform } from './harness.js';

describe('device end to end over real sockets (issue 5 acceptance)', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  let directory: string;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Buffer.from(Array.from({ length }, (_, index) => (index * 37 + 11) % 256))) });
  let tokenPan: string;

  before(async () => {
    platform = await startPlatform();
    const made = await platform.newDevice('phone-1', '3725550001');
    device = made.device;
    directory = made.directory;
    tsm = platform.client();
    tokenPan = tokenPAN(platform.random);
  });

  after(async () => {
    device.close();
    await platform.close();
  });

  it('walks every step: finger twice → registration through the Crypto SE → openssl → signed app OTA → credential → status', async () => {
    const fresh = device.status();
    assert.deepEqual(fresh.biometric.enrolledFingers, []);
    assert.equal(fresh.registered, false);
    assert.deepEqual(fresh.credentials.map((credential) => [credential.slot, credential.origin, credential.locked]), [[PRELOADED_CREDENTIAL_SLOT, 'preloaded', true]]);

    // Finger enrolment: the same finger presented twice; it unlocks the preloaded credential.
    const enrolled = device.enrolFinger(finger);
    assert.equal(enrolled.slot, 1);
    const afterEnrolment = device.status();
    assert.deepEqual(afterEnrolment.biometric.enrolledFingers, [1]);
    assert.equal(afterEnrolment.credentials[0]?.locked, false, 'the preloaded credential is unlocked by the first finger');
    device.setPIN('2580');
    assert.equal(device.verifyPIN('2580').verified, true);

    // Registration through the Crypto SE; the TSM as CA.
    const certificate = await device.register(tsm, finger);
    assert.match(certificate?.subject ?? '', new RegExp(`Tessera device ${device.id}`));
    const der = device.deviceCertificate();
    assert.ok(der !== undefined);
    const devicePEM = join(directory, 'device.pem');
    const rootPEM = join(directory, 'root.pem');
    writeFileSync(devicePEM, `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(rootPEM, platform.pki.rootPEM);
    assert.equal(execFileSync('openssl', ['verify', '-CAfile', rootPEM, devicePEM], { encoding: 'utf8' }).trim(), `${devicePEM}: OK`);
    const text = execFileSync('openssl', ['x509', '-in', devicePEM, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Digital Signature, Key Agreement/);
    assert.match(text, /CA:FALSE/);

    // The TSM-signed payment application, installed over the air after the App SE verified its DAP.
    const updated = await device.update(tsm, runAgent);
    assert.deepEqual(updated.failed, []);
    assert.deepEqual(updated.installed.map((application) => application.instanceAid), [PAYMENT_APPLICATION_AID]);
    assert.ok(device.appSE.card.state.loadFiles.some((file) => file.aid === PAY_PACKAGE_AID));
    assert.ok(device.appSE.selectableApplications().includes(PAYMENT_APPLICATION_AID));
    const again = await device.update(tsm, runAgent);
    assert.deepEqual(again.installed, [], 'nothing new the second time');

    // OTA credential deployment: the SP's token PAN, sealed by the TSM, stored by the Crypto SE.
    const deployed = await platform.bank.call<{ counter: string; panLastFour: string }>('POST', `/v1/devices/${device.id}/credentials`, { credentialSlot: 2, pan: tokenPan, expiry: '301231', cvv: '123' });
    assert.equal(deployed.status, 201);
    assert.equal(deployed.body.panLastFour, tokenPan.slice(-4));
    const received = await device.receiveCredentials(tsm);
    assert.deepEqual(received, { stored: [{ slot: 2, counter: deployed.body.counter }], refused: [] });

    const status = device.status();
    assert.equal(status.registered, true);
    assert.equal(status.certificate?.serialNumber, certificate?.serialNumber);
    assert.deepEqual(status.applications.map((application) => application.instanceAid), [PAYMENT_APPLICATION_AID]);
    const token = status.credentials.find((credential) => credential.slot === 2);
    assert.equal(token?.origin, 'over-the-air');
    assert.equal(token?.masked, `**** **** **** ${tokenPan.slice(-4)}`);
    assert.ok(!JSON.stringify(status).includes(tokenPan), 'the status never shows a whole PAN');
    // Nothing the TSM stored reveals the PAN either.
    const rows = await platform.database.db.selectFrom('tsm.credential_packages').select('package').execute();
    assert.ok(rows.every((row) => !toHex(row.package).includes(tokenPan)));
  });
});
