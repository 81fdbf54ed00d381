import pg from 'pg';
import { TesseraError } from '../../lib/errors.js';
import type { Session, SessionLease, SessionResult, SessionSource } from './driver.js';
import { DatabaseErrorCode } from './errors.js';

/** PostgreSQL backend: a `pg` pool with its own type parsers. */

export interface PostgresSourceOptions {
  readonly databaseUrl: string;
  readonly poolConnectionsMax: number;
  /** How long a caller waits for a pooled connection before failing with ERR_DB_UNAVAILABLE. */
  readonly connectionWaitMsMax: number;
  /** Server-side limit on one statement. */
  readonly statementTimeoutMs: number;
  /** Server-side limit on a transaction left open and idle (a stuck caller holding locks). */
  readonly idleInTransactionTimeoutMs: number;
  readonly applicationName: string;
  /** Errors of idle pooled connections (server restart); pg drops the connection itself. */
  readonly onIdleConnectionError: (error: Error) => void;
}

/** Type OIDs from pg_type.dat. */
const TypeOid = { int8: 20, int8Array: 1016, bytea: 17 } as const;

/** pg's default parsers; pg-types' `TypeId` enum lists no array types, so the OID is a number here. */
const defaultTypeParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

/** PostgreSQL arrays have at most six dimensions (MAXDIM), which bounds this recursion. */
function mapArray(value: unknown, convert: (item: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => mapArray(item, convert));
  return typeof value === 'string' ? convert(value) : value;
}

function parseInt8Array(text: string): unknown {
  const parseTextArray = defaultTypeParser(TypeOid.int8Array, 'text') as (value: string) => unknown;
  return mapArray(parseTextArray(text), (item) => BigInt(item));
}

function parseBytea(text: string): Uint8Array {
  const parseBuffer = defaultTypeParser(TypeOid.bytea, 'text') as (value: string) => Buffer;
  // A plain Uint8Array, as PGlite returns, and a copy: small Buffers share Node's pool slab.
  return new Uint8Array(parseBuffer(text));
}

/**
 * Parsers for this pool only; `pg.types.setTypeParser` would change every pg user in the process.
 * int8 → bigint (money in minor units must not round above 2^53); bytea → Uint8Array;
 * timestamptz → Date is pg's default.
 */
const TYPE_PARSERS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === TypeOid.int8) return (text: string) => BigInt(text);
      if (oid === TypeOid.int8Array) return parseInt8Array;
      if (oid === TypeOid.bytea) return parseBytea;
    }
    return defaultTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

function unavailable(cause: unknown): TesseraError {
  return new TesseraError(DatabaseErrorCode.unavailable, 'could not get a connection to the database', { httpStatus: 503, cause });
}

class PostgresSession implements Session {
  readonly #client: pg.PoolClient;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async run(sql: string, parameters: readonly unknown[]): Promise<SessionResult> {
    // Without values pg uses the simple protocol, which allows several statements and then
    // returns one result per statement.
    type Row = Record<string, unknown>;
    const outcome: pg.QueryResult<Row> | pg.QueryResult<Row>[] = parameters.length === 0
      ? await this.#client.query<Row>(sql)
      : await this.#client.query<Row>(sql, [...parameters]);
    // Array.isArray narrows to any[]; the element type is restated.
    const result: pg.QueryResult<Row> | undefined = Array.isArray(outcome) ? (outcome as pg.QueryResult<Row>[]).at(-1) : outcome;
    if (result === undefined) return { rows: [], command: undefined, rowCount: undefined };
    return { rows: result.rows, command: result.command, rowCount: result.rowCount ?? undefined };
  }
}

export function createPostgresSource(options: PostgresSourceOptions): SessionSource {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolConnectionsMax,
    connectionTimeoutMillis: options.connectionWaitMsMax,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    application_name: options.applicationName,
    types: TYPE_PARSERS,
  });
  // Without a listener an idle connection's error (server restart) would crash the process.
  pool.on('error', options.onIdleConnectionError);
  let ended = false;
  return {
    async acquire(): Promise<SessionLease> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      return {
        session: new PostgresSession(client),
        discardable: true,
        // release(true) closes the connection instead of returning it to the pool.
        release: (broken: boolean) => client.release(broken),
      };
    },
    async destroy(): Promise<void> {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}
