import { sql, type Kysely } from 'kysely';
import type { Migration } from '../../infra/db/index.js';

/**
 * The fraud feed's table in the `tsm` schema (seed 000 [0090], docs/fraud-feed.md): one row per
 * verified payment attestation, holding only what the seed lets the TSM collect — the device, the
 * last four digits, and "signature information" (the attestation's ATC, counter, date and the
 * device's signature) — plus when it arrived. No amount, no PAN, no merchant, no cryptogram.
 */
// A type alias, not an interface: Kysely's withTables<T>() needs T to have an implicit index signature.
export type FraudTables = {
  'tsm.payment_reports': {
    device_id: string;
    /** The card's attestation counter, 16 upper-case hex digits (text order is numeric order). */
    attestation_counter: string;
    last_four: string;
    atc: number;
    /** YYMMDD from the Crypto SE's clock, as a date. */
    transaction_date: Date;
    received_at: Date;
    /** The device's DER ECDSA signature over the attestation: the seed's "signature information". */
    signature: Uint8Array;
  };
};

export const fraudMigrations: readonly Migration[] = [
  {
    name: '0008_fraud_feed',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.payment_reports (
          device_id text not null references tsm.devices (id),
          attestation_counter text not null check (attestation_counter ~ '^[0-9A-F]{16}$'),
          last_four text not null check (last_four ~ '^[0-9]{4}$'),
          atc integer not null check (atc between 0 and 65535),
          transaction_date date not null,
          received_at timestamptz not null,
          signature bytea not null check (octet_length(signature) between 8 and 72),
          primary key (device_id, attestation_counter)
        );
        create index payment_reports_by_last_four on tsm.payment_reports (last_four, received_at);
        create index payment_reports_by_device on tsm.payment_reports (device_id, received_at);
      `.execute(db);
    },
  },
];
