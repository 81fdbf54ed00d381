import assert from 'node:assert/strict';
import { parse, PGlite, protocol, types, type messages } from '@electric-sql/pglite';
import { concatBytes } from '../../lib/bytes.js';
import { TesseraError } from '../../lib/errors.js';
import type { Session, SessionLease, SessionResult, SessionSource } from './driver.js';
import { DatabaseErrorCode } from './errors.js';

/**
 * PGlite backend: PostgreSQL compiled to WebAssembly, in this process, with one session. Kysely
 * expects a pool, so the one session is lent to one Kysely connection at a time; the others
 * queue here. Without that, a query from elsewhere would run inside someone else's transaction.
 */

/** Callers queued for the session at most; beyond this the embedded database is overloaded. */
export const PGLITE_SESSION_WAITERS_MAX = 10_000;

export interface PGliteSourceOptions {
  /** Data directory on disk; undefined keeps the database in memory (tests). */
  readonly dataDir: string | undefined;
  /** How long a caller waits for the session before failing with ERR_DB_UNAVAILABLE. */
  readonly sessionWaitMsMax: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function unavailable(message: string): TesseraError {
  return new TesseraError(DatabaseErrorCode.unavailable, message, { httpStatus: 503 });
}

/** A FIFO lock: each release hands the session straight to the longest waiter. */
class SessionLock {
  #held = false;
  #waiters: Waiter[] = [];

  acquire(waitMsMax: number): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    if (this.#waiters.length >= PGLITE_SESSION_WAITERS_MAX) {
      return Promise.reject(unavailable(`more than ${PGLITE_SESSION_WAITERS_MAX} callers are waiting for the embedded database`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((other) => other !== waiter);
        // The usual cause is a query on `db` inside a transaction on the same database: it waits
        // for the session its own transaction holds.
        reject(unavailable(
          `waited ${waitMsMax} ms for the embedded database session; inside a transaction, query through the transaction, not the database`,
        ));
      }, waitMsMax);
      waiter.timer.unref();
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) {
      this.#held = false;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }

  rejectAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/**
 * PGlite attaches the query's parameter values to its errors; they can hold personal data or
 * secrets and errors reach logs, so they are removed before the error leaves this module.
 */
function withoutParameterValues(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    delete record['params'];
    delete record['queryOptions'];
  }
  return error;
}

/** Named prepared statements kept in the session; Kysely builds the same text for the same query shape. */
export const PGLITE_PREPARED_STATEMENTS_MAX = 500;

/** DDL changes what a prepared statement's result may look like: every prepared statement is dropped after one. */
const DDL = /^\s*(create|alter|drop|comment|truncate)\b/i;

type ParameterDescriptionMessage = messages.ParameterDescriptionMessage;

interface PreparedStatement {
  readonly name: string;
  readonly parameterTypes: readonly number[];
}

/**
 * PGlite's own `query` crosses into WebAssembly six times per statement (Parse, Describe, Bind,
 * Describe, Execute, Sync) and PostgreSQL parses and plans the text every time. Here each distinct
 * statement text is prepared once as a named statement (the server tells its parameter types), and
 * every later execution is one call with Bind/Describe/Execute/Sync: PostgreSQL keeps the parsed
 * statement and its plan cache, and re-plans by itself when a table it uses changes. Values are
 * serialized by PGlite's own serializers for those types: the server sees what `query` would have sent.
 */
class PGliteSession implements Session {
  readonly #pglite: PGlite;
  readonly #prepared = new Map<string, PreparedStatement>();
  #nextStatement = 0;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async run(sql: string, parameters: readonly unknown[]): Promise<SessionResult> {
    try {
      if (parameters.length === 0) {
        // Simple query protocol, as pg uses without parameters: several statements may run. One
        // protocol call, as for prepared statements (PGlite's `exec` makes several).
        const pglite = this.#pglite;
        const messages = await pglite.runExclusive(() => pglite.execProtocolStream(protocol.serialize.query(sql), { syncToFs: false }));
        if (!pglite.isInTransaction()) await pglite.syncToFs();
        if (DDL.test(sql)) await this.#forgetPrepared();
        const last = parse.parseResults(messages, pglite.parsers).at(-1);
        return { rows: last?.rows ?? [], command: last?.command, rowCount: last?.rowCount };
      }
      const statement = this.#prepared.get(sql) ?? await this.#prepare(sql);
      return await this.#runPrepared(statement, parameters);
    } catch (error) {
      throw withoutParameterValues(error);
    }
  }

  async #prepare(sql: string): Promise<PreparedStatement> {
    const pglite = this.#pglite;
    if (this.#prepared.size >= PGLITE_PREPARED_STATEMENTS_MAX) {
      // Drop the oldest (Map keeps insertion order): a bounded cache, not an LRU.
      const [oldestSql, oldest] = this.#prepared.entries().next().value as [string, PreparedStatement];
      this.#prepared.delete(oldestSql);
      await pglite.runExclusive(() => pglite.execProtocolStream(
        concatBytes(protocol.serialize.close({ type: 'S', name: oldest.name }), protocol.serialize.sync()), { syncToFs: false },
      ));
    }
    const name = `tessera_${(this.#nextStatement++).toString(36)}`;
    // Parse fails as a whole (syntax, unknown table, aborted transaction): then nothing is kept.
    const messages = await pglite.runExclusive(() => pglite.execProtocolStream(concatBytes(
      protocol.serialize.parse({ name, text: sql, types: [] }),
      protocol.serialize.describe({ type: 'S', name }),
      protocol.serialize.sync(),
    ), { syncToFs: false }));
    const description = messages.find((message): message is ParameterDescriptionMessage => message.name === 'parameterDescription');
    const statement: PreparedStatement = { name, parameterTypes: description?.dataTypeIDs ?? [] };
    this.#prepared.set(sql, statement);
    return statement;
  }

  async #forgetPrepared(): Promise<void> {
    if (this.#prepared.size === 0) return;
    this.#prepared.clear();
    await this.#pglite.exec('deallocate all');
  }

  async #runPrepared(statement: PreparedStatement, parameters: readonly unknown[]): Promise<SessionResult> {
    const { parameterTypes } = statement;
    assert.equal(parameterTypes.length, parameters.length, 'the statement takes as many parameters as were given');
    const pglite = this.#pglite;
    const values = parameters.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = pglite.serializers[parameterTypes[index] ?? 0];
      if (serializer !== undefined) return serializer(value);
      // PGlite has a serializer for every built-in type; anything else goes as text.
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value.toString();
      return JSON.stringify(value);
    });
    const message = concatBytes(
      protocol.serialize.bind({ statement: statement.name, values }),
      protocol.serialize.describe({ type: 'P' }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    );
    const messages = await pglite.runExclusive(() => pglite.execProtocolStream(message, { syncToFs: false }));
    // The Sync above ends the exchange even when a message failed, so the session is ready again.
    if (!pglite.isInTransaction()) await pglite.syncToFs();
    const [result] = parse.parseResults(messages, pglite.parsers);
    return { rows: result?.rows ?? [], command: result?.command, rowCount: result?.rowCount };
  }
}

export async function createPGliteSource(options: PGliteSourceOptions): Promise<SessionSource> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    // int8 as bigint: money is bigint minor units and must not round above 2^53. PGlite applies
    // the element parser to int8[] as well. timestamptz → Date and bytea → Uint8Array are PGlite's defaults.
    parsers: { [types.INT8]: (value: string) => BigInt(value) },
  });
  const session = new PGliteSession(pglite);
  const lock = new SessionLock();
  let closed = false;
  return {
    async acquire(): Promise<SessionLease> {
      if (closed) throw unavailable('the embedded database is closed');
      await lock.acquire(options.sessionWaitMsMax);
      let released = false;
      return {
        session,
        discardable: false,
        release: () => {
          // A second release would hand the session to a waiter while its holder still uses it.
          assert.equal(released, false, 'the embedded database session was released twice');
          released = true;
          lock.release();
        },
      };
    },
    async destroy(): Promise<void> {
      if (closed) return;
      closed = true;
      lock.rejectAll(unavailable('the embedded database is closing'));
      await pglite.close();
    },
  };
}
