import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, type HttpApp } from '../../infra/http/index.js';
import { TesseraError } from '../../lib/errors.js';
import {
  ADMIN_AGENT_ID_PATTERN, ADMIN_COMMAND_CONTENT_TYPE, ADMIN_COMMAND_MEDIA_TYPE, ADMIN_MEDIA_TYPE_VERSION, ADMIN_PROTOCOL,
  ADMIN_RESPONSE_MEDIA_TYPE, ADMIN_ROUTE_PATH, AdminHeader, RAM_SCRIPT_BYTES_MAX,
} from '../../lib/ram/index.js';
import { OTAErrorCode } from './errors.js';
import { OTA_BATCH_ID_PATTERN, type OTAGateway } from './OTAGateway.js';

export interface OTARouteOptions {
  /** Path of the admin route; ADMIN_ROUTE_PATH (`/ota/v1/admin`) unless given. */
  readonly path?: string;
}

/**
 * Headers are the one request part whose schema cannot refuse unknown properties: every client
 * sends Host, Content-Length and more. Only the admin headers are described and checked.
 */
const AdminRequestHeaders = Type.Object({
  [AdminHeader.protocol]: Type.String({ maxLength: 64, description: `Must be ${ADMIN_PROTOCOL} (GlobalPlatform Amendment B).` }),
  [AdminHeader.from]: Type.String({ pattern: ADMIN_AGENT_ID_PATTERN, description: 'The agent id: the card\'s CIN in hex.' }),
  [AdminHeader.scriptStatus]: Type.Optional(Type.String({ maxLength: 64, description: 'The agent\'s verdict on the previous script (ok, …).' })),
  [AdminHeader.resume]: Type.Optional(Type.String({ maxLength: 16, description: 'true when the agent repeats a POST after a broken connection.' })),
});

const AdminRequestQuery = Type.Object(
  { batch: Type.Optional(Type.String({ pattern: OTA_BATCH_ID_PATTERN, description: 'The batch the body answers, from X-Admin-Next-URI.' })) },
  { additionalProperties: false },
);

const CommandScriptBody = Type.String({
  format: 'binary',
  description: 'A Command Scripting template (ETSI TS 102 226 §5.2.1, tag AA): the C-APDUs the agent sends to the card in order.',
});

function mediaTypeVersion(contentType: string | undefined): string | undefined {
  const match = /;\s*version\s*=\s*"?([0-9.]+)"?/i.exec(contentType ?? '');
  return match?.[1];
}

/** The request body as bytes: absent or empty on a session's first POST, else the response script. */
function requestBody(body: unknown, contentType: string | undefined): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  const isResponseType = (contentType ?? '').toLowerCase().startsWith(ADMIN_RESPONSE_MEDIA_TYPE);
  if (!(body instanceof Buffer) || !isResponseType) {
    if (typeof body === 'string' && body.length === 0) return undefined;
    throw new TesseraError(OTAErrorCode.mediaTypeUnsupported, `the body must be ${ADMIN_RESPONSE_MEDIA_TYPE};version=${ADMIN_MEDIA_TYPE_VERSION}`, { httpStatus: 415 });
  }
  const version = mediaTypeVersion(contentType);
  if (body.length > 0 && version !== undefined && version !== ADMIN_MEDIA_TYPE_VERSION) {
    throw new TesseraError(OTAErrorCode.mediaTypeUnsupported, `response scripts of version ${version} are not supported; send version ${ADMIN_MEDIA_TYPE_VERSION}`, { httpStatus: 415 });
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}

/**
 * `POST /ota/v1/admin`: the admin protocol of GlobalPlatform Amendment B (RAM over HTTP). The
 * agent POSTs the card's response script (nothing on a session's first POST) with
 * X-Admin-Protocol and X-Admin-From; the answer is 200 with the next command script and
 * X-Admin-Next-URI, or 204 No Content when the TSM has nothing for the card within the long-poll
 * wait. The route works the same behind HTTPS (the Next-URI is a path, resolved by the agent
 * against the URL it used). Closing the app closes the gateway first, so parked polls end at once.
 */
export async function registerOTARoutes(app: HttpApp, gateway: OTAGateway, options: OTARouteOptions = {}): Promise<void> {
  const path = options.path ?? ADMIN_ROUTE_PATH;
  app.addHook('preClose', (done) => {
    gateway.close();
    done();
  });
  await app.register((scope: HttpApp, _options, registered) => {
    // Encapsulated: the binary parser exists for this route only.
    scope.addContentTypeParser(ADMIN_RESPONSE_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: RAM_SCRIPT_BYTES_MAX }, (_request, body, done) => {
      done(null, body);
    });
    scope.addHook('onSend', (_request, reply, payload, done) => {
      reply.header(AdminHeader.protocol, ADMIN_PROTOCOL).header('cache-control', 'no-store');
      done(null, payload);
    });
    scope.post(
      path,
      {
        bodyLimit: RAM_SCRIPT_BYTES_MAX,
        schema: {
          summary: 'Admin agent poll: post the card\'s responses, receive its next command script (GlobalPlatform Amendment B)',
          headers: AdminRequestHeaders,
          querystring: AdminRequestQuery,
          response: {
            200: { description: 'The next command script', content: { [ADMIN_COMMAND_MEDIA_TYPE]: { schema: CommandScriptBody } } },
            204: Type.Null({ description: 'Nothing for this card now: end of the admin session; poll again' }),
            ...errorResponses(400, 413, 415, 500, 503),
          },
        },
      },
      async (request, reply) => {
        if (request.headers[AdminHeader.protocol] !== ADMIN_PROTOCOL) {
          throw new TesseraError(OTAErrorCode.protocolUnsupported, `X-Admin-Protocol must be ${ADMIN_PROTOCOL}`, { httpStatus: 400 });
        }
        const cin = request.headers[AdminHeader.from].toUpperCase();
        const body = requestBody(request.body, request.headers['content-type']);
        request.log.debug({ cin, batchId: request.query.batch ?? null, bodyBytes: body?.length ?? 0, resume: request.headers[AdminHeader.resume] === 'true' }, 'admin agent request');
        const hangUp = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) hangUp.abort();
        });
        const answer = await gateway.handleAgentRequest({ cin, body, batchId: request.query.batch, signal: hangUp.signal });
        if (answer.kind === 'none') return reply.code(204).send(null);
        // The type provider types bodies from JSON schemas; a command script is binary, sent as is.
        const untyped: FastifyReply = reply;
        return untyped
          .code(200)
          .header(AdminHeader.nextURI, `${path}?batch=${answer.batchId}`)
          .type(ADMIN_COMMAND_CONTENT_TYPE)
          .send(Buffer.from(answer.script.buffer, answer.script.byteOffset, answer.script.length));
      },
    );
    registered();
  });
}
