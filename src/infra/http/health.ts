import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { TesseraError } from '../../lib/errors.js';
import { isLogLevel } from '../log/index.js';
import type { LogLevel } from '../log/index.js';
import type { HttpApp } from './buildHttpApp.js';
import { errorResponses } from './errorResponse.js';
import { HttpErrorCode } from './errors.js';

/** A readiness check slower than this counts as failed: a load balancer will not wait longer. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;
export const HEALTH_ROUTE_PATH = '/health';

export interface HealthRouteOptions {
  /** Resolves when the service can serve (e.g. a database ping); a rejection answers 503. */
  readonly check?: () => Promise<void>;
  readonly timeoutMs?: number;
}

/** pino's level numbers, to pick the quieter of two levels. */
const LEVEL_RANK: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const HEALTH_LOG_LEVEL: LogLevel = 'warn';

/**
 * Probes arrive every few seconds, so their request lines are logged at `warn` at most; a route's
 * log level replaces the service's, so a quieter service level (`error`, `silent`) is kept.
 */
function healthLogLevel(serviceLevel: string): LogLevel {
  assert.ok(isLogLevel(serviceLevel), `unknown log level ${serviceLevel}`);
  return (LEVEL_RANK[serviceLevel] ?? 0) > (LEVEL_RANK[HEALTH_LOG_LEVEL] ?? 0) ? serviceLevel : HEALTH_LOG_LEVEL;
}

export const HealthResponse = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

async function runWithTimeout(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`health check took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health` → 200 `{ status: 'ok' }`, or 503 ERR_UNAVAILABLE when `check` fails or is too slow. */
export function addHealthRoute(app: HttpApp, options: HealthRouteOptions = {}): void {
  const { check } = options;
  const timeoutMs = options.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  app.get(
    HEALTH_ROUTE_PATH,
    {
      logLevel: healthLogLevel(app.log.level),
      schema: {
        summary: 'Readiness of this service',
        response: { 200: HealthResponse, ...errorResponses(503) },
      },
    },
    async () => {
      if (check !== undefined) {
        try {
          await runWithTimeout(check, timeoutMs);
        } catch (cause) {
          // The cause (which dependency, why) is logged by the error handler, not shown.
          throw new TesseraError(HttpErrorCode.unavailable, 'service is not ready', { httpStatus: 503, cause });
        }
      }
      return { status: 'ok' as const };
    },
  );
}
