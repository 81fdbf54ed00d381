import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceTsmClient, openDevice, PAYMENT_REPORTS_FILE_NAME, PAYMENT_REPORTS_PENDING_MAX, type PendingPaymentReport } from '../../src/device/client.js';
import { PaymentReportOutbox } from '../../src/device/paymentReports.js';
import { runContactlessKernel } from '../../src/pos/client.js';
import { FraudErrorCode } from '../../src/tsm/fraud/index.js';
import { APP_SE_FIRMWARE, startPlatform, type Platform } from './harness.js';
import { attestingDevice, publishPaymentApplets, reportRows, tapAtReader, type AttestingDevice } from '../tsm/fraud/harness.js';

describe('device: payment attestations after a tap, kept in a durable outbox until the TSM takes them', () => {
  let platform: Platform;
  let payer: AttestingDevice;
  let directory: string;
  /** The outbox as it was before its first delivery (genuine reports the TSM then stored). */
  let delivered: readonly PendingPaymentReport[] = [];

  before(async () => {
    platform = await startPlatform();
    await publishPaymentApplets(platform);
    payer = await attestingDevice(platform, 'payer', '3725550201', 31);
    directory = payer.device.directory;
  });

  after(async () => {
    payer.device.close();
    await platform.close();
  });

  it('reads the attestation when the reader\'s GENERATE AC succeeds, and keeps it while the TSM is unreachable', async () => {
    const outcome = await tapAtReader(payer, platform.random);
    assert.equal(outcome.kind, 'online-request');
    const pending = payer.device.pendingPaymentReports();
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.counter, '0000000000000001');
    assert.equal(payer.device.status().paymentReportsPending, 1);
    const text = readFileSync(join(directory, PAYMENT_REPORTS_FILE_NAME), 'utf8');
    assert.ok(!text.includes(payer.pan.slice(0, 12)), 'the outbox holds no PAN');

    const unreachable = new DeviceTsmClient({ url: 'https://127.0.0.1:1', ca: platform.pki.rootPEM, timeoutMs: 2_000 });
    try {
      assert.deepEqual(await payer.device.flushPaymentReports(unreachable), { delivered: [], refused: [], pending: 1 });
    } finally {
      unreachable.close();
    }
    assert.equal(await reportRows(platform), 0);
  });

  it('keeps the outbox across a restart, and the next call to the TSM delivers it, oldest first', async () => {
    payer.device.close();
    payer = { ...payer, device: openDevice(directory, { deviceKey: platform.deviceKey, appSEFirmware: APP_SE_FIRMWARE, random: platform.random }) };
    assert.equal(payer.device.pendingPaymentReports().length, 1, 'durable: still there after reopening the device');
    assert.equal((await tapAtReader(payer, platform.random)).kind, 'online-request');
    assert.deepEqual(payer.device.pendingPaymentReports().map((report) => report.counter), ['0000000000000001', '0000000000000002']);

    delivered = payer.device.pendingPaymentReports();
    // Any call to the TSM sends them first ("on the next call").
    await payer.device.receiveCredentials(platform.client());
    assert.equal(payer.device.pendingPaymentReports().length, 0);
    assert.equal(payer.device.status().paymentReportsPending, 0);
    const rows = await platform.database.db.withTables<{ 'tsm.payment_reports': { device_id: string; attestation_counter: string; last_four: string } }>()
      .selectFrom('tsm.payment_reports').select(['attestation_counter', 'last_four']).where('device_id', '=', payer.device.id).orderBy('attestation_counter').execute();
    assert.deepEqual(rows, [
      { attestation_counter: '0000000000000001', last_four: payer.pan.slice(-4) },
      { attestation_counter: '0000000000000002', last_four: payer.pan.slice(-4) },
    ]);
  });

  it('makes no report when the reader is told to see the phone (no verification, no GENERATE AC)', async () => {
    payer.device.radios.press();
    try {
      const outcome = await runContactlessKernel(payer.device.contactless(), {
        amountMinor: 1_00n, currencyNumeric: 156, countryNumeric: 156, at: new Date(), unpredictableNumber: platform.random.bytes(4),
      });
      assert.deepEqual(outcome, { kind: 'see-phone' });
    } finally {
      payer.device.radios.press();
    }
    assert.equal(payer.device.pendingPaymentReports().length, 0);
  });

  it('drops a report the TSM refuses for good (a replay, a bad signature) and goes on with the rest', async () => {
    assert.equal((await tapAtReader(payer, platform.random)).kind, 'online-request');
    const [fresh] = payer.device.pendingPaymentReports();
    const [first] = delivered;
    assert.ok(fresh !== undefined && first !== undefined);
    // As if the first delivery's answer had been lost: the outbox still has a report the TSM stored,
    // and one whose record was damaged on the way.
    const damaged = { ...first, record: `${first.record.slice(0, 2)}30303030${first.record.slice(10)}` };
    const path = join(directory, PAYMENT_REPORTS_FILE_NAME);
    const file = JSON.parse(readFileSync(path, 'utf8')) as { format: string };
    writeFileSync(path, JSON.stringify({ ...file, reports: [first, damaged, fresh] }));
    const before = await reportRows(platform);
    const flushed = await payer.device.flushPaymentReports(platform.client());
    assert.deepEqual(flushed, {
      delivered: [fresh.counter],
      refused: [{ counter: first.counter, code: FraudErrorCode.replay }, { counter: first.counter, code: FraudErrorCode.signatureInvalid }],
      pending: 0,
    });
    assert.equal(await reportRows(platform), before + 1);
  });

  it('keeps at most PAYMENT_REPORTS_PENDING_MAX reports, dropping the oldest', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tessera-outbox-'));
    try {
      const outbox = new PaymentReportOutbox(scratch);
      for (let counter = 1; counter <= PAYMENT_REPORTS_PENDING_MAX + 6; counter++) outbox.add(new Uint8Array(26).fill(counter), new Uint8Array(70), BigInt(counter));
      const pending = outbox.pending();
      assert.equal(pending.length, PAYMENT_REPORTS_PENDING_MAX);
      assert.equal(pending[0]?.counter, (7).toString(16).padStart(16, '0'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
