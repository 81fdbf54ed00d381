import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { encodeLoadFile, loadFileDataBlockHash, signDAP } from '../../src/lib/gp/index.js';
import { TESSERA_RID } from '../../src/card/client.js';
import { ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';
import {
  beginRegistrationCommand, createModelFinger, getPublicKeyCommand, registrationCounterText, signCommands, verifyPINCommand,
} from '../../src/applets/crypto-se/client.js';
import { publishApplication } from '../../src/tsm/devices/index.js';
import {
  CRYPTO_SE_AID, DeviceErrorCode, encodeCertificationRequest, encodeCertificationRequestInfo, PAYMENT_APPLICATION_AID, type Device, type DeviceTsmClient,
} from '../../src/device/client.js';
import { runAgent, startPlatform, tokenPAN, type Platform } from './harness.js';

const isDeviceError = (code: string, tsmCode?: string) => (error: unknown): boolean => {
  const typed = error as { code?: string; details?: { code?: string } };
  return typed.code === code && (tsmCode === undefined || typed.details?.code === tsmCode);
};
const sw = (value: number): string => value.toString(16).toUpperCase();

describe('device security rules (issue 5 negative tests)', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  const random = createSystemRandomSource();
  const finger = createModelFinger(random);

  before(async () => {
    platform = await startPlatform();
    device = (await platform.newDevice('phone-2', '3725550002')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
    await device.update(tsm, runAgent);
  });

  after(async () => {
    device.close();
    await platform.close();
  });

  it('decrements the PIN try counter on a wrong PIN and blocks at zero', async () => {
    const other = (await platform.newDevice('phone-pin', '3725550009')).device;
    try {
      other.setPIN('1234');
      assert.deepEqual(other.verifyPIN('9999'), { verified: false, triesLeft: 2, blocked: false });
      assert.equal(other.status().pin.triesLeft, 2, 'the decrement is committed');
      assert.deepEqual(other.verifyPIN('0000'), { verified: false, triesLeft: 1, blocked: false });
      assert.deepEqual(other.verifyPIN('1111'), { verified: false, triesLeft: 0, blocked: true });
      assert.deepEqual(other.verifyPIN('1234'), { verified: false, triesLeft: 0, blocked: true }, 'blocked: even the right PIN is refused');
      assert.throws(() => other.setPIN('5678', '1234'), isDeviceError(DeviceErrorCode.refused));
    } finally {
      other.close();
    }
  });

  it('refuses a finger that was not enrolled, and counts the try', () => {
    const stranger = createModelFinger(random);
    const before = device.status().biometric.triesLeft;
    const result = device.verifyFinger(stranger);
    assert.equal(result.verified, false);
    assert.equal(result.triesLeft, before - 1);
    let matched = false;
    for (let attempt = 0; attempt < 3 && !matched; attempt++) matched = device.verifyFinger(finger).verified;
    assert.ok(matched, 'the enrolled finger still matches');
  });

  it('keeps keypad input opaque to the host and refuses a replayed keypad blob', () => {
    device.setPIN('4321');
    const blob = device.keypad.type({ pin: '4321' });
    assert.ok(!toHex(blob).includes(toHex(new TextEncoder().encode('4321'))), 'the PIN is not in the relayed blob');
    assert.equal(device.relay(verifyPINCommand(blob)).sw, 0x9000);
    assert.equal(sw(device.relay(verifyPINCommand(blob)).sw), '6982', 'the same blob again is a replay');
  });

  it('refuses App SE applications the ACL does not name', async () => {
    const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, { credentialSlot: 3, pan: tokenPAN(random), expiry: '301231' });
    assert.equal(deployed.status, 201);
    assert.equal((await device.receiveCredentials(tsm)).stored.length, 1);
    const payment = device.appSE.callerFor(PAYMENT_APPLICATION_AID);
    assert.ok(payment !== undefined, 'the payment application is installed');
    assert.equal(device.readMaskedPAN(3, payment).sw, 0x9000);
    assert.equal(sw(device.readMaskedPAN(3, { aid: fromHex(`${TESSERA_RID}504199`), keyId: payment.keyId }).sw), '6982', 'an application not in the ACL');
    assert.equal(sw(device.readMaskedPAN(3, { aid: payment.aid, keyId: fromHex('0BADBEEF0BADBEEF') }).sw), '6982', 'the same AID signed by another key');
  });

  it('refuses a replayed credential package', async () => {
    const deployed = await platform.bank.call<{ counter: string }>('POST', `/v1/devices/${device.id}/credentials`, { credentialSlot: 4, pan: tokenPAN(random), expiry: '291130', cvv: '987' });
    const waiting = await tsm.credentialPackages(device.id, '0000000000000000', device);
    const latest = waiting.packages.find((item) => item.counter === deployed.body.counter);
    assert.ok(latest !== undefined);
    const counterBefore = device.lastCredentialCounter();
    assert.equal(device.storeCredentialPackage(fromHex(latest.package)), 0x9000);
    assert.equal(sw(device.storeCredentialPackage(fromHex(latest.package))), '6982', 'the same package again');
    const older = waiting.packages.find((item) => item.counter < deployed.body.counter);
    assert.ok(older !== undefined);
    assert.equal(sw(device.storeCredentialPackage(fromHex(older.package))), '6982', 'an older package');
    assert.ok(device.lastCredentialCounter() > counterBefore);
    assert.deepEqual(await device.receiveCredentials(tsm), { stored: [], refused: [] });
  });

  it('refuses a tampered or foreign-signed application: nothing is installed', async () => {
    const packageAid = `${TESSERA_RID}5043`;
    const moduleAid = `${TESSERA_RID}504301`;
    const instanceAid = `${TESSERA_RID}504311`;
    const genuine = encodeLoadFile({ packageAID: fromHex(packageAid), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(moduleAid), firmwareClass: ECHO_FIRMWARE_CLASS }] });
    await publishApplication(platform.admin, platform.applicationKey, { name: 'Loyalty', loadFile: genuine, moduleAid, instanceAid });

    // Tampered in the catalogue after signing: the TSM's DAP no longer matches the bytes.
    const tampered = encodeLoadFile({ packageAID: fromHex(packageAid), version: { major: 1, minor: 9 }, modules: [{ aid: fromHex(moduleAid), firmwareClass: ECHO_FIRMWARE_CLASS }] });
    await platform.database.db.updateTable('tsm.applications').set({ load_file: tampered }).where('package_aid', '=', packageAid).execute();
    const first = await device.update(tsm, runAgent);
    assert.deepEqual(first.installed, []);
    assert.deepEqual(first.failed.map((failure) => [failure.packageAid, failure.code]), [[packageAid, 'ERR_TSM_CARD_REFUSED']]);
    assert.ok(!device.appSE.card.state.loadFiles.some((file) => file.aid === packageAid), 'nothing of it on the App SE');

    // Signed, but not by the TSM's application key.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await platform.database.db.updateTable('tsm.applications').set({ load_file: genuine, dap_signature: signDAP(loadFileDataBlockHash(genuine), privateKey) })
      .where('package_aid', '=', packageAid).execute();
    const second = await device.update(tsm, runAgent);
    assert.deepEqual(second.failed.map((failure) => failure.code), ['ERR_TSM_CARD_REFUSED']);
    assert.ok(!device.appSE.selectableApplications().includes(instanceAid));

    // The genuine, TSM-signed application goes in.
    await publishApplication(platform.admin, platform.applicationKey, { name: 'Loyalty', loadFile: genuine, moduleAid, instanceAid });
    const third = await device.update(tsm, runAgent);
    assert.deepEqual(third.installed.map((application) => application.instanceAid), [instanceAid]);
    assert.ok(device.appSE.selectableApplications().includes(instanceAid));
  });

  it('cannot register through the App SE: no such command there, the Crypto SE refuses App SE callers, the TSM refuses other keys', async () => {
    // The App SE has no Crypto SE applet and no registration command.
    assert.equal(sw(device.appSE.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 9, ...fromHex(CRYPTO_SE_AID), 0x00)).sw), '6A82');
    assert.notEqual(device.appSE.transmit(beginRegistrationCommand()).sw, 0x9000);
    assert.notEqual(device.appSE.transmit(getPublicKeyCommand()).sw, 0x9000);

    // The Crypto SE signs a certification request only for itself, never for an App SE caller.
    const point = device.relay(getPublicKeyCommand()).data;
    const counter = device.relay(beginRegistrationCommand()).data;
    const info = encodeCertificationRequestInfo('App SE', point, registrationCounterText(counter));
    device.verifyFinger(finger);
    const payment = device.appSE.callerFor(PAYMENT_APPLICATION_AID);
    assert.ok(payment !== undefined);
    const signed = signCommands('certification-request', info, { caller: payment }).map((apdu) => device.relay(apdu));
    assert.equal(sw(signed.at(-1)?.sw ?? 0), '6982');

    // A request for a key made outside the Crypto SE (here: by the host) is refused by the TSM.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const hostPoint = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })).subarray(-65);
    const hostInfo = encodeCertificationRequestInfo('host', hostPoint, 'FFFFFFFFFFFFFFF0');
    const hostRequest = encodeCertificationRequest(hostInfo, new Uint8Array(sign('sha256', hostInfo, privateKey)));
    await assert.rejects(tsm.register(device.id, hostRequest), isDeviceError(DeviceErrorCode.tsm, 'ERR_TSM_FORBIDDEN'));
    // The device's own key, but signed by another key: the CA's signature check refuses it.
    const forgedInfo = encodeCertificationRequestInfo('forged', point, 'FFFFFFFFFFFFFFF0');
    const forged = encodeCertificationRequest(forgedInfo, new Uint8Array(sign('sha256', forgedInfo, privateKey)));
    await assert.rejects(tsm.register(device.id, forged), isDeviceError(DeviceErrorCode.tsm, 'ERR_TSM_CSR_INVALID'));
  });

  it('refuses a replayed registration (a counter the TSM has seen)', async () => {
    const point = device.relay(getPublicKeyCommand()).data;
    const counter = device.relay(beginRegistrationCommand()).data;
    const info = encodeCertificationRequestInfo('again', point, registrationCounterText(counter));
    assert.equal(device.verifyFinger(finger).verified || device.verifyFinger(finger).verified, true);
    const signature = signCommands('certification-request', info).map((apdu) => device.relay(apdu)).at(-1);
    assert.equal(signature?.sw, 0x9000);
    const request = encodeCertificationRequest(info, signature?.data ?? new Uint8Array(0));
    await tsm.register(device.id, request);
    await assert.rejects(tsm.register(device.id, request), isDeviceError(DeviceErrorCode.tsm, 'ERR_TSM_FORBIDDEN'));
  });

  it('payment mode turns NFC on and the other radios off', () => {
    assert.equal(device.radios.cardEmulationRoute, 'off');
    device.radios.send('3725550003', 'hello');
    assert.equal(device.radios.press(), true);
    assert.equal(device.radios.cardEmulationRoute, 'app-se');
    assert.equal(device.radios.cellularEnabled, false);
    assert.throws(() => device.radios.send('3725550003', 'hello'), isDeviceError(DeviceErrorCode.radioOff));
    assert.equal(device.radios.press(), false);
    assert.equal(device.radios.cellularEnabled, true);
  });
});
