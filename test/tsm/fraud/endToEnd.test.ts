import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ISO8583Client, RunningBank } from '../../../src/bank/client.js';
import { pay, type TerminalIdentity } from '../../../src/pos/client.js';
import { createModelFinger } from '../../../src/applets/crypto-se/client.js';
import type { Velocity } from '../../../src/tsm/fraud/index.js';
import type { Device, DeviceTsmClient } from '../../../src/device/client.js';
import { runAgent, startPlatform, type Platform } from '../../device/harness.js';
import { publishPaymentApplets, startIssuerForDevice } from '../../device/tapHarness.js';

const TERMINAL = 'POS00002';
const MERCHANT = 'TESSERA SHOP 02';
const IDENTITY: TerminalIdentity = { terminalId: TERMINAL, merchantId: MERCHANT, merchantName: 'Tessera Shop', countryNumeric: 156 };

describe('fraud feed end to end: a registered device taps to pay → its attestation reaches the TSM → the SP sees it in the velocity', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  let bank: RunningBank;
  let terminal: ISO8583Client;
  let pan: string;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 41 + 3) % 256)) });

  before(async () => {
    platform = await startPlatform();
    await publishPaymentApplets(platform);
    device = (await platform.newDevice('payer', '3725550301')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
    assert.deepEqual((await device.update(tsm, runAgent)).failed, []);
    ({ bank, terminal, pan } = await startIssuerForDevice(platform, device, tsm, { terminalId: TERMINAL, merchantId: MERCHANT }));
  });

  after(async () => {
    await terminal.close();
    await bank.stop();
    device.close();
    await platform.close();
  });

  it('pays twice; the reports wait through payment mode, then reach the TSM, and the velocity counts them', async () => {
    for (const amountMinor of [42_50n, 7_00n]) {
      assert.equal(device.prepareTap(finger).verified, true);
      const result = await pay(device.contactless(), terminal, IDENTITY, { amountMinor, currencyNumeric: 156, at: new Date(), unpredictableNumber: platform.random.bytes(4) });
      assert.equal(result.kind, 'approved', JSON.stringify(result));
      device.radios.press();
    }
    assert.equal(device.status().paymentReportsPending, 2);

    const flushed = await device.flushPaymentReports(tsm);
    assert.deepEqual(flushed, { delivered: ['0000000000000001', '0000000000000002'], refused: [], pending: 0 });

    // The SP that deployed the credential asks over mutual TLS, by card and by device.
    const lastFour = pan.slice(-4);
    const byCard = await platform.bank.call<Velocity>('GET', `/v1/fraud/velocity?last4=${lastFour}&windowSeconds=3600`);
    assert.equal(byCard.status, 200);
    assert.equal(byCard.body.payments, 2);
    assert.equal(byCard.body.distinctDevices, 1);
    assert.equal(byCard.body.lastFour, lastFour);
    const both = await platform.bank.call<Velocity>('GET', `/v1/fraud/velocity?deviceId=${device.id}&last4=${lastFour}&windowSeconds=60`);
    assert.deepEqual([both.body.payments, both.body.distinctDevices, both.body.distinctLastFours], [2, 1, 1]);
    // What the TSM kept: these columns and nothing else (no amount, no PAN, no cryptogram).
    const rows = await platform.database.db.withTables<{ 'tsm.payment_reports': Record<string, unknown> }>().selectFrom('tsm.payment_reports').selectAll().execute();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.deepEqual(Object.keys(row).sort(), ['atc', 'attestation_counter', 'device_id', 'last_four', 'received_at', 'signature', 'transaction_date']);
      assert.equal(row['last_four'], lastFour);
    }
  });
});
