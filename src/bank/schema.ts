import { sql, type Generated, type Kysely } from 'kysely';
import { idempotencyMigration, type Migration } from '../infra/db/index.js';

/** The bank's PostgreSQL schema (issuer and acquirer). Table names are schema-qualified (src/infra/db/README.md). */
export const BANK_SCHEMA = 'bank';

/**
 * What an account is for. Only `customer` accounts carry the SQL rule "available balance ≥ 0":
 * the bank's own accounts (clearing, funding, fees) and merchant settlement accounts may go
 * negative, as a nostro or a merchant owing refunds does.
 */
export type AccountKind = 'customer' | 'merchant_settlement' | 'issuer_clearing' | 'acquirer_clearing' | 'issuer_funding' | 'fees';
export type CardStatus = 'active' | 'blocked' | 'lost' | 'stolen';
export type AuthorizationKind = 'preauth' | 'purchase' | 'refund';
export type HoldStatus = 'open' | 'captured' | 'released';
export type EntryKind = 'deposit' | 'purchase' | 'capture' | 'reversal' | 'refund' | 'clearing';

export interface BankDatabase {
  'bank.customers': {
    id: string;
    name: string;
    created_at: Generated<Date>;
  };
  'bank.accounts': {
    id: string;
    kind: AccountKind;
    customer_id: string | null;
    currency: string;
    /** Sum of the account's postings (signed minor units). */
    ledger_balance_minor: Generated<bigint>;
    /** Ledger balance less the open holds on the account. */
    available_balance_minor: Generated<bigint>;
    created_at: Generated<Date>;
  };
  'bank.issuer_master_keys': {
    id: string;
    label: string;
    /** AES-GCM under the key-encryption key (deps.kek), additional data = issuerKeyAdditionalData(id). */
    key_sealed: Uint8Array;
    created_at: Generated<Date>;
  };
  'bank.bin_ranges': {
    prefix: string;
    name: string;
    issuer_master_key_id: string;
    created_at: Generated<Date>;
  };
  'bank.cards': {
    id: string;
    account_id: string;
    bin_prefix: string;
    /** The token PAN (a token, not a funding PAN: stored as is). */
    pan: string;
    pan_hash: Uint8Array;
    pan_last4: string;
    /** YYMM, as in ISO 8583 field 14 and EMV tag 5F24 (without the day). */
    expiry: string;
    psn: number;
    status: CardStatus;
    transaction_limit_minor: bigint;
    daily_limit_minor: bigint;
    daily_count_max: number;
    /** Highest ATC seen in a verified cryptogram; −1 before the first (as lib/emv's checkATC counts). */
    atc_high_water: Generated<number>;
    /**
     * The daily limits' counters (docs/bank.md "Authorization", daily limits): approved, unreversed preauths and
     * purchases of `day_business_date` (null before the first). Another date's counters count as 0.
     */
    day_business_date: Generated<string | null>;
    day_count: Generated<number>;
    day_total_minor: Generated<bigint>;
    created_at: Generated<Date>;
  };
  'bank.merchants': {
    id: string;
    name: string;
    created_at: Generated<Date>;
  };
  'bank.merchant_accounts': {
    merchant_id: string;
    currency: string;
    account_id: string;
  };
  'bank.terminals': {
    id: string;
    merchant_id: string;
    created_at: Generated<Date>;
    /** Migration 0007: the terminal may send card-not-present (e-commerce) 0200s (docs/bank.md). */
    card_not_present: Generated<boolean>;
  };
  'bank.authorizations': {
    id: string;
    kind: AuthorizationKind;
    terminal_id: string;
    stan: string;
    transmitted_at: Date;
    request_hash: Uint8Array;
    merchant_id: string;
    card_id: string | null;
    pan_last4: string;
    amount_minor: bigint;
    currency: string;
    atc: number | null;
    response_code: string;
    decline_reason: string | null;
    authorization_code: string | null;
    hold_id: string | null;
    entry_id: string | null;
    original_authorization_id: string | null;
    business_date: string;
    reversed_at: Date | null;
    reversal_entry_id: string | null;
    created_at: Generated<Date>;
    /** Migration 0007: 'chip' (field 55) or 'ecommerce' (card not present, field 22 = 812). */
    channel: Generated<string>;
    /** Migration 0007: the out-of-band cardholder authentication field 48 carried (ecommerce only). */
    cardholder_authentication: Generated<string | null>;
  };
  'bank.reversals': {
    terminal_id: string;
    stan: string;
    transmitted_at: Date;
    authorization_id: string | null;
    created_at: Generated<Date>;
  };
  'bank.holds': {
    id: string;
    authorization_id: string;
    account_id: string;
    currency: string;
    amount_minor: bigint;
    status: HoldStatus;
    captured_minor: Generated<bigint>;
    capture_entry_id: string | null;
    created_at: Generated<Date>;
    closed_at: Date | null;
  };
  'bank.journal_entries': {
    id: string;
    kind: EntryKind;
    authorization_id: string | null;
    merchant_id: string | null;
    business_date: string;
    description: string;
    created_at: Generated<Date>;
  };
  'bank.postings': {
    id: Generated<bigint>;
    entry_id: string;
    account_id: string;
    currency: string;
    amount_minor: bigint;
  };
  'bank.clearing_batches': {
    business_date: string;
    entries_cleared: number;
    created_at: Generated<Date>;
  };
  'bank.entry_clearings': {
    entry_id: string;
    business_date: string;
    /** Null when the day's movements in this currency netted to zero everywhere. */
    clearing_entry_id: string | null;
  };
}

export const bankMigrations: readonly Migration[] = [
  {
    name: '0001_accounts',
    async up(db: Kysely<unknown>) {
      // available ≤ ledger everywhere (holds are never negative); available ≥ 0 for customers.
      await sql`
        create table bank.customers (
          id uuid primary key,
          name text not null check (length(name) between 1 and 200),
          created_at timestamptz not null default now()
        );
        create table bank.accounts (
          id uuid primary key,
          kind text not null check (kind in ('customer', 'merchant_settlement', 'issuer_clearing', 'acquirer_clearing', 'issuer_funding', 'fees')),
          customer_id uuid references bank.customers (id),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          ledger_balance_minor bigint not null default 0,
          available_balance_minor bigint not null default 0,
          created_at timestamptz not null default now(),
          unique (id, currency),
          constraint accounts_customer_owner check ((kind = 'customer') = (customer_id is not null)),
          constraint accounts_available_not_above_ledger check (available_balance_minor <= ledger_balance_minor),
          constraint accounts_customer_available_non_negative check (kind <> 'customer' or available_balance_minor >= 0)
        );
        create index accounts_customer on bank.accounts (customer_id);
        -- One clearing / funding / fees account per currency: the bank's own books.
        create unique index accounts_system on bank.accounts (kind, currency)
          where kind in ('issuer_clearing', 'acquirer_clearing', 'issuer_funding', 'fees');
      `.execute(db);
    },
  },
  {
    name: '0002_cards',
    async up(db: Kysely<unknown>) {
      await sql`
        create table bank.issuer_master_keys (
          id uuid primary key,
          label text not null check (length(label) between 1 and 100),
          key_sealed bytea not null,
          created_at timestamptz not null default now()
        );
        create table bank.bin_ranges (
          prefix text primary key check (prefix ~ '^[0-9]{6,8}$'),
          name text not null check (length(name) between 1 and 100),
          issuer_master_key_id uuid not null references bank.issuer_master_keys (id),
          created_at timestamptz not null default now()
        );
        create table bank.cards (
          id uuid primary key,
          account_id uuid not null references bank.accounts (id),
          bin_prefix text not null references bank.bin_ranges (prefix),
          pan text not null check (pan ~ '^[0-9]{12,19}$'),
          pan_hash bytea not null unique check (length(pan_hash) = 32),
          pan_last4 text not null check (pan_last4 ~ '^[0-9]{4}$'),
          expiry text not null check (expiry ~ '^[0-9]{2}(0[1-9]|1[0-2])$'),
          psn integer not null check (psn between 0 and 99),
          status text not null check (status in ('active', 'blocked', 'lost', 'stolen')),
          transaction_limit_minor bigint not null check (transaction_limit_minor > 0),
          daily_limit_minor bigint not null check (daily_limit_minor > 0),
          daily_count_max integer not null check (daily_count_max > 0),
          atc_high_water integer not null default -1 check (atc_high_water between -1 and 65535),
          created_at timestamptz not null default now(),
          check (starts_with(pan, bin_prefix)),
          check (right(pan, 4) = pan_last4)
        );
        create index cards_account on bank.cards (account_id);
      `.execute(db);
    },
  },
  {
    name: '0003_acquirer',
    async up(db: Kysely<unknown>) {
      // ISO 8583 field 42 (card acceptor identification code, ans 15) and field 41 (terminal id, ans 8).
      await sql`
        create table bank.merchants (
          id text primary key check (id ~ '^[ -~]{15}$'),
          name text not null check (length(name) between 1 and 200),
          created_at timestamptz not null default now()
        );
        create table bank.merchant_accounts (
          merchant_id text not null references bank.merchants (id),
          currency text not null,
          account_id uuid not null unique,
          primary key (merchant_id, currency),
          foreign key (account_id, currency) references bank.accounts (id, currency)
        );
        create table bank.terminals (
          id text primary key check (id ~ '^[ -~]{8}$'),
          merchant_id text not null references bank.merchants (id),
          created_at timestamptz not null default now()
        );
      `.execute(db);
    },
  },
  {
    name: '0004_ledger',
    async up(db: Kysely<unknown>) {
      // Journal entries and postings are append-only; a deferred constraint trigger proves at
      // COMMIT that each entry has postings and that they sum to zero per currency, whoever wrote them.
      await sql`
        create table bank.journal_entries (
          id uuid primary key,
          kind text not null check (kind in ('deposit', 'purchase', 'capture', 'reversal', 'refund', 'clearing')),
          authorization_id uuid,
          merchant_id text references bank.merchants (id),
          business_date text not null check (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          description text not null check (length(description) <= 200),
          created_at timestamptz not null default now()
        );
        create index journal_entries_clearable on bank.journal_entries (business_date) where merchant_id is not null;
        create table bank.postings (
          id bigint generated always as identity primary key,
          entry_id uuid not null references bank.journal_entries (id),
          account_id uuid not null,
          currency text not null,
          amount_minor bigint not null constraint postings_amount_non_zero check (amount_minor <> 0),
          foreign key (account_id, currency) references bank.accounts (id, currency)
        );
        create index postings_entry on bank.postings (entry_id);
        create index postings_account on bank.postings (account_id);

        create function bank.check_entry_balanced() returns trigger language plpgsql as $$
        declare
          entry uuid;
          postings_count bigint;
          unbalanced text;
        begin
          if tg_table_name = 'postings' then
            entry := new.entry_id;
          else
            entry := new.id;
          end if;
          select count(*) into postings_count from bank.postings where entry_id = entry;
          if postings_count < 2 then
            raise exception 'journal entry % has % postings; at least two are needed', entry, postings_count
              using errcode = '23514', constraint = 'journal_entries_balanced';
          end if;
          select string_agg(currency, ',') into unbalanced from (
            select currency from bank.postings where entry_id = entry group by currency having sum(amount_minor) <> 0
          ) as sums;
          if unbalanced is not null then
            raise exception 'journal entry % does not sum to zero in %', entry, unbalanced
              using errcode = '23514', constraint = 'journal_entries_balanced';
          end if;
          return null;
        end;
        $$;
        create constraint trigger journal_entries_balanced after insert on bank.journal_entries
          deferrable initially deferred for each row execute function bank.check_entry_balanced();
        create constraint trigger postings_balanced after insert on bank.postings
          deferrable initially deferred for each row execute function bank.check_entry_balanced();

        create function bank.refuse_change() returns trigger language plpgsql as $$
        begin
          raise exception '% is append-only', tg_table_name using errcode = '42501';
        end;
        $$;
        create trigger journal_entries_append_only before update or delete on bank.journal_entries
          for each row execute function bank.refuse_change();
        create trigger postings_append_only before update or delete on bank.postings
          for each row execute function bank.refuse_change();
      `.execute(db);
    },
  },
  {
    name: '0005_authorizations',
    async up(db: Kysely<unknown>) {
      // An authorization is keyed for idempotency by what the acquirer sends: field 41 (terminal),
      // field 11 (STAN) and field 7 (transmission date and time). A retransmission finds this row.
      await sql`
        create table bank.authorizations (
          id uuid primary key,
          kind text not null check (kind in ('preauth', 'purchase', 'refund')),
          terminal_id text not null check (terminal_id ~ '^[ -~]{8}$'),
          stan text not null check (stan ~ '^[0-9]{6}$'),
          transmitted_at timestamptz not null,
          request_hash bytea not null check (length(request_hash) = 32),
          merchant_id text not null check (merchant_id ~ '^[ -~]{15}$'),
          card_id uuid references bank.cards (id),
          pan_last4 text not null check (pan_last4 ~ '^[0-9]{4}$'),
          amount_minor bigint not null check (amount_minor > 0),
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          atc integer check (atc between 0 and 65535),
          response_code text not null check (response_code ~ '^[0-9A-Z]{2}$'),
          decline_reason text,
          authorization_code text check (authorization_code ~ '^[0-9A-Z]{6}$'),
          hold_id uuid,
          entry_id uuid references bank.journal_entries (id),
          original_authorization_id uuid references bank.authorizations (id),
          business_date text not null check (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          reversed_at timestamptz,
          reversal_entry_id uuid references bank.journal_entries (id),
          created_at timestamptz not null default now(),
          constraint authorizations_request_key unique (terminal_id, stan, transmitted_at),
          check ((response_code = '00') = (authorization_code is not null)),
          check ((response_code = '00') = (decline_reason is null)),
          check ((kind = 'refund') = (original_authorization_id is not null)),
          check (response_code = '00' or (hold_id is null and entry_id is null and reversed_at is null))
        );
        create index authorizations_card_day on bank.authorizations (card_id, business_date) where response_code = '00';
        create index authorizations_original on bank.authorizations (original_authorization_id) where original_authorization_id is not null;
        create table bank.reversals (
          terminal_id text not null,
          stan text not null,
          transmitted_at timestamptz not null,
          authorization_id uuid references bank.authorizations (id),
          created_at timestamptz not null default now(),
          primary key (terminal_id, stan, transmitted_at)
        );
        create table bank.holds (
          id uuid primary key,
          authorization_id uuid not null unique references bank.authorizations (id) deferrable initially deferred,
          account_id uuid not null,
          currency text not null,
          amount_minor bigint not null constraint holds_amount_positive check (amount_minor > 0),
          status text not null check (status in ('open', 'captured', 'released')),
          captured_minor bigint not null default 0,
          capture_entry_id uuid references bank.journal_entries (id),
          created_at timestamptz not null default now(),
          closed_at timestamptz,
          foreign key (account_id, currency) references bank.accounts (id, currency),
          check ((status = 'open') = (closed_at is null)),
          check ((status = 'captured') = (capture_entry_id is not null)),
          check ((status = 'captured') = (captured_minor > 0)),
          check (captured_minor <= amount_minor)
        );
        create index holds_open on bank.holds (account_id) where status = 'open';
        -- Deferred: a hold and an entry name their authorization, which is written after them.
        alter table bank.authorizations add constraint authorizations_hold foreign key (hold_id) references bank.holds (id);
        alter table bank.journal_entries add constraint journal_entries_authorization foreign key (authorization_id) references bank.authorizations (id) deferrable initially deferred;
      `.execute(db);
    },
  },
  {
    name: '0006_clearing',
    async up(db: Kysely<unknown>) {
      await sql`
        create table bank.clearing_batches (
          business_date text primary key check (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          entries_cleared integer not null check (entries_cleared >= 0),
          created_at timestamptz not null default now()
        );
        create table bank.entry_clearings (
          entry_id uuid primary key references bank.journal_entries (id),
          business_date text not null references bank.clearing_batches (business_date),
          clearing_entry_id uuid references bank.journal_entries (id)
        );
      `.execute(db);
    },
  },
  idempotencyMigration(BANK_SCHEMA),
  {
    // Card-not-present purchases from an online payment gateway (docs/bank.md "Card not present").
    name: '0007_card_not_present',
    async up(db: Kysely<unknown>) {
      await sql`
        alter table bank.terminals add column card_not_present boolean not null default false;
        alter table bank.authorizations add column channel text not null default 'chip' check (channel in ('chip', 'ecommerce'));
        alter table bank.authorizations add column cardholder_authentication text check (length(cardholder_authentication) between 1 and 64);
      `.execute(db);
    },
  },
  {
    // The daily limits read counters on the card row (kept by the authorization batches and
    // reversals under the account's lock) instead of summing the day's authorizations each time:
    // constant work per authorization however busy the card. The partial index only served that sum.
    name: '0008_card_day_counters',
    async up(db: Kysely<unknown>) {
      await sql`
        alter table bank.cards
          add column day_business_date text check (day_business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
          add column day_count integer not null default 0 check (day_count >= 0),
          add column day_total_minor bigint not null default 0 check (day_total_minor >= 0);
        update bank.cards as c set day_business_date = d.business_date, day_count = d.count, day_total_minor = d.total
          from (select distinct on (a.card_id) a.card_id, a.business_date, count(*) over w as count, sum(a.amount_minor) over w as total
                  from bank.authorizations as a
                 where a.card_id is not null and a.response_code = '00' and a.kind in ('preauth', 'purchase') and a.reversed_at is null
                window w as (partition by a.card_id, a.business_date)
                 order by a.card_id, a.business_date desc) as d
         where c.id = d.card_id;
        drop index bank.authorizations_card_day;
      `.execute(db);
    },
  },
];
