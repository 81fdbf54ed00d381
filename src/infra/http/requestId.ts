import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header that carries the request id in both directions, so a caller can correlate logs. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Longest caller-supplied request id kept; a UUID is 36. */
export const REQUEST_ID_CHARACTERS_MAX = 128;

/**
 * Letters, digits and `._:-` only: a caller's id ends up in every log line of the request, so
 * anything that could forge a line, break a log query or smuggle a value is refused.
 */
const SANE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${REQUEST_ID_CHARACTERS_MAX}}$`);

export function isSaneRequestId(value: unknown): value is string {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value);
}

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it is sane (a load balancer or an upstream
 * service already named this request), otherwise a fresh id from `generate` (a UUID unless a test
 * pins it).
 */
export function createRequestIdGenerator(generate: () => string = randomUUID): (request: IncomingMessage) => string {
  return (request) => {
    const received = request.headers[REQUEST_ID_HEADER];
    return isSaneRequestId(received) ? received : generate();
  };
}
