import { sql, type Generated, type Kysely } from 'kysely';
import { idempotencyMigration, type Migration } from '../infra/db/index.js';

/** The gateway's PostgreSQL schema (online payment platform, seed 002). Table names are schema-qualified. */
export const GATEWAY_SCHEMA = 'gateway';

export type PaymentStatus = 'created' | 'awaiting_code' | 'authorized' | 'succeeded' | 'failed' | 'expired' | 'canceled';
export type CustomerStatus = 'active' | 'canceled';
export type PartnerRole = 'merchant' | 'bank';
export type OutboxKind = 'webhook' | 'sms';

export interface GatewayDatabase {
  'gateway.partners': {
    /** A merchant id (gateway's) or a bank name: the certificate's SAN URI names it. */
    id: string;
    role: PartnerRole;
    name: string;
    /** SHA-256 fingerprint of the current client certificate (colon hex, as Node prints it). */
    certificate_fingerprint: string;
    /** Merchants: ISO 8583 field 42 and 41 at the acquirer (a terminal flagged card-not-present). */
    acquirer_merchant_id: string | null;
    acquirer_terminal_id: string | null;
    /** Merchants: webhook signing secret, AES-GCM under the gateway's key (aad = partner id). */
    webhook_secret_sealed: Uint8Array | null;
    created_at: Generated<Date>;
  };
  'gateway.customers': {
    id: string;
    /** The online identity code (seed 002): a phone number, an account number, assigned or chosen. */
    identity_code: string;
    password_hash: string;
    status: CustomerStatus;
    per_payment_limit_minor: bigint;
    daily_limit_minor: bigint;
    currency: string;
    failed_password_attempts: number;
    locked_until: Date | null;
    created_at: Generated<Date>;
  };
  'gateway.customer_phones': {
    msisdn: string;
    customer_id: string;
    is_primary: boolean;
  };
  'gateway.customer_cards': {
    id: string;
    customer_id: string;
    /** The bank's token PAN (never a funding PAN) and its expiry, for the card-not-present 0200. */
    pan: string;
    pan_last4: string;
    expiry: string;
    is_default: boolean;
  };
  'gateway.daily_usage': {
    customer_id: string;
    business_date: string;
    reserved_minor: bigint;
  };
  'gateway.payments': {
    id: string;
    merchant_id: string;
    order_id: string;
    amount_minor: bigint;
    currency: string;
    description: string;
    return_url: string;
    notify_url: string;
    status: PaymentStatus;
    checkout_token_hash: Uint8Array;
    customer_id: string | null;
    card_id: string | null;
    business_date: string | null;
    stan: string | null;
    transmitted_at: Date | null;
    bank_response_code: string | null;
    bank_authorization_code: string | null;
    refunded_minor: Generated<bigint>;
    failure_code: string | null;
    expires_at: Date;
    created_at: Date;
    updated_at: Date;
  };
  'gateway.payment_transitions': {
    id: Generated<bigint>;
    payment_id: string;
    from_status: string | null;
    to_status: string;
    reason: string;
    at: Date;
  };
  'gateway.authorization_codes': {
    payment_id: string;
    customer_id: string;
    msisdn: string;
    code_hash: Uint8Array;
    /** SHA-256 of the checkout session cookie that passed the password step. */
    session_hash: Uint8Array;
    amount_minor: bigint;
    currency: string;
    attempts: number;
    sends: number;
    sent_at: Date;
    expires_at: Date;
    used_at: Date | null;
  };
  'gateway.refunds': {
    id: string;
    payment_id: string;
    amount_minor: bigint;
    status: string;
    stan: string;
    transmitted_at: Date;
    bank_response_code: string | null;
    created_at: Date;
  };
  'gateway.outbox': {
    id: string;
    /** Stable across retries: the webhook's event id, or the SMS's. */
    event_id: string;
    kind: OutboxKind;
    partner_id: string | null;
    destination: string;
    body: string;
    attempts: number;
    next_attempt_at: Date;
    delivered_at: Date | null;
    failed_at: Date | null;
    last_error: string | null;
    created_at: Date;
  };
}

export const gatewayMigrations: readonly Migration[] = [
  {
    name: '0001_gateway',
    async up(db: Kysely<unknown>) {
      await sql`
        create sequence gateway.stan_seq minvalue 1 maxvalue 999999 cycle;
        create table gateway.partners (
          id text primary key check (id ~ '^[A-Za-z0-9_.-]{1,40}$'),
          role text not null check (role in ('merchant', 'bank')),
          name text not null check (length(name) between 1 and 100),
          certificate_fingerprint text not null,
          acquirer_merchant_id text check (acquirer_merchant_id ~ '^[ -~]{15}$'),
          acquirer_terminal_id text check (acquirer_terminal_id ~ '^[ -~]{8}$'),
          webhook_secret_sealed bytea,
          created_at timestamptz not null default now(),
          check ((role = 'merchant') = (acquirer_merchant_id is not null and acquirer_terminal_id is not null and webhook_secret_sealed is not null))
        );
        create table gateway.customers (
          id uuid primary key,
          identity_code text not null unique check (identity_code ~ '^[A-Za-z0-9_.-]{4,32}$'),
          password_hash text not null,
          status text not null check (status in ('active', 'canceled')),
          per_payment_limit_minor bigint not null check (per_payment_limit_minor > 0),
          daily_limit_minor bigint not null check (daily_limit_minor > 0),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          failed_password_attempts integer not null default 0 check (failed_password_attempts >= 0),
          locked_until timestamptz,
          created_at timestamptz not null default now()
        );
        create table gateway.customer_phones (
          msisdn text primary key check (msisdn ~ '^[0-9]{5,15}$'),
          customer_id uuid not null references gateway.customers (id),
          is_primary boolean not null
        );
        create unique index customer_phones_primary on gateway.customer_phones (customer_id) where is_primary;
        create table gateway.customer_cards (
          id uuid primary key,
          customer_id uuid not null references gateway.customers (id),
          pan text not null unique check (pan ~ '^[0-9]{12,19}$'),
          pan_last4 text not null check (pan_last4 ~ '^[0-9]{4}$'),
          expiry text not null check (expiry ~ '^[0-9]{4}$'),
          is_default boolean not null
        );
        create unique index customer_cards_default on gateway.customer_cards (customer_id) where is_default;
        create table gateway.daily_usage (
          customer_id uuid not null references gateway.customers (id),
          business_date text not null,
          reserved_minor bigint not null check (reserved_minor >= 0),
          primary key (customer_id, business_date)
        );
        create table gateway.payments (
          id uuid primary key,
          merchant_id text not null references gateway.partners (id),
          order_id text not null check (length(order_id) between 1 and 64),
          amount_minor bigint not null check (amount_minor > 0),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          description text not null check (length(description) <= 200),
          return_url text not null,
          notify_url text not null,
          status text not null check (status in ('created', 'awaiting_code', 'authorized', 'succeeded', 'failed', 'expired', 'canceled')),
          checkout_token_hash bytea not null unique,
          customer_id uuid references gateway.customers (id),
          card_id uuid references gateway.customer_cards (id),
          business_date text,
          stan text,
          transmitted_at timestamptz,
          bank_response_code text,
          bank_authorization_code text,
          refunded_minor bigint not null default 0 check (refunded_minor >= 0 and refunded_minor <= amount_minor),
          failure_code text,
          expires_at timestamptz not null,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          unique (merchant_id, order_id)
        );
        create table gateway.payment_transitions (
          id bigint generated always as identity primary key,
          payment_id uuid not null references gateway.payments (id),
          from_status text,
          to_status text not null,
          reason text not null,
          at timestamptz not null
        );
        create index payment_transitions_payment on gateway.payment_transitions (payment_id, id);
        create table gateway.authorization_codes (
          payment_id uuid primary key references gateway.payments (id),
          customer_id uuid not null references gateway.customers (id),
          msisdn text not null,
          code_hash bytea not null check (length(code_hash) = 32),
          session_hash bytea not null check (length(session_hash) = 32),
          amount_minor bigint not null,
          currency text not null,
          attempts integer not null check (attempts >= 0),
          sends integer not null check (sends >= 1),
          sent_at timestamptz not null,
          expires_at timestamptz not null,
          used_at timestamptz
        );
        create table gateway.refunds (
          id uuid primary key,
          payment_id uuid not null references gateway.payments (id),
          amount_minor bigint not null check (amount_minor > 0),
          status text not null check (status in ('pending', 'succeeded', 'failed')),
          stan text not null,
          transmitted_at timestamptz not null,
          bank_response_code text,
          created_at timestamptz not null
        );
        create table gateway.outbox (
          id uuid primary key,
          event_id text not null unique,
          kind text not null check (kind in ('webhook', 'sms')),
          partner_id text references gateway.partners (id),
          destination text not null,
          body text not null,
          attempts integer not null default 0,
          next_attempt_at timestamptz not null,
          delivered_at timestamptz,
          failed_at timestamptz,
          last_error text,
          created_at timestamptz not null
        );
        create index outbox_due on gateway.outbox (next_attempt_at) where delivered_at is null and failed_at is null;
      `.execute(db);
    },
  },
  idempotencyMigration(GATEWAY_SCHEMA),
];
