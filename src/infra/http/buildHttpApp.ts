import assert from 'node:assert/strict';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Logger } from '../log/index.js';
import type { ErrorResponse } from './errorResponse.js';
import { HttpErrorCode } from './errors.js';
import { describeRequestValidation, mapError } from './mapError.js';
import type { MappedError } from './mapError.js';
import { REQUEST_ID_HEADER, createRequestIdGenerator } from './requestId.js';
import { typeBoxValidatorCompiler } from './validatorCompiler.js';

/** Default request body limit. JSON commands and card scripts fit easily; a route that takes
 * more (an applet load file) raises its own `bodyLimit`. */
export const HTTP_BODY_BYTES_MAX = 64 * 1024;
/** A request that has not finished arriving after this long is cut off (slow-client defence). */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** PCI DSS 4.0 §4.2.1 requires strong cryptography in transit: nothing older than TLS 1.2. */
export const TLS_VERSION_MIN = 'TLSv1.2';
/** Where the OpenAPI page is served; the document itself is at `${DOCS_ROUTE_PREFIX}/json`. */
export const DOCS_ROUTE_PREFIX = '/docs';

/**
 * The app type every service registers its routes on. The server is typed as plain HTTP even when
 * TLS is on: routes see the same request and reply either way, and one type lets route plugins
 * written as `FastifyPluginAsyncTypebox` register on both.
 */
export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * Node's HTTPS server options, passed through. For mutual TLS set `requestCert: true` and `ca` to
 * the client-certificate authority; `rejectUnauthorized` stays true unless set otherwise, so a
 * client without a certificate from `ca` never reaches a route.
 */
export type HttpTlsOptions = HttpsServerOptions & {
  readonly key: NonNullable<HttpsServerOptions['key']>;
  readonly cert: NonNullable<HttpsServerOptions['cert']>;
};

export interface OpenAPIInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface HttpAppOptions {
  /** The service's logger (from createLogger); Fastify writes request logs through it. */
  readonly logger: Logger;
  /** Title and version of the OpenAPI document. */
  readonly openapi: OpenAPIInfo;
  /** Default body limit for every route; HTTP_BODY_BYTES_MAX unless given. */
  readonly bodyLimitBytes?: number;
  readonly requestTimeoutMs?: number;
  /** HTTPS instead of HTTP, optionally with client certificates. */
  readonly tls?: HttpTlsOptions;
  /** Serve the OpenAPI page at /docs (the document is always built). Default true. */
  readonly docs?: boolean;
  /** Makes request ids when the caller sends none; tests pin it. Default crypto.randomUUID. */
  readonly generateRequestId?: () => string;
}

function tlsServerOptions(tls: HttpTlsOptions): HttpsServerOptions {
  const settings: HttpsServerOptions = { minVersion: TLS_VERSION_MIN, ...tls };
  // Trusting the public web PKI for client certificates would admit any certificate a public CA
  // ever issued; mutual TLS here means a private authority, so it must be named.
  assert.ok(
    settings.requestCert !== true || settings.rejectUnauthorized === false || settings.ca !== undefined,
    'mutual TLS (requestCert) needs `ca`: the authority that issues client certificates',
  );
  return settings;
}

function sendError(request: FastifyRequest, reply: FastifyReply, mapped: MappedError): FastifyReply {
  const body: ErrorResponse = {
    error: {
      code: mapped.code,
      message: mapped.message,
      requestId: request.id,
      ...(mapped.details === undefined ? {} : { details: mapped.details }),
    },
  };
  return reply.code(mapped.statusCode).send(body);
}

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let mapped = mapError(error);
  if (mapped.code === HttpErrorCode.bodyTooLarge) {
    mapped = { ...mapped, details: { bodyLimitBytes: request.routeOptions.bodyLimit } };
  }
  // The full error (message, stack, cause) goes only to the log, under the request id the caller sees.
  if (mapped.logLevel === 'error') request.log.error({ err: error, code: mapped.code }, 'request failed');
  else request.log.info({ code: mapped.code, statusCode: mapped.statusCode, reason: mapped.message }, 'request rejected');
  return sendError(request, reply, mapped);
}

/**
 * A Fastify app ready for a service's routes, not yet listening: TypeBox validation and types,
 * request ids, a body limit, the given logger, one error shape for every failure, an OpenAPI
 * document built from the route schemas (and, unless disabled, served at /docs).
 */
export async function buildHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const bodyLimit = options.bodyLimitBytes ?? HTTP_BODY_BYTES_MAX;
  assert.ok(Number.isSafeInteger(bodyLimit) && bodyLimit > 0, 'bodyLimitBytes must be a positive integer');
  // Not annotated with FastifyServerOptions<Server>: the same object must also fit the HTTPS overload.
  const fastifyOptions = {
    loggerInstance: options.logger,
    bodyLimit,
    requestTimeout: options.requestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS,
    // The header is read by genReqId, which checks it first; Fastify's own reading takes any value.
    requestIdHeader: false as const,
    genReqId: createRequestIdGenerator(options.generateRequestId),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    schemaErrorFormatter: (errors: FastifySchemaValidationError[], part: string) =>
      new Error(describeRequestValidation(errors, part).map((issue) => `${issue.path} ${issue.message}`).join(', ')),
  };
  // Fastify picks the server type from the presence of `https`; see HttpApp for why both are typed as one.
  const app = (
    options.tls === undefined ? Fastify(fastifyOptions) : Fastify({ ...fastifyOptions, https: tlsServerOptions(options.tls) })
  ) as unknown as FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>;
  const typed: HttpApp = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.setValidatorCompiler(typeBoxValidatorCompiler);
  typed.setErrorHandler(handleError);
  typed.setNotFoundHandler((request, reply) => {
    request.log.info({ code: HttpErrorCode.notFound }, 'no route');
    // The path is not echoed: a mistyped URL can hold a PAN or a token.
    return sendError(request, reply, { statusCode: 404, code: HttpErrorCode.notFound, message: 'no route matches this method and path', logLevel: 'info' });
  });
  typed.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  // Swagger collects routes from an onRoute hook, so it must be loaded before the caller adds any.
  await typed.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.openapi.title,
        version: options.openapi.version,
        ...(options.openapi.description === undefined ? {} : { description: options.openapi.description }),
      },
    },
  });
  if (options.docs ?? true) await typed.register(fastifySwaggerUi, { routePrefix: DOCS_ROUTE_PREFIX });
  return typed;
}
