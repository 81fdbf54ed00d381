import { pino } from 'pino';
import { looksLikePAN, maskPANDigits, maskSensitiveText } from './maskSensitiveText.js';
import { REDACTED, isSecretFieldName } from './secretFields.js';

/** Nesting below this depth is replaced by a marker: a log line is not a data dump. */
export const LOG_VALUE_DEPTH_MAX = 8;
/** Values visited per log call; the rest is replaced by a marker so one call cannot stall logging. */
export const LOG_VALUE_NODES_MAX = 2_000;
/** Longer strings are cut, so a stray request body or file cannot flood the log. */
export const LOG_STRING_CHARACTERS_MAX = 8_192;

interface PendingContainer {
  readonly source: Record<string, unknown> | readonly unknown[];
  readonly target: Record<string, unknown> | unknown[];
  readonly depth: number;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function sanitizeString(text: string): string {
  const masked = maskSensitiveText(text.length > LOG_STRING_CHARACTERS_MAX ? text.slice(0, LOG_STRING_CHARACTERS_MAX) : text);
  return text.length > LOG_STRING_CHARACTERS_MAX ? `${masked}…[${text.length - LOG_STRING_CHARACTERS_MAX} characters cut]` : masked;
}

/**
 * Returns a copy of `value` that is safe to log: fields with secret names are replaced by
 * `[REDACTED]` at any depth, PAN-like digits in strings and integers are masked, labelled hex keys
 * are redacted, byte arrays are summarized by length (bytes in this code base are usually key
 * material or card data), and errors become plain objects so their message and properties are
 * masked too. Objects that are not plain (a Fastify request, a Date) are left for pino's
 * serializers; the final log line is masked again as a backstop.
 *
 * Iterative rather than recursive, with limits on depth, size and string length, so a hostile or
 * cyclic value cannot exhaust the stack or the log.
 */
export function sanitizeLogValue(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const pending: PendingContainer[] = [];
  let nodes = 0;

  const convert = (child: unknown, fieldName: string | undefined, depth: number): unknown => {
    nodes += 1;
    if (nodes > LOG_VALUE_NODES_MAX) return '[Truncated]';
    if (fieldName !== undefined && isSecretFieldName(fieldName)) return REDACTED;
    switch (typeof child) {
      case 'string':
        return sanitizeString(child);
      case 'number':
        return Number.isInteger(child) && looksLikePAN(String(child)) ? maskPANDigits(String(child)) : child;
      case 'bigint':
        return looksLikePAN(child.toString()) ? maskPANDigits(child.toString()) : child;
      case 'object':
        break;
      case 'boolean':
      case 'undefined':
      case 'symbol':
      case 'function':
        return child;
    }
    if (child === null) return null;
    const container: object = child instanceof Error ? pino.stdSerializers.err(child) : child;
    if (ArrayBuffer.isView(container)) return `[${container.constructor.name} ${container.byteLength} bytes]`;
    if (!Array.isArray(container) && !isPlainObject(container)) return container;
    if (seen.has(container)) return '[Repeated reference]';
    if (depth >= LOG_VALUE_DEPTH_MAX) return '[Too deep]';
    seen.add(container);
    const target: Record<string, unknown> | unknown[] = Array.isArray(container) ? [] : {};
    pending.push({ source: container as Record<string, unknown> | readonly unknown[], target, depth: depth + 1 });
    return target;
  };

  const result = convert(value, undefined, 0);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { source, target, depth } = next;
    if (Array.isArray(source) && Array.isArray(target)) {
      for (const item of source) target.push(convert(item, undefined, depth));
    } else if (!Array.isArray(target)) {
      for (const [fieldName, item] of Object.entries(source)) {
        // A key can itself be a PAN (a map keyed by card number), so it is masked like any text.
        // defineProperty, not assignment: an own `__proto__` key (JSON.parse makes them) must stay
        // data and never become the copy's prototype.
        Object.defineProperty(target, maskSensitiveText(fieldName), {
          value: convert(item, fieldName, depth),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return result;
}
