import assert from 'node:assert/strict';
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

/**
 * Queries whose shape never changes, built and compiled by Kysely once. Building a query tree and
 * compiling it costs about as much CPU as PGlite takes to run a small statement, and only the values
 * change from one run to the next: here the builder runs once, with placeholders for the values,
 * the SQL text is kept, and each run puts its values where the placeholders went. The text is the
 * same every time, so the driver's prepared statement (pglite.ts) is reused as well.
 */

const PLACEHOLDER = Symbol('query template placeholder');

interface Placeholder {
  readonly [PLACEHOLDER]: string;
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && PLACEHOLDER in value;
}

/**
 * A placeholder is a value to Kysely, which passes values through as parameters. Anything that
 * looks inside it (JSON.stringify, a template string, arithmetic, a comparison, listing its keys as
 * `values(placeholder)` would) would fix the placeholder's outcome into every run, so it throws
 * while the template is compiled.
 */
function placeholder(name: string): Placeholder {
  const misuse = (): never => {
    throw new Error(`query template: the value ${name} is used in JavaScript while the query is built; use it only as a query value`);
  };
  return new Proxy({ [PLACEHOLDER]: name }, {
    get: (target, key) => {
      if (key === PLACEHOLDER) return name;
      if (key === 'toJSON' || key === 'toString' || key === 'valueOf' || key === Symbol.toPrimitive) return misuse;
      // Kysely asks values whether they are expressions (toOperationNode); a placeholder is not.
      return undefined;
    },
    has: (target, key) => key === PLACEHOLDER,
    ownKeys: misuse,
    set: misuse,
    defineProperty: misuse,
  });
}

/** Where each compiled parameter comes from: a value by name, or a constant the builder wrote. */
type ParameterSource = { readonly name: string } | { readonly constant: unknown };

interface Compiled {
  readonly sql: string;
  readonly sources: readonly ParameterSource[];
}

export interface QueryTemplate<V extends object, R, DB> {
  /** Runs the query with these values on `db` (a database or a transaction). */
  execute(db: Kysely<DB>, values: V): Promise<QueryResult<R>>;
}

/**
 * `build` gets the values as placeholders and may use each only as a value of the query (in a
 * comparison, a SET or VALUES entry, a sql`` parameter), never to decide anything: the query's
 * shape must be the same whatever the values (one template per shape). A value computed from
 * others (a JSON text, a date) is computed by the caller and passed as a value of its own.
 */
export function queryTemplate<V extends object, R, DB>(build: (db: Kysely<DB>, values: V) => Compilable<R>): QueryTemplate<V, R, DB> {
  let compiled: Compiled | undefined;

  function compile(db: Kysely<DB>): Compiled {
    const values = new Proxy({}, {
      get: (_target, name) => {
        assert.ok(typeof name === 'string', 'query template values are named by strings');
        return placeholder(name);
      },
    }) as V;
    const query = build(db, values).compile();
    const sources = query.parameters.map((parameter): ParameterSource => {
      if (isPlaceholder(parameter)) return { name: parameter[PLACEHOLDER] };
      // A constant object would be shared by every run; the builder's own constants are scalars.
      assert.ok(parameter === null || typeof parameter !== 'object', 'query template: an object constant in the query');
      return { constant: parameter };
    });
    return { sql: query.sql, sources };
  }

  return {
    execute(db, values) {
      compiled ??= compile(db);
      const named = values as Record<string, unknown>;
      const parameters = compiled.sources.map((source) => ('name' in source ? named[source.name] : source.constant));
      return db.executeQuery(CompiledQuery.raw(compiled.sql, parameters));
    },
  };
}
