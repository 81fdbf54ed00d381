import { sql, type Generated, type Kysely } from 'kysely';
import { idempotencyMigration, type Migration } from '../infra/db/index.js';
import { deviceMigrations, deviceRequestNonceMigrations, pinUnblockApprovalMigrations, type DeviceTables } from './devices/schema.js';
import { fraudMigrations } from './fraud/schema.js';

/** The TSM's PostgreSQL schema. Table names are schema-qualified (src/infra/db/README.md). */
export const TSM_SCHEMA = 'tsm';

export type SecureElementState = 'active' | 'suspended' | 'terminated';
export type SecurityDomainRole = 'isd' | 'central' | 'mno' | 'sp' | 'third-party' | 'mandated-dap' | 'controlling-authority';
export type ServiceInstanceState = 'pre-personalized' | 'personalized' | 'active' | 'locked';
export type ConversationState = 'open' | 'ended';
export type ScriptExecutionState = 'queued' | 'running' | 'completed' | 'failed' | 'expired';
export type ScriptWrapping = 'tsm' | 'sp';
export type OperationKind = 'pre-personalization' | 'activation';
/** pending → running (leased) → completed | failed; pending past its expiry → failed (ERR_TSM_EXPIRED). */
export type OperationState = 'pending' | 'running' | 'completed' | 'failed';

/** The device tables (issue 5) live in ./devices/schema.ts. */
export interface TsmDatabase extends DeviceTables {
  'tsm.service_providers': {
    name: string;
    sd_number: number;
    created_at: Generated<Date>;
  };
  'tsm.mno_routes': {
    mno: string;
    ota_carrier: string;
  };
  'tsm.secure_elements': {
    cin: string;
    iin: string;
    msi: string;
    mno: string;
    profile: string;
    se_type: string;
    gp_version: string;
    javacard_version: string;
    certification_level: string;
    master_key_index: number;
    expires_at: Date;
    state: SecureElementState;
    created_at: Generated<Date>;
  };
  'tsm.security_domains': {
    cin: string;
    aid: string;
    role: SecurityDomainRole;
    sp_name: string | null;
    key_version: number | null;
    /** The keyset sealed by the key store; null once the TSM holds no keys for this domain. */
    keyset_sealed: Uint8Array | null;
    keys_handed_over: Generated<boolean>;
    updated_at: Generated<Date>;
  };
  'tsm.services': {
    service_id: string;
    version: string;
    sp_name: string;
    package_aid: string;
    module_aid: string;
    instance_aid: string;
    /** A Tessera load file to LOAD when the package is not preloaded; null when it is. */
    load_file: Uint8Array | null;
    install_parameters: string;
    created_at: Generated<Date>;
  };
  'tsm.service_instances': {
    cin: string;
    service_id: string;
    service_version: string;
    sp_name: string;
    instance_aid: string;
    sd_aid: string;
    state: ServiceInstanceState;
    prn: string | null;
    updated_at: Generated<Date>;
  };
  'tsm.conversations': {
    id: string;
    sp_name: string;
    cin: string;
    msi: string;
    service_id: string;
    service_version: string;
    service_qualifier: string;
    target_aid: string;
    script_format: string;
    script_bytes_max: number;
    requested_operation: string;
    ota_carrier: string;
    scripts_max: number;
    scripts_used: Generated<number>;
    state: ConversationState;
    end_status: string | null;
    created_at: Generated<Date>;
    expires_at: Date;
    ended_at: Date | null;
  };
  'tsm.script_executions': {
    id: string;
    conversation_id: string;
    sequence: number;
    security_domain: string;
    wrapping: ScriptWrapping;
    commands: string[];
    responses: string[] | null;
    failed_indexes: number[] | null;
    state: ScriptExecutionState;
    error_code: string | null;
    ota_carrier: string;
    created_at: Generated<Date>;
    expires_at: Date;
    completed_at: Date | null;
    lease_expires_at: Date | null;
  };
  'tsm.operations': {
    id: string;
    kind: OperationKind;
    sp_name: string;
    cin: string;
    request: unknown;
    state: OperationState;
    result: unknown;
    error_code: string | null;
    error_message: string | null;
    lease_expires_at: Date | null;
    created_at: Generated<Date>;
    expires_at: Date;
    completed_at: Date | null;
  };
  'tsm.audit_log': {
    id: Generated<bigint>;
    at: Generated<Date>;
    actor: string;
    action: string;
    cin: string | null;
    details: unknown;
  };
}

export const tsmMigrations: readonly Migration[] = [
  {
    name: '0001_registry',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.service_providers (
          name text primary key check (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
          sd_number integer not null unique check (sd_number between 1 and 65535),
          created_at timestamptz not null default now()
        );
        create table tsm.mno_routes (
          mno text primary key check (length(mno) between 1 and 64),
          ota_carrier text not null check (length(ota_carrier) between 1 and 64)
        );
        create table tsm.secure_elements (
          cin text primary key check (cin ~ '^[0-9A-F]{2,32}$'),
          iin text not null check (iin ~ '^[0-9A-F]{2,32}$'),
          msi text not null unique check (msi ~ '^[0-9]{5,15}$'),
          mno text not null references tsm.mno_routes (mno),
          profile text not null,
          se_type text not null check (se_type in ('embedded', 'uicc')),
          gp_version text not null,
          javacard_version text not null,
          certification_level text not null,
          master_key_index integer not null check (master_key_index between 0 and 255),
          expires_at timestamptz not null,
          state text not null check (state in ('active', 'suspended', 'terminated')),
          created_at timestamptz not null default now()
        );
        create table tsm.security_domains (
          cin text not null references tsm.secure_elements (cin),
          aid text not null check (aid ~ '^[0-9A-F]{10,32}$'),
          role text not null check (role in ('isd', 'central', 'mno', 'sp', 'third-party', 'mandated-dap', 'controlling-authority')),
          sp_name text references tsm.service_providers (name),
          key_version integer check (key_version between 1 and 127),
          keyset_sealed bytea,
          keys_handed_over boolean not null default false,
          updated_at timestamptz not null default now(),
          primary key (cin, aid),
          check ((role = 'sp') = (sp_name is not null)),
          check ((keyset_sealed is null) or (key_version is not null))
        );
        create unique index security_domains_sp on tsm.security_domains (cin, sp_name) where role = 'sp';
      `.execute(db);
    },
  },
  {
    name: '0002_services',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.services (
          service_id text not null check (service_id ~ '^[A-Za-z0-9._-]{1,64}$'),
          version text not null check (version ~ '^[0-9A-Za-z._-]{1,16}$'),
          sp_name text not null references tsm.service_providers (name),
          package_aid text not null check (package_aid ~ '^[0-9A-F]{10,32}$'),
          module_aid text not null check (module_aid ~ '^[0-9A-F]{10,32}$'),
          instance_aid text not null check (instance_aid ~ '^[0-9A-F]{10,32}$'),
          load_file bytea,
          install_parameters text not null default '' check (install_parameters ~ '^([0-9A-F]{2}){0,128}$'),
          created_at timestamptz not null default now(),
          primary key (service_id, version)
        );
        create table tsm.service_instances (
          cin text not null references tsm.secure_elements (cin),
          service_id text not null,
          service_version text not null,
          sp_name text not null references tsm.service_providers (name),
          instance_aid text not null,
          sd_aid text not null,
          state text not null check (state in ('pre-personalized', 'personalized', 'active', 'locked')),
          prn text,
          updated_at timestamptz not null default now(),
          primary key (cin, service_id),
          foreign key (service_id, service_version) references tsm.services (service_id, version),
          unique (cin, instance_aid)
        );
      `.execute(db);
    },
  },
  {
    name: '0003_conversations',
    async up(db: Kysely<unknown>) {
      await sql`
        create table tsm.conversations (
          id uuid primary key,
          sp_name text not null references tsm.service_providers (name),
          cin text not null references tsm.secure_elements (cin),
          msi text not null,
          service_id text not null,
          service_version text not null,
          service_qualifier text not null,
          target_aid text not null,
          script_format text not null,
          script_bytes_max integer not null check (script_bytes_max > 0),
          requested_operation text not null,
          ota_carrier text not null,
          scripts_max integer not null check (scripts_max > 0),
          scripts_used integer not null default 0 check (scripts_used >= 0 and scripts_used <= scripts_max),
          state text not null check (state in ('open', 'ended')),
          end_status text,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          ended_at timestamptz,
          check ((state = 'ended') = (ended_at is not null))
        );
        create index conversations_cin on tsm.conversations (cin);
        create table tsm.script_executions (
          id uuid primary key,
          conversation_id uuid not null references tsm.conversations (id),
          sequence integer not null,
          security_domain text not null,
          wrapping text not null check (wrapping in ('tsm', 'sp')),
          commands jsonb not null,
          responses jsonb,
          failed_indexes jsonb,
          state text not null check (state in ('queued', 'running', 'completed', 'failed', 'expired')),
          error_code text,
          ota_carrier text not null,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          completed_at timestamptz,
          unique (conversation_id, sequence)
        );
        create index script_executions_pending on tsm.script_executions (state, created_at) where state in ('queued', 'running');
      `.execute(db);
    },
  },
  {
    name: '0004_audit_log',
    async up(db: Kysely<unknown>) {
      // Append-only: a trigger refuses UPDATE and DELETE, so the log is evidence, not a scratchpad.
      await sql`
        create table tsm.audit_log (
          id bigint generated always as identity primary key,
          at timestamptz not null default now(),
          actor text not null,
          action text not null,
          cin text,
          details jsonb not null default '{}'::jsonb
        );
        create index audit_log_cin on tsm.audit_log (cin, id);
        create function tsm.audit_log_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'tsm.audit_log is append-only' using errcode = '42501';
        end;
        $$;
        create trigger audit_log_append_only before update or delete on tsm.audit_log
          for each row execute function tsm.audit_log_append_only();
      `.execute(db);
    },
  },
  idempotencyMigration(TSM_SCHEMA),
  {
    name: '0005_operations',
    async up(db: Kysely<unknown>) {
      // Card work is recorded first, run outside any transaction, then completed (CONVENTIONS:
      // no card call inside a transaction). A lease stops two instances running one operation.
      await sql`
        create table tsm.operations (
          id uuid primary key,
          kind text not null check (kind in ('pre-personalization', 'activation')),
          sp_name text not null references tsm.service_providers (name),
          cin text not null references tsm.secure_elements (cin),
          request jsonb not null,
          state text not null check (state in ('pending', 'running', 'completed', 'failed')),
          result jsonb,
          error_code text,
          error_message text,
          lease_expires_at timestamptz,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          completed_at timestamptz,
          check ((state = 'running') = (lease_expires_at is not null)),
          check ((state in ('completed', 'failed')) = (completed_at is not null))
        );
        create index operations_open on tsm.operations (state, cin) where state in ('pending', 'running');
        alter table tsm.script_executions add column lease_expires_at timestamptz;
      `.execute(db);
    },
  },
  ...deviceMigrations,
  ...fraudMigrations,
  ...deviceRequestNonceMigrations,
  ...pinUnblockApprovalMigrations,
];
