import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { isTesseraError } from '../../../src/lib/errors.js';
import { encodePaymentAttestationRecord, decodePaymentAttestationRecord } from '../../../src/applets/crypto-se/client.js';
import { addServiceProvider } from '../../../src/tsm/registry.js';
import { issueSPCredential } from '../../../src/tsm/pkiStore.js';
import { SPClient } from '../../../src/tsm/spClient.js';
import { FraudErrorCode, recordPaymentReport, type Velocity } from '../../../src/tsm/fraud/index.js';
import type { DeviceTsmClient } from '../../../src/device/client.js';
import { startPlatform, type Platform } from '../../device/harness.js';
import { attest, attestingDevice, reportOf, reportRows, type AttestingDevice } from './harness.js';

/** The TSM's refusal of a report: its HTTP status and stable code (the device client carries both in details). */
async function refusal(promise: Promise<unknown>): Promise<{ status: unknown; code: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTesseraError(error), String(error));
    return { status: error.details?.['status'], code: error.details?.['code'] };
  }
  return assert.fail('the TSM accepted it');
}

async function spRefusal(promise: Promise<unknown>): Promise<{ status: number | undefined; code: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTesseraError(error), String(error));
    return { status: error.httpStatus, code: error.code };
  }
  return assert.fail('the TSM answered');
}

describe('TSM fraud feed: payment reports (seed 000 [0090])', () => {
  let platform: Platform;
  let tsm: DeviceTsmClient;
  let payer: AttestingDevice;
  let other: AttestingDevice;
  let bankB: SPClient;

  before(async () => {
    platform = await startPlatform();
    tsm = platform.client();
    payer = await attestingDevice(platform, 'payer', '3725550101', 11);
    other = await attestingDevice(platform, 'other', '3725550102', 23);
    await addServiceProvider(platform.admin, 'bank-b', 'operator');
    const credential = await issueSPCredential(platform.pki, 'bank-b', { random: platform.random, now: new Date() });
    bankB = new SPClient({ url: platform.tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: platform.pki.rootPEM });
  });

  after(async () => {
    bankB.close();
    payer.device.close();
    other.device.close();
    await platform.close();
  });

  it('stores a verified report: only device, last four, ATC, counter, date, received time and signature', async () => {
    const attestation = attest(payer);
    const stored = await tsm.paymentReport(payer.device.id, reportOf(attestation));
    assert.equal(stored.deviceId, payer.device.id);
    assert.equal(stored.lastFour, payer.pan.slice(-4));
    assert.equal(stored.atc, attestation.fields.atc);
    assert.equal(stored.attestationCounter, attestation.fields.counter.toString(16).toUpperCase().padStart(16, '0'));
    assert.equal(stored.transactionDate.length, 10);
    const db = platform.database.db.withTables<{ 'tsm.payment_reports': Record<string, unknown> }>();
    const rows = await db.selectFrom('tsm.payment_reports').selectAll().execute();
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.deepEqual(Object.keys(row ?? {}).sort(), ['atc', 'attestation_counter', 'device_id', 'last_four', 'received_at', 'signature', 'transaction_date']);
    assert.equal(toHex(row?.['signature'] as Uint8Array), toHex(attestation.signature));
    assert.ok(!JSON.stringify(rows).includes(payer.pan.slice(0, 12)), 'no PAN');
  });

  it('refuses an unknown device (404), and changes nothing', async () => {
    const before = await reportRows(platform);
    const attestation = attest(payer);
    assert.deepEqual(await refusal(tsm.paymentReport('F00DF00DF00DF00D', reportOf(attestation))), { status: 404, code: 'ERR_TSM_NOT_FOUND' });
    assert.equal(await reportRows(platform), before);
  });

  it('refuses a bad signature: any altered record byte or signature byte, or another device\'s attestation', async () => {
    const before = await reportRows(platform);
    const attestation = attest(payer);
    const { record, signature } = reportOf(attestation);
    const invalidSignature = { status: 400, code: FraudErrorCode.signatureInvalid };
    // Last four changed (still well-formed): the signature no longer covers it.
    const fields = decodePaymentAttestationRecord(attestation.record);
    const otherLastFour = toHex(encodePaymentAttestationRecord({ ...fields, lastFour: fields.lastFour === '0000' ? '1111' : '0000' }));
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, { record: otherLastFour, signature })), invalidSignature);
    const higherCounter = toHex(encodePaymentAttestationRecord({ ...fields, counter: fields.counter + 100n }));
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, { record: higherCounter, signature })), invalidSignature);
    const flipped = fromHex(signature);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0x01;
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, { record, signature: toHex(flipped) })), invalidSignature);
    // Another registered device's genuine attestation, delivered as the payer's.
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, reportOf(attest(other)))), invalidSignature);
    // Not a record at all: the version byte.
    const version = fromHex(record);
    version[0] = 0x02;
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, { record: toHex(version), signature })), { status: 400, code: FraudErrorCode.reportInvalid });
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, { record: record.slice(2), signature })), { status: 400, code: 'ERR_VALIDATION' });
    assert.equal(await reportRows(platform), before, 'no refusal stored anything');
    // The genuine one still goes in: nothing above was counted.
    await tsm.paymentReport(payer.device.id, { record, signature });
    assert.equal(await reportRows(platform), before + 1);
  });

  it('refuses a replayed or non-increasing counter (409), and changes nothing', async () => {
    const first = attest(payer);
    const second = attest(payer);
    assert.ok(second.fields.counter > first.fields.counter);
    await tsm.paymentReport(payer.device.id, reportOf(second));
    const before = await reportRows(platform);
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, reportOf(second))), { status: 409, code: FraudErrorCode.replay }, 'the same report again');
    assert.deepEqual(await refusal(tsm.paymentReport(payer.device.id, reportOf(first))), { status: 409, code: FraudErrorCode.replay }, 'an older counter');
    assert.equal(await reportRows(platform), before);
  });

  it('refuses a device whose certificate is gone (revoked or never registered) or expired (403), and changes nothing', async () => {
    const attestation = attest(other);
    const before = await reportRows(platform);
    const expired = { ...platform.tsm.context, now: () => Date.now() + 900 * 86_400_000 };
    await assert.rejects(recordPaymentReport(expired, other.device.id, attestation), (error) => isTesseraError(error) && error.code === FraudErrorCode.deviceNotRegistered);
    const db = platform.database.db;
    const saved = await db.selectFrom('tsm.devices').select(['state', 'certificate_der']).where('id', '=', other.device.id).executeTakeFirstOrThrow();
    // What a revocation would do to the row (the data model has no revoked state yet; anything but 'registered' is refused).
    await db.updateTable('tsm.devices').set({ state: 'manufactured', certificate_der: null }).where('id', '=', other.device.id).execute();
    try {
      assert.deepEqual(await refusal(tsm.paymentReport(other.device.id, reportOf(attestation))), { status: 403, code: FraudErrorCode.deviceNotRegistered });
    } finally {
      await db.updateTable('tsm.devices').set(saved).where('id', '=', other.device.id).execute();
    }
    assert.equal(await reportRows(platform), before);
  });

  it('answers velocity counts over mutual TLS, only about the devices the SP serves', async () => {
    const lastFour = payer.pan.slice(-4);
    const byCard = await platform.bank.call<Velocity>('GET', `/v1/fraud/velocity?last4=${lastFour}&windowSeconds=3600`);
    assert.equal(byCard.status, 200);
    const payerReports = await platform.database.db.withTables<{ 'tsm.payment_reports': { device_id: string } }>()
      .selectFrom('tsm.payment_reports').select('device_id').where('device_id', '=', payer.device.id).execute();
    assert.deepEqual({ ...byCard.body, from: '', to: '' }, {
      deviceId: null, lastFour, windowSeconds: 3600, from: '', to: '', payments: payerReports.length, distinctDevices: 1, distinctLastFours: 1,
    });
    const byDevice = await platform.bank.call<Velocity>('GET', `/v1/fraud/velocity?deviceId=${payer.device.id}&windowSeconds=3600`);
    assert.equal(byDevice.body.payments, payerReports.length);
    assert.equal(byDevice.body.distinctLastFours, 1);
    // bank-b deployed nothing to these devices: the device is "not found", the last four counts nothing.
    assert.deepEqual(await spRefusal(bankB.call('GET', `/v1/fraud/velocity?deviceId=${payer.device.id}&windowSeconds=3600`)), { status: 404, code: 'ERR_TSM_NOT_FOUND' });
    const foreign = await bankB.call<Velocity>('GET', `/v1/fraud/velocity?last4=${lastFour}&windowSeconds=3600`);
    assert.equal(foreign.body.payments, 0);
    // Malformed questions.
    assert.deepEqual(await spRefusal(platform.bank.call('GET', '/v1/fraud/velocity?windowSeconds=3600')), { status: 400, code: FraudErrorCode.queryInvalid });
    assert.equal((await spRefusal(platform.bank.call('GET', `/v1/fraud/velocity?last4=${lastFour}&windowSeconds=10`))).status, 400);
    assert.equal((await spRefusal(platform.bank.call('GET', '/v1/fraud/velocity?last4=12a4&windowSeconds=3600'))).status, 400);
  });

  it('refuses a velocity query without an SP certificate (TLS handshake)', async () => {
    const url = new URL('/v1/fraud/velocity?last4=1234&windowSeconds=3600', platform.tsm.url);
    await assert.rejects(new Promise((resolve, reject) => {
      const request = httpsRequest(url, { ca: platform.pki.rootPEM }, resolve);
      request.on('error', reject);
      request.end();
    }));
  });

  it('publishes the routes in the OpenAPI documents (SP API and device listener)', async () => {
    const sp = await platform.bank.call<{ paths: Record<string, unknown> }>('GET', '/docs/json');
    assert.ok('/v1/fraud/velocity' in sp.body.paths);
    const ota = await new Promise<string>((resolve, reject) => {
      const request = httpsRequest(new URL('/docs/json', platform.tsm.otaUrl), { ca: platform.pki.rootPEM }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      request.on('error', reject);
      request.end();
    });
    assert.ok('/v1/devices/{id}/payment-reports' in (JSON.parse(ota) as { paths: Record<string, unknown> }).paths);
  });
});
