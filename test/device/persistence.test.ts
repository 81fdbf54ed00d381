import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../src/lib/bytes.js';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { createModelFinger } from '../../src/applets/crypto-se/client.js';
import { createCertificateAuthority } from '../../src/tsm/pki/index.js';
import { applicationSigningPublicKeyPEM, loadOrCreateApplicationSigningKey } from '../../src/tsm/devices/index.js';
import { createDevice, DeviceErrorCode, openDevice, type CreateDeviceOptions } from '../../src/device/client.js';

describe('a device directory (manufacture, persistence, what it keeps)', () => {
  let directory: string;
  let options: CreateDeviceOptions;
  const random = createSystemRandomSource();
  const finger = createModelFinger(random);
  const deviceKey = random.bytes(32);

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'tessera-device-dir-'));
    const root = await createCertificateAuthority({ name: 'Tessera TSM Root CA', organization: 'Tessera', validityDays: 3650, now: new Date(), random });
    const applicationKey = loadOrCreateApplicationSigningKey(directory);
    options = {
      deviceKey, msisdn: '3725550042', random,
      tsm: { rootCertificatePEM: root.certificate.toString(), applicationSigningPublicKeyPEM: applicationSigningPublicKeyPEM(applicationKey) },
      preloadedCredential: { pan: '4895370000000007', expiry: '301231', cvv: '321' },
    };
  });

  after(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps its state across reopening; peripheral counters stay monotonic (no replay after a restart)', async () => {
    const phone = join(directory, 'phone');
    const record = await createDevice(phone, options);
    assert.match(record.devicePublicKeyHex, /^04[0-9A-F]{128}$/);
    const first = openDevice(phone, { deviceKey, random });
    assert.equal(first.id, record.deviceId);
    first.enrolFinger(finger);
    first.setPIN('2580');
    first.close();

    const second = openDevice(phone, { deviceKey, random });
    const status = second.status();
    assert.deepEqual(status.biometric.enrolledFingers, [1]);
    assert.equal(status.pin.set, true);
    assert.equal(status.peripherals.keypadPaired && status.peripherals.sensorPaired, true);
    assert.equal(second.verifyPIN('2580').verified, true, 'the keypad counter went on from where it was: the card accepts the blob');
    assert.equal(status.credentials[0]?.locked, false);
    second.close();
  });

  it('refuses a preloaded credential that is not a card number, before making anything', async () => {
    const phone = join(directory, 'bad');
    await assert.rejects(createDevice(phone, { ...options, preloadedCredential: { pan: '4895370000000006', expiry: '301231' } }),
      (error: unknown) => (error as { code?: string }).code === DeviceErrorCode.invalid);
  });

  it('refuses to overwrite a device, and to open one with another device key', async () => {
    const phone = join(directory, 'phone');
    await assert.rejects(createDevice(phone, options), (error: unknown) => (error as { code?: string }).code === DeviceErrorCode.exists);
    assert.throws(() => openDevice(phone, { deviceKey: random.bytes(32), random }));
  });

  it('keeps no PIN, PAN or pairing key in clear in its files', () => {
    const phone = join(directory, 'phone');
    const files = readdirSync(phone).map((name) => readFileSync(join(phone, name)));
    // The PAN as digits (also its BCD form in a hex dump) and as ASCII hex; the PIN as ASCII hex
    // (four bare digits would turn up in hex text by chance).
    const pan = '4895370000000007';
    const needles = [pan, toHex(new Uint8Array(Buffer.from(pan))), toHex(new Uint8Array(Buffer.from('2580')))];
    for (const content of files) {
      const text = content.toString('utf8').toUpperCase();
      for (const needle of needles) assert.ok(!text.includes(needle), `${needle} appears in a device file`);
    }
  });
});
