import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PAYMENT_ATTESTATION_RECORD_BYTES, PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX } from '../../applets/crypto-se/client.js';
import { fromHex } from '../../lib/bytes.js';
import { errorResponses, type HttpApp } from '../../infra/http/index.js';
import type { TsmContext } from '../context.js';
import { paymentVelocity, VELOCITY_WINDOW_SECONDS_MAX, VELOCITY_WINDOW_SECONDS_MIN } from './paymentVelocity.js';
import { recordPaymentReport } from './recordPaymentReport.js';

/** Shortest DER ECDSA signature the route takes: SEQUENCE { INTEGER r, INTEGER s } with one-byte values. */
const SIGNATURE_BYTES_MIN = 8;

const DeviceId = Type.String({ pattern: '^[0-9A-Fa-f]{2,32}$', description: 'The device id: its Crypto SE\'s CIN, hex' });
const LastFour = Type.String({ pattern: '^[0-9]{4}$', description: 'The last four digits of the payment instrument' });
const PaymentReportBody = Type.Object({
  record: Type.String({
    pattern: `^[0-9A-Fa-f]{${PAYMENT_ATTESTATION_RECORD_BYTES * 2}}$`,
    description: `The ${PAYMENT_ATTESTATION_RECORD_BYTES}-byte payment attestation record, hex: version ‖ last four ‖ ATC ‖ date ‖ cryptogram ‖ counter (docs/fraud-feed.md)`,
  }),
  signature: Type.String({
    pattern: `^([0-9A-Fa-f]{2}){${SIGNATURE_BYTES_MIN},${PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX}}$`,
    description: 'ECDSA P-256/SHA-256 by the device key, DER, hex, over "tessera.crypto-se/payment-attestation/v1" ‖ record',
  }),
}, { additionalProperties: false });
const PaymentReport = Type.Object({
  deviceId: Type.String(), attestationCounter: Type.String({ description: '16 hex digits' }), lastFour: Type.String(), atc: Type.Integer(),
  transactionDate: Type.String({ description: 'YYYY-MM-DD (the Crypto SE clock)' }), receivedAt: Type.String(),
}, { additionalProperties: false, description: 'What the TSM stored (with the signature): nothing else' });
const VelocityQuery = Type.Object({
  deviceId: Type.Optional(DeviceId),
  last4: Type.Optional(LastFour),
  windowSeconds: Type.Integer({ minimum: VELOCITY_WINDOW_SECONDS_MIN, maximum: VELOCITY_WINDOW_SECONDS_MAX, description: 'How far back, by the TSM\'s receive time' }),
}, { additionalProperties: false });
const Velocity = Type.Object({
  deviceId: Type.Union([Type.String(), Type.Null()]),
  lastFour: Type.Union([Type.String(), Type.Null()]),
  windowSeconds: Type.Integer(),
  from: Type.String(),
  to: Type.String(),
  payments: Type.Integer({ description: 'Payment reports that match, among the devices you serve' }),
  distinctDevices: Type.Integer({ description: 'Devices among them (one last four on many devices)' }),
  distinctLastFours: Type.Integer({ description: 'Last fours among them (one device, many cards)' }),
}, { additionalProperties: false });
const ERRORS = errorResponses(400, 403, 404, 409, 500);

export interface FraudRouteApps {
  /** The device-facing listener (the OTA listener: server-authenticated TLS), where the device routes are. */
  readonly device: HttpApp;
  /** The SP-TSM API (mutual TLS). */
  readonly sp: HttpApp;
}

/**
 * The fraud feed (seed 000 [0090], docs/fraud-feed.md): devices deliver payment attestations
 * beside the other device routes; SPs ask velocity questions on the SP-TSM API, named by their
 * client certificate (`identify`).
 */
export function registerFraudRoutes(apps: FraudRouteApps, context: TsmContext, identify: (request: FastifyRequest) => string): void {
  apps.device.post('/v1/devices/:id/payment-reports', {
    schema: {
      summary: 'Deliver a payment attestation (fraud feed, seed 000 [0090]): verified against the device certificate, stored as last four + signature information',
      params: Type.Object({ id: DeviceId }), body: PaymentReportBody, response: { 201: PaymentReport, ...ERRORS },
    },
  }, async (request, reply) => {
    const recorded = await recordPaymentReport(context, request.params.id, { record: fromHex(request.body.record), signature: fromHex(request.body.signature) });
    return reply.code(201).send({ ...recorded });
  });

  apps.sp.get('/v1/fraud/velocity', {
    schema: {
      summary: 'Fraud velocity over the payment reports of the devices you serve: payments, distinct devices, distinct last fours in a window',
      querystring: VelocityQuery, response: { 200: Velocity, ...ERRORS },
    },
  }, async (request) => {
    const spName = identify(request);
    return paymentVelocity(context, spName, {
      windowSeconds: request.query.windowSeconds,
      ...(request.query.deviceId === undefined ? {} : { deviceId: request.query.deviceId }),
      ...(request.query.last4 === undefined ? {} : { lastFour: request.query.last4 }),
    });
  });
}
