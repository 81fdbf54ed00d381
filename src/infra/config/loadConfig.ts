import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Static, TObject, TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { TesseraError } from '../../lib/errors.js';
import { isSecretFieldName, maskSensitiveText } from '../log/index.js';
import { describeValidationErrors, toJSONPointer } from './describeValidationErrors.js';
import { collectConfigLeaves } from './environmentNames.js';
import { ConfigErrorCode } from './errors.js';

/** Largest config file read: a config is a page of settings, not a data set. */
export const CONFIG_FILE_BYTES_MAX = 1024 * 1024;
/**
 * Raw TypeBox errors gathered when a config is invalid. TypeBox stops at a global `maxErrors`
 * (8 by default, a guard for request validation), and one bad union value alone yields one error
 * per branch, so a config with a few mistakes would be reported only in part.
 */
export const CONFIG_VALIDATION_ERRORS_MAX = 256;
/** Received values quoted in an error message are cut to this length. */
export const CONFIG_RECEIVED_CHARACTERS_MAX = 64;
export const CONFIG_ENVIRONMENT_PREFIX_DEFAULT = 'TESSERA';

/** Every property optional, all the way down; arrays are replaced whole, never merged. */
export type DeepPartial<Value> = Value extends readonly unknown[]
  ? Value
  : Value extends object
    ? { [Key in keyof Value]?: DeepPartial<Value[Key]> }
    : Value;

export interface LoadConfigOptions<Settings> {
  /** The environment to read. Only the entry point touches `process.env`; it passes it here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prefix of environment variable names, e.g. `TESSERA_GATEWAY` (see environmentNames.ts). */
  readonly envPrefix?: string;
  /** Path of a JSON file holding an object of settings. */
  readonly file?: string;
  /** Values that win over everything else: command-line flags, or a test pinning a setting. */
  readonly overrides?: DeepPartial<Settings>;
}

export interface ConfigIssue {
  /** JSON Pointer of the setting, e.g. `/http/port`. */
  readonly path: string;
  readonly message: string;
  /** Where the bad value came from, e.g. `environment variable TESSERA_GATEWAY_PORT`. */
  readonly source?: string;
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Assignment would turn an own `__proto__` key (JSON.parse creates them) into a prototype. */
function setOwn(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep merge of plain objects into `target`; anything else from `source` replaces, as a copy. */
function mergeInto(target: PlainObject, source: PlainObject): void {
  const pending = [{ target, source }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [key, value] of Object.entries(next.source)) {
      if (isPlainObject(value)) {
        const existing = Object.hasOwn(next.target, key) ? next.target[key] : undefined;
        const child = isPlainObject(existing) ? existing : {};
        setOwn(next.target, key, child);
        pending.push({ target: child, source: value });
      } else {
        setOwn(next.target, key, structuredClone(value));
      }
    }
  }
}

function setAtPath(target: PlainObject, path: readonly string[], value: unknown): void {
  let cursor = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      setOwn(cursor, key, value);
      return;
    }
    const existing = Object.hasOwn(cursor, key) ? cursor[key] : undefined;
    const child = isPlainObject(existing) ? existing : {};
    setOwn(cursor, key, child);
    cursor = child;
  }
}

function getAtPointer(root: unknown, pointer: string): unknown {
  let cursor = root;
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isPlainObject(cursor) || !Object.hasOwn(cursor, key)) return undefined;
    cursor = cursor[key];
  }
  return cursor;
}

/** Records, for every leaf of `value`, which layer supplied it; later layers overwrite. */
function recordSources(sources: Map<string, string>, value: PlainObject, label: string): void {
  const pending: Array<{ value: PlainObject; path: readonly string[] }> = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [key, child] of Object.entries(next.value)) {
      const path = [...next.path, key];
      if (isPlainObject(child)) pending.push({ value: child, path });
      else sources.set(toJSONPointer(path), label);
    }
  }
}

/** The layer that supplied the value at `pointer`, or at its nearest parent. */
function findSource(sources: ReadonlyMap<string, string>, pointer: string): string | undefined {
  for (let candidate = pointer; ; candidate = candidate.slice(0, candidate.lastIndexOf('/'))) {
    const source = sources.get(candidate);
    if (source !== undefined || candidate === '') return source;
  }
}

function readConfigFile(path: string): PlainObject {
  let text: string;
  try {
    // Size is checked on the open descriptor, so it is the size of the file that is then read.
    const descriptor = openSync(path, 'r');
    try {
      const bytes = fstatSync(descriptor).size;
      if (bytes > CONFIG_FILE_BYTES_MAX) {
        throw new TesseraError(ConfigErrorCode.fileUnreadable, `config file ${path} is ${bytes} bytes; the limit is ${CONFIG_FILE_BYTES_MAX}`);
      }
      text = readFileSync(descriptor, 'utf8');
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError(ConfigErrorCode.fileUnreadable, `config file ${path} cannot be read`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No `cause`: JSON.parse's message quotes the text around the fault, and a config file holds secrets.
    throw new TesseraError(ConfigErrorCode.fileUnreadable, `config file ${path} is not valid JSON`);
  }
  if (!isPlainObject(parsed)) {
    throw new TesseraError(ConfigErrorCode.fileUnreadable, `config file ${path} must hold a JSON object`);
  }
  return parsed;
}

const DECIMAL_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false };

/**
 * Environment variables are strings; the schema says what each should be. The readings below are
 * tried in order and the first the leaf's schema accepts wins, so `8080` is a number for a port, a
 * string for a label, and `true` a boolean only where a boolean is expected. Nothing fuzzy (no
 * trimming, no `yes`): when no reading fits, validation names the setting.
 */
function parseEnvironmentValue(schema: TSchema, raw: string): unknown {
  const readings: unknown[] = [raw];
  if (DECIMAL_NUMBER.test(raw)) readings.push(Number(raw));
  const word = raw.toLowerCase();
  if (Object.hasOwn(BOOLEAN_WORDS, word)) readings.push(BOOLEAN_WORDS[word]);
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      readings.push(JSON.parse(raw));
    } catch {
      // Not JSON: the raw string stays the only reading and fails validation with a clear path.
    }
  }
  const valid = readings.find((reading) => Value.Check(schema, reading));
  if (valid !== undefined) return valid;
  // None is valid: keep the first of the right type, so `0` for a port with a minimum of 1 is
  // reported as "must be >= 1", not as "must be integer".
  const rightType = readings.find((reading) => !Value.Errors(schema, reading).some((error) => error.keyword === 'type' && error.instancePath === ''));
  return rightType ?? raw;
}

/**
 * Value.Errors under a raised TypeBox error limit. The setting is process-wide, so it is restored
 * before returning; nothing else can run in between because this is synchronous.
 */
function collectErrors(schema: TSchema, value: unknown): ReturnType<typeof Value.Errors> {
  const previousMaximum = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: CONFIG_VALIDATION_ERRORS_MAX });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: previousMaximum });
  }
}

/** Settings whose values are never quoted back: secrets by name, and URLs, which carry credentials. */
function isSecretPath(pointer: string): boolean {
  return pointer.split('/').some((segment) => isSecretFieldName(segment) || /(?:url|uri|dsn)$/i.test(segment));
}

function describeReceived(pointer: string, value: unknown): string {
  if (isSecretPath(pointer)) return 'value hidden';
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return '';
  const text = maskSensitiveText(JSON.stringify(value));
  return `received ${text.length > CONFIG_RECEIVED_CHARACTERS_MAX ? `${text.slice(0, CONFIG_RECEIVED_CHARACTERS_MAX)}…` : text}`;
}

/**
 * Builds a service's settings from, in rising precedence: the schema's defaults, a JSON file,
 * environment variables (named by the rule in environmentNames.ts) and explicit overrides. The
 * result is validated against `schema`; any problem throws ERR_CONFIG_INVALID naming every bad
 * setting and where its value came from, never quoting a secret. Reads nothing but its arguments
 * (and the file they name).
 */
export function loadConfig<Schema extends TObject>(schema: Schema, options: LoadConfigOptions<Static<Schema>>): Static<Schema> {
  const prefix = options.envPrefix ?? CONFIG_ENVIRONMENT_PREFIX_DEFAULT;
  assert.match(prefix, /^[A-Z][A-Z0-9_]*$/, 'envPrefix must be upper snake case');
  const merged: PlainObject = {};
  const sources = new Map<string, string>();

  if (options.file !== undefined) {
    const fromFile = readConfigFile(options.file);
    mergeInto(merged, fromFile);
    recordSources(sources, fromFile, `file ${options.file}`);
  }
  for (const leaf of collectConfigLeaves(schema, prefix)) {
    const name = leaf.environmentNames.find((candidate) => (options.env[candidate] ?? '') !== '');
    // An empty variable counts as unset: container tooling passes `NAME=` for "not given".
    const raw = name === undefined ? undefined : options.env[name];
    if (name === undefined || raw === undefined) continue;
    setAtPath(merged, leaf.path, parseEnvironmentValue(leaf.schema, raw));
    sources.set(toJSONPointer(leaf.path), `environment variable ${name}`);
  }
  if (options.overrides !== undefined) {
    assert.ok(isPlainObject(options.overrides), 'overrides must be a plain object');
    mergeInto(merged, options.overrides);
    recordSources(sources, options.overrides, 'override');
  }

  const settings = Value.Default(schema, merged);
  if (Value.Check(schema, settings)) return settings;

  const issues: ConfigIssue[] = describeValidationErrors(collectErrors(schema, settings)).map((issue) => {
    const source = findSource(sources, issue.path);
    return source === undefined ? issue : { ...issue, source };
  });
  const lines = issues.map((issue) => {
    if (issue.source === undefined) return `${issue.path || '/'} ${issue.message}`;
    const received = describeReceived(issue.path, getAtPointer(settings, issue.path));
    return `${issue.path} ${issue.message} (from ${issue.source}${received === '' ? '' : `, ${received}`})`;
  });
  throw new TesseraError(ConfigErrorCode.invalid, `invalid configuration: ${lines.join('; ')}`, { details: { issues } });
}
