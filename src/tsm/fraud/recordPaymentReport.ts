import { decodePaymentAttestationRecord, verifyPaymentAttestation, type PaymentAttestationFields } from '../../applets/crypto-se/client.js';
import { copyBytes } from '../../lib/bytes.js';
import { isTesseraError } from '../../lib/errors.js';
import type { TsmContext } from '../context.js';
import { certifiedKey } from '../devices/index.js';
import { tsmError, TsmErrorCode } from '../errors.js';
import { fraudError, FraudErrorCode } from './errors.js';
import type { FraudTables } from './schema.js';

const COUNTER_HEX_DIGITS = 16;

export interface ReceivedPaymentReport {
  /** The 26-byte payment attestation record as the Crypto SE signed it. */
  readonly record: Uint8Array;
  /** The device key's DER ECDSA signature over "tessera.crypto-se/payment-attestation/v1" ‖ record. */
  readonly signature: Uint8Array;
}

/** What the TSM stored: nothing more than this (docs/fraud-feed.md "What is collected"). */
export interface RecordedPaymentReport {
  readonly deviceId: string;
  /** 16 upper-case hex digits. */
  readonly attestationCounter: string;
  readonly lastFour: string;
  readonly atc: number;
  /** YYYY-MM-DD. */
  readonly transactionDate: string;
  /** ISO 8601. */
  readonly receivedAt: string;
}

function counterText(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(COUNTER_HEX_DIGITS, '0');
}

/** YYMMDD → the UTC date it names (20YY: the record is a payment of this century). */
function transactionDateOf(yymmdd: string): Date {
  return new Date(Date.UTC(2000 + Number(yymmdd.slice(0, 2)), Number(yymmdd.slice(2, 4)) - 1, Number(yymmdd.slice(4, 6))));
}

function decodeRecord(record: Uint8Array): PaymentAttestationFields {
  try {
    return decodePaymentAttestationRecord(record);
  } catch (error) {
    if (isTesseraError(error)) throw fraudError(FraudErrorCode.reportInvalid, `not a payment attestation record: ${error.message}`);
    throw error;
  }
}

/**
 * The fraud feed's intake (seed 000 [0090]): a device delivers the payment attestation its Crypto
 * SE signed at GENERATE AC. Checks, in order, in one transaction with the device row locked (so
 * two deliveries of one device cannot both pass the counter check): the device exists; it is
 * registered and its certificate — the one this TSM issued — is valid now; the record is a
 * well-formed version-1 record; the signature verifies with that certificate's key; the
 * attestation counter is above every counter this device reported. Only then is the row written:
 * device, last four, ATC, counter, date, received time and the signature. Any refusal writes nothing.
 */
export async function recordPaymentReport(context: TsmContext, receivedDeviceId: string, received: ReceivedPaymentReport): Promise<RecordedPaymentReport> {
  const deviceId = receivedDeviceId.toUpperCase();
  const record = copyBytes(received.record);
  const signature = copyBytes(received.signature);
  const db = context.db.withTables<FraudTables>();
  return db.transaction().execute(async (trx) => {
    const device = await trx.selectFrom('tsm.devices').select(['id', 'state', 'certificate_der']).where('id', '=', deviceId).forUpdate().executeTakeFirst();
    if (device === undefined) throw tsmError(TsmErrorCode.notFound, 'no device with this id');
    const now = context.now();
    const key = device.state === 'registered' && device.certificate_der !== null ? certifiedKey(device.certificate_der, now) : undefined;
    if (key === undefined) throw fraudError(FraudErrorCode.deviceNotRegistered, 'the device has no valid certificate from this TSM');
    const fields = decodeRecord(record);
    if (!verifyPaymentAttestation(key, record, signature)) {
      context.logger.info({ deviceId }, 'payment report refused: the signature does not verify with the device certificate');
      throw fraudError(FraudErrorCode.signatureInvalid, 'the signature does not verify with the device certificate');
    }
    const counter = counterText(fields.counter);
    const last = await trx.selectFrom('tsm.payment_reports').select((eb) => eb.fn.max('attestation_counter').as('counter'))
      .where('device_id', '=', deviceId).executeTakeFirst();
    const lastCounter = last?.counter ?? null;
    if (lastCounter !== null && counter <= lastCounter) {
      throw fraudError(FraudErrorCode.replay, `the attestation counter must be above ${lastCounter}, received ${counter}`);
    }
    const receivedAt = new Date(now);
    await trx.insertInto('tsm.payment_reports').values({
      device_id: deviceId, attestation_counter: counter, last_four: fields.lastFour, atc: fields.atc,
      transaction_date: transactionDateOf(fields.transactionDate), received_at: receivedAt, signature,
    }).execute();
    return {
      deviceId, attestationCounter: counter, lastFour: fields.lastFour, atc: fields.atc,
      transactionDate: `20${fields.transactionDate.slice(0, 2)}-${fields.transactionDate.slice(2, 4)}-${fields.transactionDate.slice(4, 6)}`,
      receivedAt: receivedAt.toISOString(),
    };
  });
}
