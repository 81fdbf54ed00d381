import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../lib/bytes.js';
import { PAYMENT_REPORTS_FILE_NAME, PAYMENT_REPORTS_FORMAT, PAYMENT_REPORTS_PENDING_MAX } from './constants.js';
import { deviceError, DeviceErrorCode } from './errors.js';
import { writeFileAtomic } from './files.js';

/** One payment attestation waiting for the TSM: exactly what the Crypto SE answered, hex. */
export interface PendingPaymentReport {
  /** The 26-byte record. */
  readonly record: string;
  /** DER ECDSA signature by the device key. */
  readonly signature: string;
  /** The record's attestation counter, 16 hex digits (for logs and the CLI; the TSM reads it from the record). */
  readonly counter: string;
}

interface PaymentReportsFile {
  readonly format: string;
  reports: PendingPaymentReport[];
}

/**
 * The device's small durable outbox of payment attestations (docs/fraud-feed.md): a tap happens
 * in payment mode with the other radios off, so the attestation the Crypto SE signed is kept here
 * (written atomically, like device.json) until the next call to the TSM delivers it. Nothing in it
 * is secret: last four, ATC, date, cryptogram, counter and the signature. Oldest first; at most
 * PAYMENT_REPORTS_PENDING_MAX — past that the oldest is dropped (the TSM only needs counters to
 * grow, and a fraud feed loses less by missing an old report than by refusing to pay).
 */
export class PaymentReportOutbox {
  readonly #path: string;

  constructor(directory: string) {
    this.#path = join(directory, PAYMENT_REPORTS_FILE_NAME);
  }

  #read(): PaymentReportsFile {
    if (!existsSync(this.#path)) return { format: PAYMENT_REPORTS_FORMAT, reports: [] };
    const file = JSON.parse(readFileSync(this.#path, 'utf8')) as PaymentReportsFile;
    if (file.format !== PAYMENT_REPORTS_FORMAT || !Array.isArray(file.reports)) {
      throw deviceError(DeviceErrorCode.invalid, `${this.#path} is not a ${PAYMENT_REPORTS_FORMAT} file`);
    }
    return file;
  }

  #write(file: PaymentReportsFile): void {
    writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`);
  }

  pending(): readonly PendingPaymentReport[] {
    return this.#read().reports;
  }

  add(record: Uint8Array, signature: Uint8Array, counter: bigint): void {
    const file = this.#read();
    file.reports.push({ record: toHex(record), signature: toHex(signature), counter: counter.toString(16).toUpperCase().padStart(16, '0') });
    while (file.reports.length > PAYMENT_REPORTS_PENDING_MAX) file.reports.shift();
    this.#write(file);
  }

  /** Removes the report with this record (delivered, or refused for good). */
  remove(record: string): void {
    const file = this.#read();
    file.reports = file.reports.filter((report) => report.record !== record);
    this.#write(file);
  }
}
