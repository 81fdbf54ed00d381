import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/lib/bytes.js';
import {
  createModelFinger, encodeTsmRequestSignatureHeader, TSM_REQUEST_SIGNATURE_HEADER, tsmRequestDigest, unblockMessage,
} from '../../../src/applets/crypto-se/client.js';
import type { Device, DeviceTsmClient, TsmRequestSigner } from '../../../src/device/client.js';
import { issueSPCredential } from '../../../src/tsm/pkiStore.js';
import { addServiceProvider } from '../../../src/tsm/registry.js';
import { SPClient } from '../../../src/tsm/spClient.js';
import {
  approvePINUnblock, PIN_UNBLOCK_APPROVAL_VALIDITY_MS, PIN_UNBLOCK_APPROVALS_LIVE_MAX, PINUnblockErrorCode, signPINUnblock,
} from '../../../src/tsm/devices/index.js';
import type { PINUnblockApprovalTables } from '../../../src/tsm/devices/schema.js';
import { startPlatform, tokenPAN, type Platform } from '../../device/harness.js';

interface Answer {
  readonly status: number;
  readonly body: { readonly error?: { readonly code?: string; readonly message?: string } } & Record<string, unknown>;
}

type ApprovalRow = PINUnblockApprovalTables['tsm.pin_unblock_approvals'];

const isTsmError = (status: number, code: string) => (error: unknown): boolean => {
  const typed = error as { httpStatus?: number; code?: string };
  return typed.httpStatus === status && typed.code === code;
};

describe('TSM: PIN unblock approvals (SP) and signatures (device)', () => {
  let platform: Platform;
  let device: Device;
  let other: Device;
  let crowded: Device;
  let tsm: DeviceTsmClient;
  let otherBank: SPClient;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 37 + 5) % 256)) });
  const approvalsPath = (id: string): string => `/v1/devices/${id}/pin-unblock-approvals`;
  const unblocksPath = (id: string): string => `/v1/devices/${id}/pin-unblocks`;
  const approvals = (deviceId: string): Promise<ApprovalRow[]> => platform.database.db.withTables<PINUnblockApprovalTables>()
    .selectFrom('tsm.pin_unblock_approvals').selectAll().where('device_id', '=', deviceId).orderBy('created_at').execute();

  /** One request to the device listener with exactly these bytes, signed by `signer` (or not at all). */
  function send(path: string, body: string, signer?: TsmRequestSigner): Promise<Answer> {
    const payload = Buffer.from(body);
    let header: string | undefined;
    if (signer !== undefined) {
      const timestampSeconds = Math.floor(Date.now() / 1000);
      const nonce = toHex(platform.random.bytes(16));
      const digest = tsmRequestDigest({ method: 'POST', pathWithQuery: path, timestampSeconds, nonce, body: new Uint8Array(payload) });
      header = encodeTsmRequestSignatureHeader({ timestampSeconds, nonce, signature: signer.signTsmRequest(digest) });
    }
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(new URL(path, platform.tsm.otaUrl), {
        method: 'POST', ca: platform.pki.rootPEM,
        headers: {
          accept: 'application/json', 'content-type': 'application/json', 'content-length': String(payload.length),
          ...(header === undefined ? {} : { [TSM_REQUEST_SIGNATURE_HEADER]: header }),
        },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.write(payload);
      outgoing.end();
    });
  }

  function assertAnswer(answer: Answer, status: number, code: string, what: string): void {
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.error?.code, code, what);
  }

  before(async () => {
    platform = await startPlatform();
    device = (await platform.newDevice('approve-1', '3725550401')).device;
    other = (await platform.newDevice('approve-2', '3725550402')).device;
    crowded = (await platform.newDevice('approve-3', '3725550403')).device;
    tsm = platform.client();
    for (const phone of [device, other, crowded]) {
      phone.enrolFinger(finger);
      await phone.register(tsm, finger);
    }
    // bank-a serves `device` and `crowded`; bank-b serves `other` only.
    for (const phone of [device, crowded]) {
      await platform.bank.call('POST', `/v1/devices/${phone.id}/credentials`, { credentialSlot: 1, pan: tokenPAN(platform.random), expiry: '301231' });
    }
    await addServiceProvider(platform.admin, 'bank-b', 'operator');
    const credential = await issueSPCredential(platform.pki, 'bank-b', { random: platform.random, now: new Date() });
    otherBank = new SPClient({ url: platform.tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: platform.pki.rootPEM });
    await otherBank.call('POST', `/v1/devices/${other.id}/credentials`, { credentialSlot: 1, pan: tokenPAN(platform.random), expiry: '301231' });
  });

  after(async () => {
    for (const phone of [device, other, crowded]) phone.close();
    otherBank.close();
    await platform.close();
  });

  it('lets only an SP that serves the device approve: another SP\'s device and an unknown one answer 404 alike', async () => {
    const refusals: string[] = [];
    for (const [client, id] of [[otherBank, device.id], [platform.bank, other.id], [platform.bank, '0123456789ABCDEF0123']] as const) {
      await assert.rejects(client.call('POST', approvalsPath(id), {}), (error: { httpStatus?: number; code?: string; message?: string }) => {
        refusals.push(`${error.httpStatus ?? 0} ${error.code ?? ''} ${error.message ?? ''}`);
        return error.httpStatus === 404 && error.code === 'ERR_TSM_NOT_FOUND';
      });
    }
    assert.equal(new Set(refusals).size, 1, `one answer for all: ${refusals.join(' | ')}`);
    assert.deepEqual(await approvals(device.id), []);
    assert.deepEqual(await approvals(other.id), []);
  });

  it('approves once per Idempotency-Key: a retry answers the same approval', async () => {
    const key = 'unblock-ticket-1';
    const first = await platform.bank.call<{ approvalId: string; expiresAt: string }>('POST', approvalsPath(device.id), { reference: 'ticket-4711' }, key);
    assert.equal(first.status, 201);
    const again = await platform.bank.call<{ approvalId: string; expiresAt: string }>('POST', approvalsPath(device.id), { reference: 'ticket-4711' }, key);
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(Object.keys(first.body).sort(), ['approvalId', 'expiresAt']);
    const rows = await approvals(device.id);
    assert.deepEqual(rows.map((row) => [row.id, row.sp_name, row.used_at, row.challenge]), [[first.body.approvalId, 'bank-a', null, null]]);
    const audit = await platform.database.db.selectFrom('tsm.audit_log').select(['actor', 'details']).where('action', '=', 'device.pin-unblock-approved').execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, 'sp:bank-a');
    assert.deepEqual((audit[0]?.details as { reference?: string }).reference, 'ticket-4711');
  });

  it('refuses an unsigned request and one signed by another device (401); the approval stays unused', async () => {
    const body = JSON.stringify({ challenge: toHex(platform.random.bytes(16)) });
    assertAnswer(await send(unblocksPath(device.id), body), 401, 'ERR_TSM_DEVICE_SIGNATURE_MISSING', 'unsigned');
    assertAnswer(await send(unblocksPath(device.id), body, other), 401, 'ERR_TSM_DEVICE_SIGNATURE_INVALID', 'signed by another device');
    assert.deepEqual((await approvals(device.id)).map((row) => row.used_at), [null]);
  });

  it('refuses a malformed challenge (400) and changes nothing', async () => {
    for (const body of [
      JSON.stringify({ challenge: toHex(platform.random.bytes(15)) }),
      JSON.stringify({ challenge: toHex(platform.random.bytes(17)) }),
      JSON.stringify({ challenge: 'ZZ'.repeat(16) }),
      JSON.stringify({ challenge: toHex(platform.random.bytes(16)), approvalId: 'x' }),
      '{}',
    ]) {
      assertAnswer(await send(unblocksPath(device.id), body, device), 400, 'ERR_VALIDATION', body);
    }
    await assert.rejects(signPINUnblock(platform.admin, platform.pki.root.privateKey, device.id, new Uint8Array(8)), isTsmError(400, 'ERR_TSM_INVALID'));
    assert.deepEqual((await approvals(device.id)).map((row) => row.used_at), [null]);
  });

  it('signs the device\'s challenge with the TSM root key, once; the second request is refused', async () => {
    const challenge = platform.random.bytes(16);
    const answer = await send(unblocksPath(device.id), JSON.stringify({ challenge: toHex(challenge) }), device);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body), ['signature']);
    const signature = Buffer.from(answer.body['signature'] as string, 'hex');
    const root = new X509Certificate(platform.pki.rootPEM);
    assert.ok(verify('sha256', unblockMessage(challenge), { key: root.publicKey, dsaEncoding: 'der' }, signature), 'the root key signed the unblock message');
    assert.ok(!verify('sha256', unblockMessage(platform.random.bytes(16)), { key: root.publicKey, dsaEncoding: 'der' }, signature), 'for this challenge only');
    const [row] = await approvals(device.id);
    assert.equal(row?.challenge, toHex(challenge));
    assert.ok(row?.used_at !== null && row?.used_at !== undefined, 'the approval is used');

    assertAnswer(await send(unblocksPath(device.id), JSON.stringify({ challenge: toHex(challenge) }), device), 403, PINUnblockErrorCode.notApproved, 'used');
    await assert.rejects(tsm.pinUnblock(device.id, platform.random.bytes(16), device), (error: { details?: { code?: string } }) => error.details?.code === PINUnblockErrorCode.notApproved);
    const signedLines = await platform.database.db.selectFrom('tsm.audit_log').select(['actor', 'details']).where('action', '=', 'device.pin-unblock-signed').execute();
    assert.deepEqual(signedLines.map((line) => line.actor), [`device:${device.id}`], 'one audit line, for the signature only');
    assert.deepEqual((signedLines[0]?.details as { approvedBy?: string }).approvedBy, 'bank-a');
  });

  it('keeps at most PIN_UNBLOCK_APPROVALS_LIVE_MAX unused approvals per device', async () => {
    for (let index = 0; index < PIN_UNBLOCK_APPROVALS_LIVE_MAX; index++) {
      assert.equal((await platform.bank.call('POST', approvalsPath(crowded.id), {})).status, 201);
    }
    await assert.rejects(platform.bank.call('POST', approvalsPath(crowded.id), {}), isTsmError(409, 'ERR_TSM_CONFLICT'));
    assert.equal((await approvals(crowded.id)).length, PIN_UNBLOCK_APPROVALS_LIVE_MAX);
  });

  it('refuses an expired approval (clock injected) and takes one a millisecond before expiry', async () => {
    // Approved 10 minutes and a second ago, by the TSM's clock at the time: expired now.
    const longAgo = Date.now() - PIN_UNBLOCK_APPROVAL_VALIDITY_MS - 1_000;
    await platform.database.db.transaction().execute((trx) => approvePINUnblock(trx, { spName: 'bank-a', deviceId: device.id }, longAgo));
    assertAnswer(await send(unblocksPath(device.id), JSON.stringify({ challenge: toHex(platform.random.bytes(16)) }), device), 403, PINUnblockErrorCode.approvalExpired, 'expired');

    const approvedAt = Date.now();
    const approval = await platform.database.db.transaction().execute((trx) => approvePINUnblock(trx, { spName: 'bank-a', deviceId: device.id }, approvedAt));
    assert.equal(approval.expiresAt, new Date(approvedAt + PIN_UNBLOCK_APPROVAL_VALIDITY_MS).toISOString());
    const at = (nowMs: number) => ({ ...platform.admin, now: () => nowMs });
    await assert.rejects(signPINUnblock(at(approvedAt + PIN_UNBLOCK_APPROVAL_VALIDITY_MS), platform.pki.root.privateKey, device.id, platform.random.bytes(16)), isTsmError(403, PINUnblockErrorCode.approvalExpired));
    assert.equal((await approvals(device.id)).find((row) => row.id === approval.approvalId)?.used_at, null, 'the refusal changed nothing');
    const signed = await signPINUnblock(at(approvedAt + PIN_UNBLOCK_APPROVAL_VALIDITY_MS - 1), platform.pki.root.privateKey, device.id, platform.random.bytes(16));
    assert.equal(signed.approvalId, approval.approvalId);
  });
});
