import { createHash } from 'node:crypto';
import { TesseraError } from '../../lib/errors.js';
import { IdempotencyErrorCode } from './errors.js';

/** JSON nesting accepted in a hashed body; request schemas stay far below it. */
export const CANONICAL_JSON_DEPTH_MAX = 64;
export const REQUEST_HASH_BYTES = 32;

function notCanonical(message: string): TesseraError {
  return new TesseraError(IdempotencyErrorCode.bodyInvalid, message, { httpStatus: 400 });
}

function canonicalAt(value: unknown, depth: number): string {
  if (depth > CANONICAL_JSON_DEPTH_MAX) throw notCanonical(`the body nests deeper than ${CANONICAL_JSON_DEPTH_MAX} levels`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notCanonical('the body holds a number JSON cannot represent');
    // ECMAScript number-to-string is exactly the form RFC 8785 §3.2.2.3 prescribes.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => canonicalAt(item, depth + 1)).join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    // Keys sorted by UTF-16 code units (RFC 8785 §3.2.3), which is what Array.prototype.sort does;
    // undefined members are left out, as JSON.stringify leaves them out.
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalAt(record[key], depth + 1)}`);
    return `{${members.join(',')}}`;
  }
  throw notCanonical(`the body holds a ${typeof value}, which is not JSON data`);
}

/**
 * The JSON Canonicalization Scheme (RFC 8785) of parsed JSON data: the same data always gives
 * the same text whatever the key order or spacing it arrived with.
 */
export function canonicalJson(value: unknown): string {
  return canonicalAt(value, 0);
}

export interface HashedRequest {
  readonly method: string;
  /** The route's path as received, query string included when it changes the meaning. */
  readonly path: string;
  /** The parsed body; undefined (no body) hashes as null. */
  readonly body: unknown;
}

/**
 * SHA-256 of the canonical [METHOD, path, body]. A replayed idempotency key must carry the same
 * request; encoding the three as one JSON array keeps their boundaries unambiguous.
 */
export function hashRequest(request: HashedRequest): Uint8Array {
  const canonical = canonicalJson([request.method.toUpperCase(), request.path, request.body ?? null]);
  return new Uint8Array(createHash('sha256').update(canonical, 'utf8').digest());
}
