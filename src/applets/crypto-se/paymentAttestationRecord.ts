import type { KeyObject } from 'node:crypto';
import { concatBytes } from '../../lib/bytes.js';
import { verifyECDSAP256 } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { isBCD, packDigits, unpackDigits } from './bcd.js';
import {
  CRYPTO_SE_TAG, PAYMENT_ATTESTATION_LABEL, PAYMENT_ATTESTATION_RECORD_BYTES, PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX, PAYMENT_ATTESTATION_VERSION,
} from './constants.js';
import { CryptoSEErrorCode } from './errors.js';

/**
 * The payment attestation record (README.md "Payment attestation"; docs/fraud-feed.md): a fixed
 * 26-byte layout the Crypto SE signs at GENERATE AC, for the TSM's fraud feed (seed 000 [0090]).
 * One definition for the card that writes it and for the TSM that reads it.
 *
 * ```
 * offset  bytes  field
 *  0      1      version 01
 *  1      4      last four PAN digits, ASCII
 *  5      2      ATC of the GENERATE AC ('9F36'), big-endian
 *  7      3      transaction date YYMMDD, BCD (the '9A' format), from the card clock, UTC
 * 10      8      application cryptogram of the GENERATE AC ('9F26'): binds the record to this transaction
 * 18      8      attestation counter, big-endian, +1 per attestation of this card
 * ```
 * No amount, no currency, no full PAN, no terminal or merchant data.
 */

const OFFSET = { version: 0, lastFour: 1, atc: 5, date: 7, cryptogram: 10, counter: 18 } as const;
const LAST_FOUR_BYTES = 4;
const DATE_BYTES = 3;
const CRYPTOGRAM_BYTES = 8;
const COUNTER_MAX = 0xffff_ffff_ffff_ffffn;

export interface PaymentAttestationFields {
  /** Four ASCII digits. */
  readonly lastFour: string;
  /** 0-65535. */
  readonly atc: number;
  /** YYMMDD. */
  readonly transactionDate: string;
  /** The 8-byte application cryptogram ('9F26'). */
  readonly cryptogram: Uint8Array;
  readonly counter: bigint;
}

/** What GET PAYMENT ATTESTATION answers, parsed: the record exactly as signed, its fields and the DER signature. */
export interface PaymentAttestation {
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly fields: PaymentAttestationFields;
}

function malformed(message: string): TesseraError {
  return new TesseraError(CryptoSEErrorCode.response, message);
}

function isCalendarDate(yymmdd: string): boolean {
  const year = 2000 + Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The record's bytes; the card's writer and the tests' forgers both use it. */
export function encodePaymentAttestationRecord(fields: PaymentAttestationFields): Uint8Array {
  if (!/^[0-9]{4}$/.test(fields.lastFour)) throw malformed('the last four digits are four ASCII digits');
  if (!Number.isInteger(fields.atc) || fields.atc < 0 || fields.atc > 0xffff) throw malformed('an ATC is 0-65535');
  if (!/^[0-9]{6}$/.test(fields.transactionDate)) throw malformed('a transaction date is YYMMDD');
  if (fields.cryptogram.length !== CRYPTOGRAM_BYTES) throw malformed(`a cryptogram is ${CRYPTOGRAM_BYTES} bytes`);
  if (fields.counter < 0n || fields.counter > COUNTER_MAX) throw malformed('an attestation counter is 64 bits');
  const record = new Uint8Array(PAYMENT_ATTESTATION_RECORD_BYTES);
  const view = new DataView(record.buffer);
  record[OFFSET.version] = PAYMENT_ATTESTATION_VERSION;
  record.set(new TextEncoder().encode(fields.lastFour), OFFSET.lastFour);
  view.setUint16(OFFSET.atc, fields.atc);
  record.set(packDigits(fields.transactionDate), OFFSET.date);
  record.set(fields.cryptogram, OFFSET.cryptogram);
  view.setBigUint64(OFFSET.counter, fields.counter);
  return record;
}

/** The record's fields; refuses any other length or version, non-digit last four, or a date that is not a calendar date. */
export function decodePaymentAttestationRecord(received: Uint8Array): PaymentAttestationFields {
  if (received.length !== PAYMENT_ATTESTATION_RECORD_BYTES) throw malformed(`expected a ${PAYMENT_ATTESTATION_RECORD_BYTES}-byte record, received ${received.length} bytes`);
  const record = received.slice();
  if (record[OFFSET.version] !== PAYMENT_ATTESTATION_VERSION) throw malformed(`expected record version ${PAYMENT_ATTESTATION_VERSION}, received ${record[OFFSET.version] ?? 0}`);
  const lastFour = String.fromCharCode(...record.subarray(OFFSET.lastFour, OFFSET.lastFour + LAST_FOUR_BYTES));
  if (!/^[0-9]{4}$/.test(lastFour)) throw malformed('the last four digits are not four ASCII digits');
  const date = record.subarray(OFFSET.date, OFFSET.date + DATE_BYTES);
  if (!isBCD(date) || !isCalendarDate(unpackDigits(date))) throw malformed('the transaction date is not a YYMMDD calendar date');
  const view = new DataView(record.buffer);
  return {
    lastFour,
    atc: view.getUint16(OFFSET.atc),
    transactionDate: unpackDigits(date),
    cryptogram: record.slice(OFFSET.cryptogram, OFFSET.cryptogram + CRYPTOGRAM_BYTES),
    counter: view.getBigUint64(OFFSET.counter),
  };
}

/** What the device key signs: the label, then the record (so no other signature of the card can pass as one). */
export function paymentAttestationMessage(record: Uint8Array): Uint8Array {
  return concatBytes(PAYMENT_ATTESTATION_LABEL, record);
}

function single(nodes: readonly TLVNode[], tag: number): Uint8Array {
  const found = nodes.filter((node) => node.tag === tag);
  const [node] = found;
  if (found.length !== 1 || node === undefined || node.constructed) throw malformed(`expected one primitive data object ${tag.toString(16).toUpperCase()}`);
  return node.value;
}

/** GET PAYMENT ATTESTATION's answer data: 'C1' record ‖ '9E' DER signature. */
export function parsePaymentAttestation(response: Uint8Array): PaymentAttestation {
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(response, { padding: 'reject', lengths: 'minimal', depthMax: 1 });
  } catch (cause) {
    throw new TesseraError(CryptoSEErrorCode.response, 'payment attestation is not BER-TLV', { cause });
  }
  if (nodes.length !== 2) throw malformed('expected a C1 record and a 9E signature');
  const record = single(nodes, CRYPTO_SE_TAG.attestationRecord).slice();
  const signature = single(nodes, CRYPTO_SE_TAG.signature).slice();
  if (signature.length === 0 || signature.length > PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX) throw malformed('the signature is not a P-256 DER signature');
  return { record, signature, fields: decodePaymentAttestationRecord(record) };
}

/** ECDSA P-256/SHA-256 (DER) by the device key over paymentAttestationMessage(record). */
export function verifyPaymentAttestation(devicePublicKey: KeyObject, record: Uint8Array, signature: Uint8Array): boolean {
  if (record.length !== PAYMENT_ATTESTATION_RECORD_BYTES || signature.length === 0 || signature.length > PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX) return false;
  return verifyECDSAP256(devicePublicKey, paymentAttestationMessage(record.slice()), signature.slice(), 'der');
}
