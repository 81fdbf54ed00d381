import assert from 'node:assert/strict';
import { messages, parse, PGlite, protocol, types } from '@electric-sql/pglite';
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
/** What the driver sends to end a transaction (driver.ts). */
const TRANSACTION_END = /^\s*(commit|rollback)\s*$/i;

type ParameterDescriptionMessage = messages.ParameterDescriptionMessage;
type RowDescriptionMessage = messages.RowDescriptionMessage;

/** A result column of a prepared statement: its name and the parser of its type (none: the text as it is). */
interface ResultColumn {
  readonly name: string;
  readonly dataTypeID: number;
  readonly parse: ((text: string, dataTypeID: number) => unknown) | undefined;
}

interface PreparedStatement {
  readonly name: string;
  readonly parameterTypes: readonly number[];
  /**
   * The result's columns, as the server described them when the statement was prepared. They
   * cannot change while the statement exists (PostgreSQL refuses to run a prepared statement whose
   * result type a schema change altered, and DDL here drops every prepared statement), so each
   * execution skips Describe and the parsing of the same description.
   */
  readonly columns: readonly ResultColumn[];
}

/** Frontend messages that never change (PostgreSQL protocol §55.7). */
const EXECUTE_MESSAGE = protocol.serialize.execute({});
const SYNC_MESSAGE = protocol.serialize.sync();
/** Bind's fixed bytes besides the statement name and the values: type, length, empty portal name, the name's terminator, three counts. */
const BIND_FIXED_BYTES = 1 + 4 + 1 + 1 + 2 + 2 + 2;
const NULL_LENGTH = -1;

/**
 * Bind (PostgreSQL protocol §55.7) of the unnamed portal to a named statement: every value in text
 * format (one format code, 0, for all), every result column in text. Built in one buffer sized up
 * front: PGlite's general serializer grows a buffer value by value, which costs more than the
 * statement itself for the small ones.
 */
function bindMessage(statementName: string, values: readonly (string | null)[]): Uint8Array {
  let length = BIND_FIXED_BYTES - 1 + Buffer.byteLength(statementName, 'utf8') + 2;
  for (const value of values) length += 4 + (value === null ? 0 : Buffer.byteLength(value, 'utf8'));
  const message = Buffer.allocUnsafe(1 + length);
  let offset = message.writeUInt8(0x42, 0); // 'B'
  offset = message.writeInt32BE(length, offset);
  offset = message.writeUInt8(0, offset); // the unnamed portal
  offset += message.write(statementName, offset, 'utf8');
  offset = message.writeUInt8(0, offset);
  offset = message.writeInt16BE(1, offset); // one parameter format code for all: text
  offset = message.writeInt16BE(0, offset);
  offset = message.writeInt16BE(values.length, offset);
  for (const value of values) {
    if (value === null) {
      offset = message.writeInt32BE(NULL_LENGTH, offset);
      continue;
    }
    const valueBytes = message.write(value, offset + 4, 'utf8');
    offset = message.writeInt32BE(valueBytes, offset) + valueBytes;
  }
  offset = message.writeInt16BE(0, offset); // no result format codes: all text
  assert.equal(offset, message.length, 'the Bind message is filled exactly');
  return message;
}

/** The verb and row count of a command tag ("INSERT 0 1", "UPDATE 2", "SELECT 3"), as PGlite's own parser reads them. */
function commandTag(text: string): { command: string | undefined; rowCount: number | undefined } {
  const words = text.split(' ');
  const rowCount = Number.parseInt(words.at(-1) ?? '', 10);
  return { command: words[0], rowCount: Number.isNaN(rowCount) ? undefined : rowCount };
}

/**
 * PGlite's own `query` crosses into WebAssembly six times per statement (Parse, Describe, Bind,
 * Describe, Execute, Sync) and PostgreSQL parses and plans the text every time. Here each distinct
 * statement text is prepared once as a named statement (the server tells its parameter types and
 * result columns), and every later execution is one call with Bind/Execute/Sync: PostgreSQL keeps the parsed
 * statement and its plan cache, and re-plans by itself when a table it uses changes. Values are
 * serialized by PGlite's own serializers for those types: the server sees what `query` would have sent.
 */
class PGliteSession implements Session {
  readonly #pglite: PGlite;
  readonly #prepared = new Map<string, PreparedStatement>();
  #nextStatement = 0;
  /** Calls into PGlite and the milliseconds spent inside them (EmbeddedDatabaseUsage). */
  calls = 0;
  busyMs = 0;
  /**
   * The START TRANSACTION of a transaction that has run no statement yet. It goes to PGlite in one
   * call with the transaction's first statement (a call into PGlite costs about as much as running
   * BEGIN itself); a transaction that ends before any statement never starts on the server.
   */
  #pendingBegin: string | undefined;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  begin(statement: string): Promise<void> {
    assert.equal(this.#pendingBegin, undefined, 'a transaction is being started already');
    assert.equal(this.#pglite.isInTransaction(), false, 'transactions do not nest');
    this.#pendingBegin = statement;
    return Promise.resolve();
  }

  /** A lease ends: a transaction begun and neither committed nor rolled back never reached the server. */
  released(): void {
    this.#pendingBegin = undefined;
  }

  async run(sql: string, parameters: readonly unknown[]): Promise<SessionResult> {
    const begin = this.#pendingBegin;
    if (begin !== undefined && parameters.length === 0 && TRANSACTION_END.test(sql)) {
      // Nothing ran since BEGIN, so there is nothing to commit or roll back.
      this.#pendingBegin = undefined;
      return { rows: [], command: sql.trim().toUpperCase(), rowCount: undefined };
    }
    try {
      if (parameters.length === 0 && begin === undefined && TRANSACTION_END.test(sql)) {
        // COMMIT or ROLLBACK: nothing to read but the outcome.
        return readAnswer(await this.#exchangeRaw(protocol.serialize.query(sql)), []);
      }
      if (parameters.length === 0) {
        // Simple query protocol, as pg uses without parameters: several statements may run. One
        // protocol call, as for prepared statements (PGlite's `exec` makes several).
        const pglite = this.#pglite;
        this.#pendingBegin = undefined;
        const query = begin === undefined ? protocol.serialize.query(sql) : concatBytes(protocol.serialize.query(begin), protocol.serialize.query(sql));
        const messages = await pglite.runExclusive(() => this.#timed(() => pglite.execProtocolStream(query, { syncToFs: false })));
        if (!pglite.isInTransaction()) await pglite.syncToFs();
        if (DDL.test(sql)) await this.#forgetPrepared();
        const last = parse.parseResults(messages, pglite.parsers).at(-1);
        return { rows: last?.rows ?? [], command: last?.command, rowCount: last?.rowCount };
      }
      const statement = this.#prepared.get(sql) ?? await this.#prepare(sql);
      // Prepared before the transaction starts: a failed Parse leaves the BEGIN pending, as if nothing ran.
      const beginStatement = begin === undefined ? undefined : this.#prepared.get(begin) ?? await this.#prepare(begin);
      this.#pendingBegin = undefined;
      return await this.#runPrepared(statement, parameters, beginStatement);
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
        concatBytes(protocol.serialize.close({ type: 'S', name: oldest.name }), SYNC_MESSAGE), { syncToFs: false },
      ));
    }
    const name = `tessera_${(this.#nextStatement++).toString(36)}`;
    // Parse fails as a whole (syntax, unknown table, aborted transaction): then nothing is kept.
    const messages = await pglite.runExclusive(() => this.#timed(() => pglite.execProtocolStream(concatBytes(
      protocol.serialize.parse({ name, text: sql, types: [] }),
      protocol.serialize.describe({ type: 'S', name }),
      SYNC_MESSAGE,
    ), { syncToFs: false })));
    const parameters = messages.find((message): message is ParameterDescriptionMessage => message.name === 'parameterDescription');
    // A statement that returns no rows is described by NoData instead.
    const rows = messages.find((message): message is RowDescriptionMessage => message.name === 'rowDescription');
    const columns = (rows?.fields ?? []).map(({ name: column, dataTypeID }): ResultColumn => ({ name: column, dataTypeID, parse: pglite.parsers[dataTypeID] }));
    const statement: PreparedStatement = { name, parameterTypes: parameters?.dataTypeIDs ?? [], columns };
    this.#prepared.set(sql, statement);
    return statement;
  }

  /**
   * Runs a call into PGlite, counting it and the time until it returns: PGlite's exchanges run
   * synchronously inside (without syncToFs the promise is already settled), so that is their cost.
   */
  #timed<T>(call: () => T): T {
    const started = performance.now();
    try {
      return call();
    } finally {
      this.calls++;
      this.busyMs += performance.now() - started;
    }
  }

  async #forgetPrepared(): Promise<void> {
    if (this.#prepared.size === 0) return;
    this.#prepared.clear();
    await this.#pglite.exec('deallocate all');
  }

  async #runPrepared(statement: PreparedStatement, parameters: readonly unknown[], begin: PreparedStatement | undefined): Promise<SessionResult> {
    const { parameterTypes } = statement;
    assert.equal(parameterTypes.length, parameters.length, 'the statement takes as many parameters as were given');
    const pglite = this.#pglite;
    const values = parameters.map((value, index): string | null => {
      if (value === null || value === undefined) return null;
      const serializer = pglite.serializers[parameterTypes[index] ?? 0];
      if (serializer !== undefined) return serializer(value);
      // PGlite has a serializer for every built-in type; anything else goes as text.
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value.toString();
      return JSON.stringify(value);
    });
    const message = concatBytes(
      // BEGIN first, in the same exchange: if the statement fails, the transaction has begun and
      // is aborted, as if they had been sent one after the other.
      ...(begin === undefined ? [] : [bindMessage(begin.name, []), EXECUTE_MESSAGE]),
      bindMessage(statement.name, values),
      EXECUTE_MESSAGE,
      SYNC_MESSAGE,
    );
    // The Sync above ends the exchange even when a message failed, so the session is ready again.
    return readAnswer(await this.#exchangeRaw(message), statement.columns);
  }

  /**
   * One exchange with the backend, its answer as bytes. PGlite's `execProtocolRaw` also parses
   * every backend message into objects (for its own error, notice and notification handling),
   * which costs more than the small statements themselves; the stream variant hands over the
   * bytes as they are, copied here because they are views of the WebAssembly memory.
   */
  async #exchangeRaw(message: Uint8Array): Promise<Buffer> {
    const pglite = this.#pglite;
    const chunks: Buffer[] = [];
    // Without PGlite's query mutex: the exchange runs synchronously inside, and the session lock
    // already lends PGlite to one caller at a time.
    await this.#timed(() => pglite.execProtocolRawStream(message, { syncToFs: false, onRawData: (data) => { chunks.push(Buffer.from(data)); } }));
    if (!pglite.isInTransaction()) await pglite.syncToFs();
    return chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks);
  }
}

/** Backend message types the fast path reads (PostgreSQL protocol §55.7); the others carry nothing it needs. */
const MESSAGE_DATA_ROW = 0x44; // 'D'
const MESSAGE_COMMAND_COMPLETE = 0x43; // 'C'
const MESSAGE_ERROR_RESPONSE = 0x45; // 'E'
const MESSAGE_HEADER_BYTES = 5;

/**
 * The rows and command tag of a prepared statement's run, from the backend's bytes: DataRow in text
 * format, parsed with the statement's columns; the last CommandComplete (BEGIN's, when pipelined,
 * comes first). An ErrorResponse is read by PGlite's own parser, so the error thrown is the
 * DatabaseError PGlite would have thrown (the first one, as PGlite reports).
 */
function readAnswer(answer: Uint8Array, columns: readonly ResultColumn[]): SessionResult {
  const bytes = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
  const rows: Record<string, unknown>[] = [];
  let tag: string | undefined;
  for (let offset = 0; offset < bytes.length;) {
    const type = bytes[offset];
    const end = offset + 1 + bytes.readInt32BE(offset + 1);
    assert.ok(end <= bytes.length, 'a backend message lies within the answer');
    if (type === MESSAGE_ERROR_RESPONSE) throw databaseErrorOf(answer);
    if (type === MESSAGE_DATA_ROW) rows.push(readDataRow(bytes, offset + MESSAGE_HEADER_BYTES, end, columns));
    else if (type === MESSAGE_COMMAND_COMPLETE) tag = bytes.toString('utf8', offset + MESSAGE_HEADER_BYTES, end - 1); // without its terminator
    offset = end;
  }
  const { command, rowCount } = tag === undefined ? { command: undefined, rowCount: undefined } : commandTag(tag);
  return { rows, command, rowCount };
}

function readDataRow(bytes: Buffer, start: number, end: number, columns: readonly ResultColumn[]): Record<string, unknown> {
  assert.equal(bytes.readInt16BE(start), columns.length, 'a data row has the described columns');
  const row: Record<string, unknown> = {};
  let offset = start + 2;
  for (const column of columns) {
    const length = bytes.readInt32BE(offset);
    offset += 4;
    if (length < 0) {
      row[column.name] = null;
      continue;
    }
    const text = bytes.toString('utf8', offset, offset + length);
    offset += length;
    row[column.name] = column.parse === undefined ? text : column.parse(text, column.dataTypeID);
  }
  assert.equal(offset, end, 'a data row ends where its length says');
  return row;
}

function databaseErrorOf(answer: Uint8Array): Error {
  let error: Error | undefined;
  new protocol.Parser().parse(answer, (message) => {
    if (error === undefined && message instanceof messages.DatabaseError) error = message;
  });
  assert.ok(error !== undefined, 'an ErrorResponse parses as a DatabaseError');
  return error;
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
    // The one session is lent to one Kysely connection at a time, for a whole transaction.
    transactionsRunAlone: true,
    usage: () => ({ calls: session.calls, busyMs: session.busyMs }),
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
          session.released();
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
