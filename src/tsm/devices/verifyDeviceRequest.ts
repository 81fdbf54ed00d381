import { X509Certificate, type KeyObject } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { parseTsmRequestSignatureHeader, tsmRequestDigest, verifyTsmRequestSignature } from '../../applets/crypto-se/client.js';
import { copyBytes } from '../../lib/bytes.js';
import { isTesseraError } from '../../lib/errors.js';
import type { TsmContext } from '../context.js';
import type { TsmDatabase } from '../schema.js';
import { deviceRequestError, DeviceRequestErrorCode } from './errors.js';
import type { DeviceRequestNonceTables } from './schema.js';

/** A signed request is accepted while its time is within this of the TSM's clock, either way. */
export const DEVICE_REQUEST_WINDOW_SECONDS = 300;
/**
 * Nonces are kept for twice the window: a request signed up to one window ahead of the TSM's clock
 * stays acceptable until one window after its signed time, so its nonce must still be there then.
 */
export const DEVICE_REQUEST_NONCE_RETENTION_MS = 2 * DEVICE_REQUEST_WINDOW_SECONDS * 1000;
/** Expired nonces one accepted request deletes at most (bounded work per request; any device's). */
export const DEVICE_REQUEST_NONCES_PRUNED_MAX = 64;

const INVALID_MESSAGE = 'the request signature does not verify with a device certificate of this TSM';

/** The request as the TSM received it: the device the path names, the header, the exact target and body bytes. */
export interface ReceivedDeviceRequest {
  readonly deviceId: string;
  /** Upper case. */
  readonly method: string;
  /** The raw request target: path and query exactly as sent. */
  readonly pathWithQuery: string;
  readonly header: string | undefined;
  /** The body's exact bytes (empty when there was none). */
  readonly body: Uint8Array;
}

/** The key of the device certificate the TSM issued, if that certificate is valid at `nowMs` (also the fraud feed's check). */
export function certifiedKey(certificateDER: Uint8Array, nowMs: number): KeyObject | undefined {
  const certificate = new X509Certificate(certificateDER);
  if (nowMs < Date.parse(certificate.validFrom) || nowMs > Date.parse(certificate.validTo)) return undefined;
  return certificate.publicKey;
}

async function deviceKeyOf(db: TsmContext['db'], deviceId: string, nowMs: number): Promise<KeyObject | undefined> {
  const device = await db.selectFrom('tsm.devices').select(['state', 'certificate_der']).where('id', '=', deviceId).executeTakeFirst();
  if (device?.state !== 'registered' || device.certificate_der === null) return undefined;
  return certifiedKey(device.certificate_der, nowMs);
}

/** SHA-256 of the canonical request rebuilt from what arrived; undefined if it cannot be a canonical request (a method or target the device never signs). */
function receivedDigest(received: ReceivedDeviceRequest, timestampSeconds: number, nonce: string): Uint8Array | undefined {
  try {
    return tsmRequestDigest({ method: received.method, pathWithQuery: received.pathWithQuery, timestampSeconds, nonce, body: received.body });
  } catch (error) {
    if (isTesseraError(error)) return undefined;
    throw error;
  }
}

/**
 * Records the nonce, refusing one already recorded for this device; in the same transaction,
 * deletes up to DEVICE_REQUEST_NONCES_PRUNED_MAX nonces past their retention (rows another
 * transaction is deleting are skipped, so two prunes never wait on each other). The primary key
 * makes two concurrent requests with one nonce end as one accepted, one replay.
 */
async function recordNonce(trx: Transaction<TsmDatabase & DeviceRequestNonceTables>, deviceId: string, nonce: string, nowMs: number): Promise<void> {
  const expiredBefore = new Date(nowMs - DEVICE_REQUEST_NONCE_RETENTION_MS);
  await sql`
    delete from tsm.device_request_nonces where (device_id, nonce) in (
      select device_id, nonce from tsm.device_request_nonces where seen_at < ${expiredBefore}
      order by seen_at limit ${DEVICE_REQUEST_NONCES_PRUNED_MAX} for update skip locked
    )
  `.execute(trx);
  const inserted = await trx.insertInto('tsm.device_request_nonces').values({ device_id: deviceId, nonce, seen_at: new Date(nowMs) })
    .onConflict((conflict) => conflict.columns(['device_id', 'nonce']).doNothing()).returning('nonce').executeTakeFirst();
  if (inserted === undefined) throw deviceRequestError(DeviceRequestErrorCode.signatureReplayed, 'this nonce was already used by this device');
}

/**
 * Authenticates a call to the device API (README.md of the Crypto SE applet, "SIGN TSM REQUEST";
 * docs/tsm.md "Devices"): the Tessera-Device-Signature header is present and well formed; its time
 * is within DEVICE_REQUEST_WINDOW_SECONDS of the TSM's clock; the device the path names is
 * registered with a certificate this TSM issued that is valid now; the signature verifies with
 * that certificate's key over the canonical request rebuilt from the method, raw target and body
 * bytes that arrived; the nonce is new for this device. Only then is the nonce recorded; any
 * refusal (401) writes nothing.
 */
export async function verifyDeviceRequest(context: TsmContext, received: ReceivedDeviceRequest): Promise<void> {
  if (received.header === undefined) throw deviceRequestError(DeviceRequestErrorCode.signatureMissing, 'a Tessera-Device-Signature header is required');
  const signed = parseTsmRequestSignatureHeader(received.header);
  if (signed === undefined) throw deviceRequestError(DeviceRequestErrorCode.signatureInvalid, 'the Tessera-Device-Signature header is not t=<unix seconds>,n=<32 hex>,s=<base64>');
  const nowMs = context.now();
  const skewSeconds = Math.floor(nowMs / 1000) - signed.timestampSeconds;
  if (Math.abs(skewSeconds) > DEVICE_REQUEST_WINDOW_SECONDS) {
    throw deviceRequestError(DeviceRequestErrorCode.signatureStale, `the signed time must be within ${DEVICE_REQUEST_WINDOW_SECONDS} s of the TSM's clock, received ${skewSeconds} s off`);
  }
  const deviceId = received.deviceId.toUpperCase();
  const key = await deviceKeyOf(context.db, deviceId, nowMs);
  const digest = receivedDigest(received, signed.timestampSeconds, signed.nonce);
  if (key === undefined || digest === undefined || !verifyTsmRequestSignature(key, digest, copyBytes(signed.signature))) {
    // The detail stays in the log: from outside, every one of these looks the same.
    context.logger.info({ deviceId, certified: key !== undefined, canonical: digest !== undefined }, 'device request refused: no valid signature');
    throw deviceRequestError(DeviceRequestErrorCode.signatureInvalid, INVALID_MESSAGE);
  }
  await context.db.withTables<DeviceRequestNonceTables>().transaction().execute((trx) => recordNonce(trx, deviceId, signed.nonce, nowMs));
}
