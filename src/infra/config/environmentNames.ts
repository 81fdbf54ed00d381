import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';

/**
 * The naming rule from a config path to an environment variable: the prefix, then each property
 * name of the path in upper snake case, joined by `_`.
 *
 *   prefix TESSERA_GATEWAY, path port             → TESSERA_GATEWAY_PORT
 *   prefix TESSERA_GATEWAY, path http.bodyLimit   → TESSERA_GATEWAY_HTTP_BODY_LIMIT
 *   prefix TESSERA_TSM,     path scp03.keyVersion → TESSERA_TSM_SCP03_KEY_VERSION
 *
 * A few settings also answer to the unprefixed name every tool already uses; the prefixed name
 * wins when both are set, because it is the more specific one.
 */
export const WELL_KNOWN_ENVIRONMENT_NAMES: Readonly<Record<string, string>> = {
  databaseUrl: 'DATABASE_URL',
};

/** Deepest config nesting mapped to environment variables; configs are shallow by design. */
export const CONFIG_DEPTH_MAX = 8;

export interface ConfigLeaf {
  /** Property names from the root, e.g. ['http', 'port']. */
  readonly path: readonly string[];
  readonly schema: TSchema;
  /** Environment variables read for this leaf, highest precedence first. */
  readonly environmentNames: readonly string[];
}

/** `databaseUrl` → `DATABASE_URL`, `SCP03Keys` → `SCP03_KEYS`, `httpPort` → `HTTP_PORT`. */
export function toUpperSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

export function environmentName(prefix: string, path: readonly string[]): string {
  return [prefix, ...path.map(toUpperSnakeCase)].join('_');
}

interface SchemaWithProperties {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, TSchema>>;
}

function hasProperties(schema: TSchema): schema is TSchema & SchemaWithProperties {
  const candidate = schema as Partial<SchemaWithProperties>;
  return candidate.type === 'object' && typeof candidate.properties === 'object' && candidate.properties !== null;
}

/**
 * Every setting an environment variable can supply: the properties of nested objects are walked,
 * anything else (a string, a number, a union, an array) is one leaf. Two paths that map to the same
 * variable name (`httpPort` and `http.port`) are a mistake in the schema, caught here.
 */
export function collectConfigLeaves(schema: TSchema, prefix: string): ConfigLeaf[] {
  const leaves: ConfigLeaf[] = [];
  const pending: Array<{ schema: TSchema; path: readonly string[] }> = [{ schema, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (hasProperties(next.schema)) {
      assert.ok(next.path.length < CONFIG_DEPTH_MAX, `config schema nests deeper than ${CONFIG_DEPTH_MAX} levels`);
      for (const [name, child] of Object.entries(next.schema.properties)) pending.push({ schema: child, path: [...next.path, name] });
      continue;
    }
    const key = next.path.join('.');
    const wellKnown = Object.hasOwn(WELL_KNOWN_ENVIRONMENT_NAMES, key) ? WELL_KNOWN_ENVIRONMENT_NAMES[key] : undefined;
    const prefixed = environmentName(prefix, next.path);
    leaves.push({ path: next.path, schema: next.schema, environmentNames: wellKnown === undefined ? [prefixed] : [prefixed, wellKnown] });
  }
  const owners = new Map<string, string>();
  for (const leaf of leaves) {
    const name = leaf.environmentNames[0];
    assert.ok(name !== undefined);
    const other = owners.get(name);
    assert.ok(other === undefined, `config paths ${other} and ${leaf.path.join('.')} both map to ${name}`);
    owners.set(name, leaf.path.join('.'));
  }
  return leaves.sort((left, right) => left.path.join('.').localeCompare(right.path.join('.')));
}
