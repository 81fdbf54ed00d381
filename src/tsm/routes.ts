import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { TesseraError } from '../lib/errors.js';
import type { Transaction } from 'kysely';
import { createIdempotencyStore, hashRequest, type IdempotentResponse } from '../infra/db/index.js';
import { errorResponses, type HttpApp } from '../infra/http/index.js';
import type { TsmContext } from './context.js';
import { endConversation, getConversation, REQUESTED_OPERATIONS, SCRIPT_FORMATS, startConversation } from './conversations.js';
import { tsmError, TsmErrorCode } from './errors.js';
import { getOperation, handOverProvisionalKeys, recordOperation, runOperation, runRecordedOperation, type Operation, type RecordedOperation } from './operations.js';
import { lookUpByMsi, registerService, secureElementData } from './registry.js';
import { TSM_SCHEMA, type TsmDatabase } from './schema.js';
import { getScriptExecution, recordScriptExecution, runRecordedScript, runScriptExecution, type RecordedScript, type ScriptExecution } from './scripts.js';

/** Who is calling: the SP named by its verified client certificate (mutual TLS). */
export type IdentifyServiceProvider = (request: FastifyRequest) => string;

const Hex = (description: string, minBytes: number, maxBytes: number) =>
  Type.String({ pattern: `^([0-9A-Fa-f]{2}){${minBytes},${maxBytes}}$`, description });
const Aid = Hex('AID, hex', 5, 16);
const Cin = Type.String({ pattern: '^[0-9A-F]{2,32}$', description: 'Card image number (CIN), upper-case hex' });
const Msi = Type.String({ pattern: '^[0-9]{5,15}$', description: 'Mobile subscription identifier (MSISDN/MDN digits)' });
const ServiceId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const ServiceVersion = Type.String({ pattern: '^[0-9A-Za-z._-]{1,16}$' });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 255, description: 'Stripe-style idempotency key' }) });

const SecureElementIds = Type.Object({ cin: Type.String(), iin: Type.String() }, { additionalProperties: false });
const ServiceInstance = Type.Object({
  serviceId: Type.String(), version: Type.String(), instanceAid: Type.String(), state: Type.String(), prn: Type.Union([Type.String(), Type.Null()]),
}, { additionalProperties: false });
const SecureElement = Type.Object({
  cin: Type.String(), iin: Type.String(), msi: Type.String(), mno: Type.String(), otaCarrier: Type.String(), profile: Type.String(),
  seType: Type.String(), gpVersion: Type.String(), javacardVersion: Type.String(), certificationLevel: Type.String(),
  masterKeyIndex: Type.Integer(), expiresAt: Type.String(), state: Type.String(),
  serviceProvider: Type.Object({
    securityDomainAid: Type.Union([Type.String(), Type.Null()]),
    tsmHoldsKeys: Type.Boolean(),
    services: Type.Array(ServiceInstance),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
const ConversationBody = Type.Object({
  cin: Cin,
  msi: Msi,
  serviceId: ServiceId,
  serviceVersion: ServiceVersion,
  serviceQualifier: Type.Object({ spName: Type.String({ minLength: 1, maxLength: 63 }), prn: Type.String({ pattern: '^[0-9A-Za-z-]{1,32}$' }) }, { additionalProperties: false }),
  targetAid: Aid,
  scriptFormat: Type.Union(SCRIPT_FORMATS.map((format) => Type.Literal(format))),
  scriptBytes: Type.Integer({ minimum: 1, maximum: 1_048_576 }),
  requestedOperation: Type.Union(REQUESTED_OPERATIONS.map((operation) => Type.Literal(operation))),
}, { additionalProperties: false });
const Conversation = Type.Object({
  conversationId: Type.String(), cin: Type.String(), otaCarrier: Type.String(), scriptsMax: Type.Integer(), scriptsUsed: Type.Integer(),
  scriptBytesMax: Type.Integer(), state: Type.String(), endStatus: Type.Union([Type.String(), Type.Null()]), expiresAt: Type.String(),
}, { additionalProperties: false });
const ScriptBody = Type.Object({
  wrapping: Type.Union([Type.Literal('tsm'), Type.Literal('sp')], { description: "'tsm': the TSM runs SCP03 with the keys it holds; 'sp': your own SCP03, relayed" }),
  commands: Type.Array(Hex('command APDU', 4, 4096), { minItems: 1, maxItems: 64 }),
}, { additionalProperties: false });
const ScriptExecution = Type.Object({
  executionId: Type.String(), state: Type.String(), securityDomainAid: Type.String(), otaCarrier: Type.String(),
  responses: Type.Array(Type.String()), failedCommandIndexes: Type.Array(Type.Integer()),
  errorCode: Type.Union([Type.String(), Type.Null()]), expiresAt: Type.String(),
}, { additionalProperties: false });
const OperationBody = Type.Object({ serviceId: ServiceId }, { additionalProperties: false });
const ActivationBody = Type.Object({
  cin: Cin, msi: Msi, serviceId: ServiceId,
  serviceQualifier: Type.Object({ spName: Type.String({ minLength: 1, maxLength: 63 }), prn: Type.String({ pattern: '^[0-9A-Za-z-]{1,32}$' }) }, { additionalProperties: false }),
}, { additionalProperties: false });
const OperationResponse = Type.Object({
  operationId: Type.String(), kind: Type.String(), state: Type.String(), cin: Type.String(),
  result: Type.Union([
    Type.Object({
      securityDomainAid: Type.String(), instanceAid: Type.String(), keyVersion: Type.Union([Type.Integer(), Type.Null()]), steps: Type.Array(Type.String()),
    }, { additionalProperties: false }),
    Type.Object({ instanceAid: Type.String(), state: Type.String() }, { additionalProperties: false }),
    Type.Null(),
  ]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }), Type.Null()]),
  expiresAt: Type.String(),
}, { additionalProperties: false });
const ServiceBody = Type.Object({
  serviceId: ServiceId,
  version: ServiceVersion,
  packageAid: Aid,
  moduleAid: Aid,
  instanceAid: Aid,
  installParameters: Type.Optional(Hex('application-specific install parameters (C9 contents)', 0, 128)),
  loadFile: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{2}){1,32768}$', description: 'a Tessera load file, hex, when the package is not preloaded' })),
}, { additionalProperties: false });
const KeyHandover = Type.Object({
  securityDomainAid: Type.String(), keyVersion: Type.Integer(),
  keys: Type.Object({ enc: Type.String(), mac: Type.String(), dek: Type.String() }, { additionalProperties: false }),
}, { additionalProperties: false });

const ERRORS = errorResponses(400, 403, 404, 409, 410, 422, 500, 502, 503);

function upper(hex: string): string {
  return hex.toUpperCase();
}

/** The SP-TSM API (seed 001 figs. 2-4) on an HTTP app whose TLS layer verified the SP's certificate. */
export function registerTsmRoutes(app: HttpApp, context: TsmContext, identify: IdentifyServiceProvider): void {
  const idempotency = createIdempotencyStore({ schema: TSM_SCHEMA, now: context.now });

  /** Runs `work` once per Idempotency-Key (per SP); replays answer what the first call stored. */
  async function idempotent<T>(request: FastifyRequest, spName: string, work: (trx: Transaction<TsmDatabase>) => Promise<IdempotentResponse>): Promise<{ replayed: boolean; status: number; body: T }> {
    const key = (request.headers as Record<string, string | undefined>)['idempotency-key'] ?? '';
    const outcome = await idempotency.run<TsmDatabase>(context.db, {
      scope: `sp:${spName}`,
      key,
      requestHash: hashRequest({ method: request.method, path: request.url, body: request.body ?? null }),
    }, work);
    return { replayed: outcome.replayed, status: outcome.status, body: outcome.body as unknown as T };
  }

  /**
   * Records an operation once per Idempotency-Key, runs it if the card is reachable, and answers
   * with its state. What recording read comes back beside the stored answer, to run it without
   * reading it again; only from the attempt that committed, so only when this call is not a replay.
   */
  async function recordedOperation(request: FastifyRequest, spName: string, record: (trx: Transaction<TsmDatabase>) => Promise<RecordedOperation>): Promise<Operation> {
    let recorded: RecordedOperation | undefined;
    const outcome = await idempotent<{ operationId: string }>(request, spName, async (trx) => {
      recorded = await record(trx);
      return { status: 202, body: { operationId: recorded.operationId } };
    });
    const { operationId } = outcome.body;
    let ran: Operation | undefined;
    if (!outcome.replayed && recorded !== undefined) {
      assert.equal(recorded.operationId, operationId, 'the committed attempt recorded this operation');
      ran = await runRecordedOperation(context, recorded, context.cardWaitMs);
    } else {
      ran = await runOperation(context, operationId, context.cardWaitMs);
    }
    return ran ?? getOperation(context, spName, operationId);
  }

  function operationReply(operation: Operation): Static<typeof OperationResponse> {
    if (operation.state === 'failed' && operation.error !== null) {
      throw new TesseraError(operation.error.code, operation.error.message, { httpStatus: operationStatus(operation), details: { operationId: operation.operationId } });
    }
    return operation as Static<typeof OperationResponse>;
  }

  app.get('/v1/secure-elements', {
    schema: { summary: 'Look up a secure element by MSI', querystring: Type.Object({ msi: Msi }, { additionalProperties: false }), response: { 200: SecureElementIds, ...ERRORS } },
  }, async (request) => {
    identify(request);
    return lookUpByMsi(context, request.query.msi);
  });

  app.get('/v1/secure-elements/:cin', {
    schema: { summary: 'Secure element data, as the calling SP may see it', params: Type.Object({ cin: Cin }), response: { 200: SecureElement, ...ERRORS } },
  }, async (request) => secureElementData(context, identify(request), request.params.cin));

  app.post('/v1/services', {
    schema: { summary: 'Add a service of the calling SP to the catalogue', headers: IdempotencyHeaders, body: ServiceBody, response: { 201: ServiceBody, ...ERRORS } },
  }, async (request, reply) => {
    const spName = identify(request);
    const body = request.body;
    const service = {
      serviceId: body.serviceId, version: body.version, packageAid: upper(body.packageAid), moduleAid: upper(body.moduleAid), instanceAid: upper(body.instanceAid),
      installParameters: upper(body.installParameters ?? ''),
      ...(body.loadFile === undefined ? {} : { loadFile: Buffer.from(body.loadFile, 'hex') }),
    };
    const outcome = await idempotent<Static<typeof ServiceBody>>(request, spName, async (trx) => {
      await registerService(trx, spName, service);
      return { status: 201, body: { ...body, packageAid: service.packageAid, moduleAid: service.moduleAid, instanceAid: service.instanceAid } };
    });
    return reply.code(201).send(outcome.body);
  });

  app.post('/v1/conversations', {
    schema: { summary: 'Start a conversation with a secure element', headers: IdempotencyHeaders, body: ConversationBody, response: { 201: Conversation, ...ERRORS } },
  }, async (request, reply) => {
    const spName = identify(request);
    const body = { ...request.body, targetAid: upper(request.body.targetAid) };
    const outcome = await idempotent<Static<typeof Conversation>>(request, spName, async (trx) => ({ status: 201, body: { ...(await startConversation(context, trx, spName, body)) } }));
    return reply.code(201).send(outcome.body);
  });

  app.get('/v1/conversations/:id', {
    schema: { summary: 'A conversation', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Conversation, ...ERRORS } },
  }, async (request) => getConversation(context.db, identify(request), request.params.id));

  app.post('/v1/conversations/:id/end', {
    schema: {
      summary: 'End a conversation', headers: IdempotencyHeaders, params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ status: Type.String({ pattern: '^[a-z-]{1,32}$' }) }, { additionalProperties: false }), response: { 200: Conversation, ...ERRORS },
    },
  }, async (request, reply) => {
    const spName = identify(request);
    const outcome = await idempotent<Static<typeof Conversation>>(request, spName, async (trx) => ({ status: 200, body: { ...(await endConversation(context, trx, spName, request.params.id, request.body.status)) } }));
    return reply.code(200).send(outcome.body);
  });

  app.post('/v1/conversations/:id/scripts', {
    schema: {
      summary: 'Process a script of command APDUs for your security domain', headers: IdempotencyHeaders,
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }), body: ScriptBody,
      response: { 200: ScriptExecution, 202: ScriptExecution, ...ERRORS },
    },
  }, async (request, reply) => {
    const spName = identify(request);
    // What recording read comes back beside the stored answer, to run the script without reading
    // it again; only from the attempt that committed, so only when this call is not a replay.
    let recorded: RecordedScript | undefined;
    const outcome = await idempotent<{ executionId: string }>(request, spName, async (trx) => {
      recorded = await recordScriptExecution(trx, context, spName, request.params.id, request.body, { runNow: true });
      return { status: 202, body: { executionId: recorded.executionId } };
    });
    const { executionId } = outcome.body;
    let ran: ScriptExecution | undefined;
    if (!outcome.replayed && recorded !== undefined) {
      assert.equal(recorded.executionId, executionId, 'the committed attempt recorded this script');
      ran = await runRecordedScript(context, recorded, context.cardWaitMs);
    } else {
      ran = await runScriptExecution(context, executionId, context.cardWaitMs);
    }
    const execution = ran ?? await getScriptExecution(context, spName, executionId);
    return reply.code(execution.state === 'queued' || execution.state === 'running' ? 202 : 200).send(execution);
  });

  app.get('/v1/conversations/:id/scripts/:executionId', {
    schema: {
      summary: 'A script and its responses',
      params: Type.Object({ id: Type.String({ format: 'uuid' }), executionId: Type.String({ format: 'uuid' }) }),
      response: { 200: ScriptExecution, ...ERRORS },
    },
  }, async (request) => getScriptExecution(context, identify(request), request.params.executionId));

  app.post('/v1/secure-elements/:cin/pre-personalization', {
    schema: {
      summary: 'Pre-personalize: your security domain, the generic application instantiated and extradited into it',
      headers: IdempotencyHeaders, params: Type.Object({ cin: Cin }), body: OperationBody,
      response: { 200: OperationResponse, 202: OperationResponse, ...ERRORS },
    },
  }, async (request, reply) => {
    const spName = identify(request);
    const operation = await recordedOperation(request, spName, (trx) =>
      recordOperation(trx, context, spName, 'pre-personalization', request.params.cin, request.body, { runNow: true }));
    return reply.code(operation.state === 'completed' ? 200 : 202).send(operationReply(operation));
  });

  app.post('/v1/secure-elements/:cin/provisional-keys', {
    schema: {
      summary: 'Hand over the provisional keys of your new security domain, once; rotate them with PUT KEY',
      params: Type.Object({ cin: Cin }), response: { 200: KeyHandover, ...ERRORS },
    },
  }, async (request) => handOverProvisionalKeys(context, identify(request), request.params.cin));

  app.post('/v1/services/activate', {
    schema: { summary: 'Activate a service on a secure element', headers: IdempotencyHeaders, body: ActivationBody, response: { 200: OperationResponse, 202: OperationResponse, ...ERRORS } },
  }, async (request, reply) => {
    const spName = identify(request);
    const { cin, msi, serviceId } = request.body;
    if (request.body.serviceQualifier.spName !== spName) throw tsmError(TsmErrorCode.forbidden, 'the service qualifier names another service provider');
    // The CIN and MSI are checked together in the transaction that records the operation.
    const operation = await recordedOperation(request, spName, (trx) =>
      recordOperation(trx, context, spName, 'activation', cin, { serviceId }, { msi, runNow: true }));
    return reply.code(operation.state === 'completed' ? 200 : 202).send(operationReply(operation));
  });

  app.get('/v1/operations/:id', {
    schema: { summary: 'A pre-personalization or activation', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: OperationResponse, ...ERRORS } },
  }, async (request) => operationReply(await getOperation(context, identify(request), request.params.id)));
}

function operationStatus(operation: Operation): number {
  const code = operation.error?.code ?? '';
  const known: Record<string, number> = {
    ERR_TSM_NOT_ELIGIBLE: 422, ERR_TSM_CARD_REFUSED: 502, ERR_TSM_CARD_UNREACHABLE: 503, ERR_TSM_EXPIRED: 410, ERR_TSM_NOT_FOUND: 404, ERR_TSM_KEYS_NOT_HELD: 409,
  };
  return known[code] ?? 500;
}
