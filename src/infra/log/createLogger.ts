import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, Logger } from 'pino';
import { Type } from 'typebox';
import { maskSensitiveJSONLine, maskSensitiveText } from './maskSensitiveText.js';
import { sanitizeLogValue } from './sanitizeLogValue.js';
import { REDACTED, REDACTED_LOG_PATHS } from './secretFields.js';

export type { DestinationStream, Logger };
export type LogLevel = LevelWithSilent;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];

/** The log level as a config schema, so every service's config validates it the same way. */
export const LogLevelSchema = Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info' });

export interface LoggerOptions {
  /** Lowest level written; `silent` writes nothing. */
  readonly level: LogLevel;
  /** Service name, written on every line as `name`. */
  readonly name?: string;
  /** Fields written on every line (after sanitizing). Defaults to pino's `pid` and `hostname`. */
  readonly base?: Readonly<Record<string, unknown>>;
  /** Where lines go; defaults to standard output. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
}

/** What pino's log methods take: an object or a message first, then message and interpolation values. */
type LogMethodArguments = [unknown, ...unknown[]];

/**
 * Sanitizes every argument of a log call before pino sees it. An Error passed first is wrapped as
 * `{ err }` (what pino would do) so it is sanitized as an object and its message still becomes the
 * line's `msg`.
 */
function sanitizeArguments(args: readonly unknown[]): LogMethodArguments {
  const [first, ...rest] = args;
  const sanitizedRest = rest.map((item) => (typeof item === 'string' ? maskSensitiveText(item) : sanitizeLogValue(item)));
  if (first instanceof Error) {
    const message = rest.length === 0 ? [maskSensitiveText(first.message)] : sanitizedRest;
    return [{ err: sanitizeLogValue(first) }, ...message];
  }
  if (typeof first === 'string') return [maskSensitiveText(first), ...sanitizedRest];
  return [sanitizeLogValue(first), ...sanitizedRest];
}

/**
 * A pino logger that keeps secrets out of its output in three independent layers:
 * 1. every logged value, child binding and message is sanitized (secret field names redacted at
 *    any depth, PANs masked to first six / last four, labelled hex keys redacted);
 * 2. pino's own path redaction over REDACTED_LOG_PATHS;
 * 3. the finished JSON line is masked again, which catches what pino's serializers add after
 *    layer 1 (a request URL with a PAN in its query string, an error stack).
 */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
    hooks: {
      logMethod(args, method) {
        const sanitized = sanitizeArguments(args);
        // Same positions as the caller's arguments, so still a shape pino accepts; the declared
        // tuple reflects only one of LogFn's overloads, hence the assertion.
        method.apply(this, sanitized as Parameters<typeof method>);
      },
      streamWrite: maskSensitiveJSONLine,
    },
    serializers: {
      // The logMethod hook has already turned errors into sanitized plain objects. pino's standard
      // `err` serializer would treat such an object as an error again and rename its type to
      // "Object"; an Error that arrives any other way (a Fastify child logger) is sanitized here.
      err: (value: unknown) => (value instanceof Error ? sanitizeLogValue(value) : value),
    },
    formatters: {
      bindings: (bindings) => sanitizeLogValue(bindings) as pino.Bindings,
    },
  };
  if (options.name !== undefined) pinoOptions.name = options.name;
  // `base` goes through formatters.bindings like any child binding, so it is sanitized there.
  if (options.base !== undefined) pinoOptions.base = { ...options.base };
  return options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination);
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

