import { sql, type Generated, type Kysely } from 'kysely';
import type { Migration } from '../../infra/db/index.js';

/** manufactured → registered (a device certificate issued; a later registration re-issues it). */
export type DeviceState = 'manufactured' | 'registered';

/**
 * The device tables of the `tsm` schema (issue 5): devices handed over by their maker, the
 * catalogue of TSM-signed App SE applications, what each device has installed, and the credential
 * packages waiting for devices. Counters are 16 upper-case hex digits (64-bit, fixed width), so
 * text order is numeric order and both PGlite and PostgreSQL return the same JavaScript type.
 */
export interface DeviceTables {
  'tsm.devices': {
    /** The Crypto SE's CIN, upper-case hex: the device's identity. */
    id: string;
    app_se_cin: string;
    /** Where the App SE's DAP-verifying domain is (it receives the catalogue's load files). */
    app_se_applications_domain_aid: string;
    /** The Crypto SE's on-card device key (uncompressed P-256 point, hex), read at manufacture. */
    device_public_key: string;
    state: DeviceState;
    registration_counter: string | null;
    credential_counter: string;
    certificate_serial: string | null;
    certificate_subject: string | null;
    certificate_der: Uint8Array | null;
    registered_at: Date | null;
    created_at: Generated<Date>;
  };
  'tsm.applications': {
    package_aid: string;
    version: string;
    name: string;
    module_aid: string;
    instance_aid: string;
    load_file: Uint8Array;
    /** DAP (GP 2.3.1 Annex C) over SHA-256 of the load file, by the TSM application-signing key. */
    dap_signature: Uint8Array;
    signing_key_id: string;
    /** Application-specific install parameters (the C9 value of INSTALL [for install]); empty for none. */
    install_parameters: Generated<Uint8Array>;
    created_at: Generated<Date>;
  };
  'tsm.device_applications': {
    device_id: string;
    package_aid: string;
    version: string;
    installed_at: Generated<Date>;
  };
  'tsm.credential_packages': {
    device_id: string;
    counter: string;
    sp_name: string;
    credential_slot: number;
    /** The sealed package (ECIES to the device key, TSM-signed): nothing readable without the Crypto SE. */
    package: Uint8Array;
    created_at: Generated<Date>;
  };
}

export const deviceMigrations: readonly Migration[] = [
  {
    name: '0006_devices',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.devices (
          id text primary key check (id ~ '^[0-9A-F]{2,32}$'),
          app_se_cin text not null unique check (app_se_cin ~ '^[0-9A-F]{2,32}$'),
          app_se_applications_domain_aid text not null check (app_se_applications_domain_aid ~ '^([0-9A-F]{2}){5,16}$'),
          device_public_key text not null unique check (device_public_key ~ '^04[0-9A-F]{128}$'),
          state text not null check (state in ('manufactured', 'registered')),
          registration_counter text check (registration_counter ~ '^[0-9A-F]{16}$'),
          credential_counter text not null check (credential_counter ~ '^[0-9A-F]{16}$'),
          certificate_serial text,
          certificate_subject text,
          certificate_der bytea,
          registered_at timestamptz,
          created_at timestamptz not null default now(),
          check ((state = 'registered') = (certificate_der is not null))
        );
        create table tsm.applications (
          package_aid text primary key check (package_aid ~ '^([0-9A-F]{2}){5,16}$'),
          version text not null,
          name text not null,
          module_aid text not null,
          instance_aid text not null unique,
          load_file bytea not null,
          dap_signature bytea not null,
          signing_key_id text not null,
          created_at timestamptz not null default now()
        );
        create table tsm.device_applications (
          device_id text not null references tsm.devices (id),
          package_aid text not null references tsm.applications (package_aid),
          version text not null,
          installed_at timestamptz not null default now(),
          primary key (device_id, package_aid)
        );
        create table tsm.credential_packages (
          device_id text not null references tsm.devices (id),
          counter text not null check (counter ~ '^[0-9A-F]{16}$'),
          sp_name text not null references tsm.service_providers (name),
          credential_slot integer not null check (credential_slot between 1 and 4),
          package bytea not null,
          created_at timestamptz not null default now(),
          primary key (device_id, counter)
        );
      `.execute(db);
    },
  },
  {
    name: '0007_application_install_parameters',
    async up(db) {
      await sql`
        alter table tsm.applications add column install_parameters bytea not null default ''::bytea
          check (octet_length(install_parameters) <= 127)
      `.execute(db);
    },
  },
];

/**
 * The nonces of signed device requests (verifyDeviceRequest.ts): one row per accepted request, kept
 * while a request with that nonce could still be inside the time window, then pruned.
 */
// A type alias, not an interface: Kysely's withTables<T>() needs T to have an implicit index signature.
export type DeviceRequestNonceTables = {
  'tsm.device_request_nonces': {
    device_id: string;
    /** 32 upper-case hex digits. */
    nonce: string;
    /** The TSM's clock when the request was accepted. */
    seen_at: Date;
  };
};

export const deviceRequestNonceMigrations: readonly Migration[] = [
  {
    name: '0009_device_request_nonces',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.device_request_nonces (
          device_id text not null references tsm.devices (id),
          nonce text not null check (nonce ~ '^[0-9A-F]{32}$'),
          seen_at timestamptz not null,
          primary key (device_id, nonce)
        );
        create index device_request_nonces_by_seen_at on tsm.device_request_nonces (seen_at);
      `.execute(db);
    },
  },
];

/**
 * PIN unblock approvals (pinUnblock.ts): an SP that serves the device approves one unblock; the
 * device redeems it once, within its validity, for the TSM's signature over its Crypto SE's
 * challenge. Rows are kept (used or expired) as the record of who approved which unblock.
 */
// A type alias, not an interface: Kysely's withTables<T>() needs T to have an implicit index signature.
export type PINUnblockApprovalTables = {
  'tsm.pin_unblock_approvals': {
    id: string;
    device_id: string;
    /** The SP that approved (it has deployed a credential to the device). */
    sp_name: string;
    /** The SP's own case reference (e.g. its call-centre ticket), or null. */
    reference: string | null;
    /** The TSM's clock. */
    created_at: Date;
    expires_at: Date;
    used_at: Date | null;
    /** The Crypto SE challenge the TSM signed when the device redeemed the approval, 32 upper-case hex digits. */
    challenge: string | null;
  };
};

export const pinUnblockApprovalMigrations: readonly Migration[] = [
  {
    name: '0010_pin_unblock_approvals',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.pin_unblock_approvals (
          id uuid primary key,
          device_id text not null references tsm.devices (id),
          sp_name text not null references tsm.service_providers (name),
          reference text check (reference ~ '^[0-9A-Za-z._:/-]{1,64}$'),
          created_at timestamptz not null,
          expires_at timestamptz not null,
          used_at timestamptz,
          challenge text check (challenge ~ '^[0-9A-F]{32}$'),
          check (expires_at > created_at),
          check ((used_at is null) = (challenge is null)),
          check (used_at is null or used_at < expires_at)
        );
        create index pin_unblock_approvals_unused on tsm.pin_unblock_approvals (device_id, expires_at) where used_at is null;
      `.execute(db);
    },
  },
];
