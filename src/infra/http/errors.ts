/**
 * Error codes the HTTP layer itself answers with (public API: clients match on them). Domain
 * errors carry their own codes as TesseraErrors and pass through unchanged.
 */
export const HttpErrorCode = {
  /** A request part failed its route schema; the message names each bad field. */
  validation: 'ERR_VALIDATION',
  /** No route matches the method and path. */
  notFound: 'ERR_NOT_FOUND',
  /** The body is larger than the route's limit (HTTP 413). */
  bodyTooLarge: 'ERR_BODY_TOO_LARGE',
  /** The body cannot be parsed: not JSON, empty, or shorter than its Content-Length. */
  bodyMalformed: 'ERR_BODY_MALFORMED',
  /** No parser for the request's Content-Type (HTTP 415). */
  unsupportedMediaType: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  /** Any other client error the framework raises, with its own 4xx status. */
  badRequest: 'ERR_BAD_REQUEST',
  /** The service (or a dependency it checks) cannot serve now (HTTP 503). */
  unavailable: 'ERR_UNAVAILABLE',
  /** Anything unexpected: the detail is in the log under the request id, never in the answer. */
  internal: 'ERR_INTERNAL',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];
