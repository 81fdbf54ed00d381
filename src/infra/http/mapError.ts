import { STATUS_CODES } from 'node:http';
import { isTesseraError } from '../../lib/errors.js';
import { describeValidationErrors } from '../config/index.js';
import type { SchemaValidationError, ValidationIssue } from '../config/index.js';
import { maskSensitiveText, sanitizeLogValue } from '../log/index.js';
import { HttpErrorCode } from './errors.js';

/** What the root error handler answers for one failure, and how loudly it logs it. */
export interface MappedError {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** `error` for the server's own failures (5xx), `info` for a caller's mistakes (4xx). */
  readonly logLevel: 'error' | 'info';
}

/** Status given to a TesseraError that names none: an expected failure is the caller's. */
export const TESSERA_ERROR_STATUS_DEFAULT = 400;
export const INTERNAL_ERROR_MESSAGE = 'internal error; quote the request id when reporting it';

/**
 * Fastify's own client errors, answered with our codes and fixed wording. Fastify's messages are
 * fixed too, but a plugin's may quote the input, so no framework message is passed on.
 */
const FRAMEWORK_ERRORS: Readonly<Record<string, { readonly code: HttpErrorCode; readonly message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: HttpErrorCode.bodyTooLarge, message: 'request body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: HttpErrorCode.bodyMalformed, message: 'request body length does not match Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: HttpErrorCode.bodyMalformed, message: 'request body is empty but Content-Type is JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: HttpErrorCode.bodyMalformed, message: 'request body is not valid JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: HttpErrorCode.unsupportedMediaType, message: 'request Content-Type is not supported' },
};

/** Fallback codes by status for client errors raised by the framework or a plugin. */
const CLIENT_ERROR_CODES: Readonly<Record<number, HttpErrorCode>> = {
  404: HttpErrorCode.notFound,
  413: HttpErrorCode.bodyTooLarge,
  415: HttpErrorCode.unsupportedMediaType,
};

interface FrameworkErrorShape {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly validation?: unknown;
  readonly validationContext?: unknown;
}

function asShape(error: unknown): FrameworkErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

/** A TesseraError with a status outside 400-599 is a programmer's mistake; it is answered as internal. */
function isErrorStatus(statusCode: number): boolean {
  return Number.isInteger(statusCode) && statusCode >= 400 && statusCode <= 599;
}

/** `body/amount must be integer`: Fastify's part name, then the JSON Pointer, then the rule. */
export function describeRequestValidation(errors: readonly SchemaValidationError[], part: string): ValidationIssue[] {
  return describeValidationErrors(errors).map((issue) => ({ path: `${part}${issue.path}`, message: issue.message }));
}

/**
 * Decides the answer for any thrown value. Known errors keep their status and code; a schema
 * failure becomes ERR_VALIDATION naming each field; everything else becomes ERR_INTERNAL with a
 * fixed message, because an unexpected error's message can hold anything (SQL, a key, a PAN).
 */
export function mapError(error: unknown): MappedError {
  if (isTesseraError(error) && isErrorStatus(error.httpStatus ?? TESSERA_ERROR_STATUS_DEFAULT)) {
    const statusCode = error.httpStatus ?? TESSERA_ERROR_STATUS_DEFAULT;
    // Messages and details are meant to be shown, but are masked anyway: one careless template
    // string must not put a PAN on the wire.
    const base = { statusCode, code: error.code, message: maskSensitiveText(error.message), logLevel: statusCode >= 500 ? 'error' : 'info' } as const;
    return error.details === undefined ? base : { ...base, details: sanitizeLogValue(error.details) as Record<string, unknown> };
  }
  const shape = asShape(error);
  if (Array.isArray(shape.validation)) {
    const part = typeof shape.validationContext === 'string' ? shape.validationContext : 'request';
    const issues = describeRequestValidation(shape.validation as SchemaValidationError[], part);
    const message = issues.map((issue) => `${issue.path} ${issue.message}`).join(', ') || `${part} is invalid`;
    return { statusCode: 400, code: HttpErrorCode.validation, message, details: { issues }, logLevel: 'info' };
  }
  const statusCode = typeof shape.statusCode === 'number' ? shape.statusCode : 500;
  if (statusCode >= 400 && statusCode < 500) {
    const known = typeof shape.code === 'string' && Object.hasOwn(FRAMEWORK_ERRORS, shape.code) ? FRAMEWORK_ERRORS[shape.code] : undefined;
    if (known !== undefined) return { statusCode, code: known.code, message: known.message, logLevel: 'info' };
    const code = CLIENT_ERROR_CODES[statusCode] ?? HttpErrorCode.badRequest;
    return { statusCode, code, message: (STATUS_CODES[statusCode] ?? 'Bad Request').toLowerCase(), logLevel: 'info' };
  }
  return { statusCode: 500, code: HttpErrorCode.internal, message: INTERNAL_ERROR_MESSAGE, logLevel: 'error' };
}
