import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { Migration } from '../infra/db/index.js';

/** The SMS center's PostgreSQL schema. Table names are schema-qualified (src/infra/db/README.md). */
export const SMSC_SCHEMA = 'smsc';

/** SMPP 3.4 §5.2.28 message states this SMSC records (a subset: no DELETED, ACCEPTED or UNKNOWN). */
export type MessageState = 'ENROUTE' | 'DELIVERED' | 'EXPIRED' | 'UNDELIVERABLE' | 'REJECTED';
/** Where a message is going: a handset (by MSISDN) or an application (an ESME, by system_id). */
export type DestinationKind = 'handset' | 'esme';
/** A short message, or a delivery receipt the SMSC generated for an ESME. */
export type MessageKind = 'message' | 'receipt';

export interface SmscDatabase {
  'smsc.esmes': {
    system_id: string;
    /** scrypt (node:crypto): `scrypt$N$r$p$salt$hash`, base64url parts. */
    password_hash: string;
    created_at: Generated<Date>;
  };
  'smsc.esme_addresses': {
    /** A short code or sender id owned by one ESME: its submits may use it as source, MO traffic to it is routed to it. */
    address: string;
    system_id: string;
  };
  'smsc.handsets': {
    msisdn: string;
    secret_hash: string;
    created_at: Generated<Date>;
    last_attached_at: Date | null;
  };
  'smsc.messages': {
    id: string;
    kind: MessageKind;
    /** The ESME that submitted it (receipts go back there); null for mobile-originated messages. */
    origin_system_id: string | null;
    source_addr: string;
    destination_kind: DestinationKind;
    destination_addr: string;
    /** For ESME destinations: the routed ESME. */
    destination_system_id: string | null;
    data_coding: number;
    /** The text in `data_coding`, without any user data header. */
    payload: Uint8Array;
    /** Concatenation: `system|source|destination|reference|total`; parts with one key are delivered together. */
    concat_key: string | null;
    concat_total: number | null;
    concat_sequence: number | null;
    registered_delivery: number;
    /** Receipts only: the message this receipt reports on, and its final state. */
    receipted_message_id: string | null;
    receipted_state: MessageState | null;
    state: MessageState;
    attempts: number;
    next_attempt_at: Date;
    lease_expires_at: Date | null;
    submitted_at: Date;
    expires_at: Date;
    done_at: Date | null;
    error_code: number | null;
  };
  'smsc.message_transitions': {
    id: Generated<bigint>;
    message_id: string;
    from_state: MessageState | null;
    to_state: MessageState;
    at: Date;
    reason: string;
  };
  'smsc.inbox': {
    /** The delivery id the handset acknowledged (the first part's message id). */
    id: string;
    msisdn: string;
    source_addr: string;
    text: string;
    parts: number;
    /** jsonb: written as JSON text, read back as an array. */
    message_ids: ColumnType<string[], string, never>;
    received_at: Date;
  };
}

export const smscMigrations: readonly Migration[] = [
  {
    name: '0001_accounts',
    async up(db: Kysely<unknown>) {
      // SMPP 3.4 §4.1.1: system_id is a C-Octet String of at most 16 octets (15 characters).
      await sql`
        create table smsc.esmes (
          system_id text primary key check (system_id ~ '^[A-Za-z0-9_.-]{1,15}$'),
          password_hash text not null check (password_hash like 'scrypt$%'),
          created_at timestamptz not null default now()
        );
        create table smsc.esme_addresses (
          address text primary key check (address ~ '^[A-Za-z0-9]{1,20}$'),
          system_id text not null references smsc.esmes (system_id)
        );
        create index esme_addresses_system_id on smsc.esme_addresses (system_id);
        create table smsc.handsets (
          msisdn text primary key check (msisdn ~ '^[0-9]{5,15}$'),
          secret_hash text not null check (secret_hash like 'scrypt$%'),
          created_at timestamptz not null default now(),
          last_attached_at timestamptz
        );
      `.execute(db);
    },
  },
  {
    name: '0002_messages',
    async up(db: Kysely<unknown>) {
      await sql`
        create table smsc.messages (
          id text primary key check (id ~ '^[0-9A-F]{16}$'),
          kind text not null check (kind in ('message', 'receipt')),
          origin_system_id text references smsc.esmes (system_id),
          source_addr text not null check (length(source_addr) between 1 and 20),
          destination_kind text not null check (destination_kind in ('handset', 'esme')),
          destination_addr text not null check (length(destination_addr) between 1 and 20),
          destination_system_id text references smsc.esmes (system_id),
          data_coding smallint not null check (data_coding between 0 and 255),
          payload bytea not null check (length(payload) <= 65535),
          concat_key text,
          concat_total smallint check (concat_total between 1 and 255),
          concat_sequence smallint check (concat_sequence between 1 and concat_total),
          registered_delivery smallint not null default 0 check (registered_delivery between 0 and 255),
          receipted_message_id text,
          receipted_state text,
          state text not null check (state in ('ENROUTE', 'DELIVERED', 'EXPIRED', 'UNDELIVERABLE', 'REJECTED')),
          attempts integer not null default 0 check (attempts >= 0),
          next_attempt_at timestamptz not null,
          lease_expires_at timestamptz,
          submitted_at timestamptz not null,
          expires_at timestamptz not null,
          done_at timestamptz,
          error_code integer,
          check ((destination_kind = 'esme') = (destination_system_id is not null)),
          check ((kind = 'receipt') = (receipted_message_id is not null)),
          check ((concat_key is null) = (concat_total is null) and (concat_key is null) = (concat_sequence is null)),
          check ((state = 'ENROUTE') = (done_at is null))
        );
        create index messages_enroute_handset on smsc.messages (destination_addr, next_attempt_at)
          where state = 'ENROUTE' and destination_kind = 'handset';
        create index messages_enroute_esme on smsc.messages (destination_system_id, next_attempt_at)
          where state = 'ENROUTE' and destination_kind = 'esme';
        create index messages_enroute_expiry on smsc.messages (expires_at) where state = 'ENROUTE';
        create index messages_concat on smsc.messages (concat_key) where state = 'ENROUTE' and concat_key is not null;
        create table smsc.message_transitions (
          id bigint generated always as identity primary key,
          message_id text not null references smsc.messages (id),
          from_state text,
          to_state text not null,
          at timestamptz not null,
          reason text not null check (length(reason) <= 200)
        );
        create index message_transitions_message on smsc.message_transitions (message_id, id);
        create table smsc.inbox (
          id text primary key,
          msisdn text not null,
          source_addr text not null,
          text text not null,
          parts smallint not null check (parts between 1 and 255),
          message_ids jsonb not null,
          received_at timestamptz not null
        );
        create index inbox_msisdn on smsc.inbox (msisdn, received_at desc, id);
      `.execute(db);
    },
  },
];
