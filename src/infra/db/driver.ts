import {
  CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
} from 'kysely';
import type {
  DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler,
  QueryResult, TransactionSettings,
} from 'kysely';
import { TesseraError } from '../../lib/errors.js';
import { DatabaseErrorCode } from './errors.js';

/**
 * One Kysely driver for both backends. Kysely ships a PostgresDialect for `pg`, but one driver
 * over a small session interface gives PGlite and PostgreSQL the same transaction handling,
 * including the check that COMMIT really committed, which Kysely's own driver does not make.
 */

/** What a backend returns for one statement (or the last of several, over the simple protocol). */
export interface SessionResult {
  readonly rows: readonly unknown[];
  /** The command tag's verb: 'SELECT', 'INSERT', 'COMMIT', 'ROLLBACK', … */
  readonly command: string | undefined;
  readonly rowCount: number | undefined;
}

/** One database session, held exclusively by the Kysely connection that acquired it. */
export interface Session {
  /**
   * Runs SQL. With no parameters a backend uses the simple query protocol, which allows several
   * statements in one string (handy in migrations); with parameters, exactly one statement.
   */
  run(sql: string, parameters: readonly unknown[]): Promise<SessionResult>;
  /**
   * Starts a transaction with `statement` (START TRANSACTION …), when the backend does that better
   * than `run`: PGlite sends it with the transaction's first statement, in one call. The driver
   * then ends the transaction with `run('commit' | 'rollback')` as usual.
   */
  begin?(statement: string): Promise<void>;
}

export interface SessionLease {
  readonly session: Session;
  /** Whether a broken session can be thrown away (a pool can; PGlite has only the one). */
  readonly discardable: boolean;
  /**
   * Hands the session back. `broken` asks the backend to discard it: a failed ROLLBACK leaves a
   * session in an unknown transaction state, and closing it is what ends that transaction.
   */
  release(broken: boolean): void;
}

export interface SessionSource {
  acquire(): Promise<SessionLease>;
  destroy(): Promise<void>;
  /**
   * True when no two transactions ever overlap: the source has one session and lends it to one
   * transaction at a time (PGlite). Every history is then serial, so it is serializable whatever
   * the isolation level, and the driver starts transactions without SERIALIZABLE: PostgreSQL's
   * bookkeeping for it (predicate locks on everything read, conflict checks at commit) would cost
   * CPU on every statement and could never find a conflict.
   */
  readonly transactionsRunAlone?: boolean;
  /** An embedded database's use so far (PGlite: it runs on the caller's thread). */
  usage?(): EmbeddedDatabaseUsage;
}

/**
 * How much an embedded database (PGlite) has been used: the calls into it and the time the thread
 * spent inside them. PGlite runs on the event loop's thread, so this time is time that thread did
 * nothing else; with a pool of PostgreSQL connections the work is elsewhere and there is none.
 */
export interface EmbeddedDatabaseUsage {
  readonly calls: number;
  readonly busyMs: number;
}

/** Commands whose row count Kysely reports as `numAffectedRows`. */
const ROW_WRITING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class SessionConnection implements DatabaseConnection {
  readonly lease: SessionLease;
  broken = false;

  constructor(lease: SessionLease) {
    this.lease = lease;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.lease.session.run(compiledQuery.sql, compiledQuery.parameters);
    const rows = result.rows as R[];
    if (result.command !== undefined && ROW_WRITING_COMMANDS.has(result.command) && result.rowCount !== undefined) {
      return { rows, numAffectedRows: BigInt(result.rowCount) };
    }
    return { rows };
  }

  // Streaming needs a server-side cursor; materialising the whole result and slicing it would
  // hide exactly the memory use that streaming exists to avoid, so it is refused outright.
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the Tessera database driver; page with LIMIT and a key instead');
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function asSessionConnection(connection: DatabaseConnection): SessionConnection {
  if (!(connection instanceof SessionConnection)) throw new Error('connection does not belong to this driver');
  return connection;
}

/** `START TRANSACTION` with Kysely's settings; the values come from Kysely's closed lists. */
export function beginStatement(settings: TransactionSettings): string {
  let statement = 'start transaction';
  if (settings.isolationLevel !== undefined) statement += ` isolation level ${settings.isolationLevel}`;
  if (settings.accessMode !== undefined) statement += ` ${settings.accessMode}`;
  return statement;
}

export class SessionDriver implements Driver {
  readonly #source: SessionSource;

  constructor(source: SessionSource) {
    this.#source = source;
  }

  async init(): Promise<void> {
    // The source is ready when constructed: openDatabase awaits PGlite's start-up and pg connects lazily.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SessionConnection(await this.#source.acquire());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const { session } = asSessionConnection(connection).lease;
    const statement = beginStatement(this.#source.transactionsRunAlone === true ? { ...(settings.accessMode === undefined ? {} : { accessMode: settings.accessMode }) } : settings);
    if (session.begin === undefined) await session.run(statement, []);
    else await session.begin(statement);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const own = asSessionConnection(connection);
    const result = await own.lease.session.run('commit', []);
    // PostgreSQL answers COMMIT of a failed transaction with the tag ROLLBACK and no error, so a
    // caller that caught a database error inside the transaction would believe its writes landed.
    if (result.command === 'ROLLBACK') {
      throw new TesseraError(
        DatabaseErrorCode.transactionAborted,
        'the transaction had already failed and was rolled back; a database error inside it was caught and not rethrown',
        { httpStatus: 500 },
      );
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const own = asSessionConnection(connection);
    try {
      await own.lease.session.run('rollback', []);
    } catch (error) {
      // Kysely rethrows the callback's error after ROLLBACK, unless ROLLBACK itself throws. A
      // failing ROLLBACK (a dropped connection) should not hide the error that caused it, so a
      // pool session is discarded instead, which ends the transaction on the server. PGlite's
      // only session cannot be discarded, so there the failure is reported.
      own.broken = true;
      if (!own.lease.discardable) throw error;
    }
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(savepointName)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(savepointName)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(savepointName)}`));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const own = asSessionConnection(connection);
    own.lease.release(own.broken);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.#source.destroy();
  }
}

export class SessionDialect implements Dialect {
  readonly #source: SessionSource;

  constructor(source: SessionSource) {
    this.#source = source;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new SessionDriver(this.#source);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Dialect interface fixes this type.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
