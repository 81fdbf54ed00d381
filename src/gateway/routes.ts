import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { Type } from 'typebox';
import { createIdempotencyStore, hashRequest, type IdempotentResponse } from '../infra/db/index.js';
import { errorResponses, getVerifiedClientCertificate, type HttpApp } from '../infra/http/index.js';
import type { AcquirerLink } from './bankLink.js';
import type { GatewayContext } from './context.js';
import { addCard, addPhone, changePassword, insertEnrolment, mapEnrolmentConflict, prepareEnrolment, setCustomerStatus, setLimits } from './customers.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { findPartner } from './partners.js';
import { createPayment, getPayment, listTransitions, paymentJSON, type Payment } from './payments.js';
import { partnerFromCertificate } from './pki.js';
import { executeRefund, getRefund, recordRefund } from './refunds.js';
import { GATEWAY_SCHEMA, type GatewayDatabase, type PartnerRole } from './schema.js';

/**
 * The partner API on mutual TLS: merchants (payments, refunds) and issuing banks (customer
 * enrolment), each named by its client certificate from the gateway CA (SAN URI) and pinned by
 * the certificate's fingerprint. Every mutating call takes an Idempotency-Key.
 */

const ERRORS = errorResponses(400, 401, 403, 404, 409, 410, 422, 423, 429, 500, 503);
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 255, description: 'Stripe-style idempotency key' }) });
const AmountMinor = Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'Amount in minor units, as a decimal string' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 alphabetic code' });

const CreatePaymentBody = Type.Object({
  orderId: Type.String({ minLength: 1, maxLength: 64 }),
  amountMinor: AmountMinor,
  currency: Currency,
  description: Type.String({ maxLength: 200 }),
  returnUrl: Type.String({ minLength: 8, maxLength: 2000 }),
  notifyUrl: Type.String({ minLength: 8, maxLength: 2000 }),
}, { additionalProperties: false });

const PaymentResponse = Type.Object({
  id: Type.String(), orderId: Type.String(), amountMinor: Type.String(), currency: Type.String(),
  status: Type.Union(['created', 'awaiting_code', 'authorized', 'succeeded', 'failed', 'expired', 'canceled'].map((value) => Type.Literal(value))),
  refundedMinor: Type.String(), failureCode: Type.Optional(Type.String()), checkoutUrl: Type.Optional(Type.String()),
  bankAuthorizationCode: Type.Optional(Type.String()),
  transitions: Type.Optional(Type.Array(Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.String(), reason: Type.String(), at: Type.String() }, { additionalProperties: false }))),
}, { additionalProperties: false });

const RefundResponse = Type.Object({ id: Type.String(), paymentId: Type.String(), amountMinor: Type.String(), status: Type.String() }, { additionalProperties: false });
const Ok = Type.Object({ ok: Type.Boolean() }, { additionalProperties: false });
const Identity = Type.Object({ identityCode: Type.String({ minLength: 4, maxLength: 32 }) });
const Card = Type.Object({ pan: Type.String({ pattern: '^[0-9]{12,19}$' }), expiry: Type.String({ pattern: '^[0-9]{4}$' }) }, { additionalProperties: false });

export interface PartnerRouteDeps {
  readonly context: GatewayContext;
  readonly acquirer: AcquirerLink;
  /** Base URL of the public listener (hosted checkout). */
  readonly publicUrl: () => string;
  readonly notify: () => void;
}

function toPaymentResponse(payment: Payment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...paymentJSON(payment), ...(payment.bankAuthorizationCode === null ? {} : { bankAuthorizationCode: payment.bankAuthorizationCode }), ...extra };
}

export function registerPartnerRoutes(app: HttpApp, deps: PartnerRouteDeps): void {
  const { context } = deps;
  const idempotency = createIdempotencyStore({ schema: GATEWAY_SCHEMA, now: context.now });

  async function identify(request: FastifyRequest, role: PartnerRole): Promise<string> {
    const peer = getVerifiedClientCertificate(request);
    if (peer === undefined) throw gatewayError(GatewayErrorCode.forbidden, 'a client certificate from the gateway CA is required');
    const named = partnerFromCertificate(peer);
    const partner = await findPartner(context, named.id);
    if (partner === undefined || partner.role !== named.role || partner.fingerprint !== named.fingerprint256) {
      throw gatewayError(GatewayErrorCode.forbidden, 'this certificate is not (or no longer) a partner\'s');
    }
    if (partner.role !== role) throw gatewayError(GatewayErrorCode.forbidden, `this API is for ${role}s`);
    return partner.id;
  }

  async function idempotent(request: FastifyRequest, scope: string, work: (trx: Transaction<GatewayDatabase>) => Promise<IdempotentResponse>): Promise<{ replayed: boolean; status: number; body: Record<string, unknown> }> {
    const key = (request.headers as Record<string, string | undefined>)['idempotency-key'] ?? '';
    const outcome = await idempotency.run<GatewayDatabase>(context.db, {
      scope, key, requestHash: hashRequest({ method: request.method, path: request.url, body: request.body ?? null }),
    }, work);
    return { replayed: outcome.replayed, status: outcome.status, body: outcome.body as Record<string, unknown> };
  }

  app.post('/v1/payments', {
    schema: { summary: 'Create a payment; send the customer to checkoutUrl', tags: ['merchant'], headers: IdempotencyHeaders, body: CreatePaymentBody, response: { 201: PaymentResponse, ...ERRORS } },
  }, async (request, reply) => {
    const merchantId = await identify(request, 'merchant');
    const body = request.body;
    const outcome = await idempotent(request, `merchant:${merchantId}:payments`, async (trx) => {
      const { payment, checkoutToken } = await createPayment(trx, context, merchantId, { ...body, amountMinor: BigInt(body.amountMinor) });
      return { status: 201, body: toPaymentResponse(payment, { checkoutUrl: `${deps.publicUrl()}/pay/${checkoutToken}` }) };
    });
    return reply.code(outcome.status as 201).send(outcome.body as never);
  });

  app.get('/v1/payments/:id', {
    schema: { summary: 'A payment with its state history', tags: ['merchant'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: PaymentResponse, ...ERRORS } },
  }, async (request) => {
    const merchantId = await identify(request, 'merchant');
    const payment = await getPayment(context, merchantId, request.params.id);
    const transitions = (await listTransitions(context, payment.id)).map((item) => ({ ...item, at: item.at.toISOString() }));
    return toPaymentResponse(payment, { transitions });
  });

  app.post('/v1/payments/:id/refunds', {
    schema: {
      summary: 'Refund a succeeded payment (all or part)', tags: ['merchant'], headers: IdempotencyHeaders, params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ amountMinor: AmountMinor }, { additionalProperties: false }), response: { 201: RefundResponse, ...ERRORS },
    },
  }, async (request, reply) => {
    const merchantId = await identify(request, 'merchant');
    const outcome = await idempotent(request, `merchant:${merchantId}:refunds`, async (trx) => {
      const refund = await recordRefund(trx, context, merchantId, request.params.id, BigInt(request.body.amountMinor));
      return { status: 201, body: { ...refund, amountMinor: refund.amountMinor.toString() } };
    });
    const id = String(outcome.body['id']);
    const refund = outcome.replayed ? await getRefund(context, id) : await executeRefund(context, deps.acquirer, id);
    deps.notify();
    return reply.code(201).send({ ...refund, amountMinor: refund.amountMinor.toString() });
  });

  // The issuing bank's enrolment API (seed 002: the bank pushes enable / cancel / limits in real time).
  const enrolBody = Type.Object({
    identityCode: Type.Optional(Type.String({ minLength: 4, maxLength: 32 })),
    password: Type.String({ minLength: 8, maxLength: 64 }),
    phones: Type.Array(Type.String({ pattern: '^[0-9]{5,15}$' }), { minItems: 1, maxItems: 5 }),
    cards: Type.Array(Card, { minItems: 1, maxItems: 10 }),
    perPaymentLimitMinor: AmountMinor, dailyLimitMinor: AmountMinor, currency: Currency,
  }, { additionalProperties: false });
  app.post('/v1/customers', {
    schema: { summary: 'Enrol a customer for online payment', tags: ['bank'], headers: IdempotencyHeaders, body: enrolBody, response: { 201: Type.Object({ customerId: Type.String(), identityCode: Type.String() }, { additionalProperties: false }), ...ERRORS } },
  }, async (request, reply) => {
    const bankId = await identify(request, 'bank');
    const body = request.body;
    // scrypt runs before the idempotency transaction. The request hash leaves the password out: an
    // unsalted hash of it must not sit in idempotency_keys.
    const prepared = await prepareEnrolment(context, {
      ...(body.identityCode === undefined ? {} : { identityCode: body.identityCode }), password: body.password, phones: body.phones, cards: body.cards,
      perPaymentLimitMinor: BigInt(body.perPaymentLimitMinor), dailyLimitMinor: BigInt(body.dailyLimitMinor), currency: body.currency,
    });
    let outcome;
    try {
      outcome = await idempotency.run<GatewayDatabase>(context.db, {
        scope: `bank:${bankId}:customers`, key: (request.headers as Record<string, string | undefined>)['idempotency-key'] ?? '',
        requestHash: hashRequest({ method: request.method, path: request.url, body: { ...body, password: null } }),
      }, async (trx) => ({ status: 201, body: await insertEnrolment(trx, context, prepared) }));
    } catch (error) {
      throw mapEnrolmentConflict(error);
    }
    const result = outcome.body as { customerId: string; identityCode: string };
    context.logger.info({ bankId, customerId: result.customerId, replayed: outcome.replayed }, 'customer enrolled');
    deps.notify();
    return reply.code(201).send(result);
  });
  const patchBody = Type.Object({
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 64 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('canceled')])),
    perPaymentLimitMinor: Type.Optional(AmountMinor), dailyLimitMinor: Type.Optional(AmountMinor),
    addPhone: Type.Optional(Type.String({ pattern: '^[0-9]{5,15}$' })), addCard: Type.Optional(Card),
  }, { additionalProperties: false });
  app.post('/v1/customers/:identityCode/changes', {
    schema: { summary: 'Change a customer: password, limits, enable/cancel, phones, cards (each change sets a state, so a retry is harmless; addPhone/addCard answer 409 when already there)', tags: ['bank'], params: Identity, body: patchBody, response: { 200: Ok, ...ERRORS } },
  }, async (request) => {
    await identify(request, 'bank');
    const { identityCode } = request.params;
    const body = request.body;
    if (body.password !== undefined) await changePassword(context, identityCode, body.password);
    if (body.status !== undefined) await setCustomerStatus(context, identityCode, body.status);
    if (body.perPaymentLimitMinor !== undefined && body.dailyLimitMinor !== undefined) {
      await setLimits(context, identityCode, { perPaymentLimitMinor: BigInt(body.perPaymentLimitMinor), dailyLimitMinor: BigInt(body.dailyLimitMinor) });
    }
    if (body.addPhone !== undefined) await addPhone(context, identityCode, body.addPhone);
    if (body.addCard !== undefined) await addCard(context, identityCode, body.addCard);
    deps.notify();
    return { ok: true };
  });
}
