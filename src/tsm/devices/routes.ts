import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { TSM_REQUEST_SIGNATURE_HEADER } from '../../applets/crypto-se/client.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import { fromHex, toHex } from '../../lib/bytes.js';
import { createIdempotencyStore, hashRequest } from '../../infra/db/index.js';
import { errorResponses, type HttpApp } from '../../infra/http/index.js';
import type { TsmContext } from '../context.js';
import type { TsmPki } from '../pkiStore.js';
import { TSM_SCHEMA } from '../schema.js';
import type { ApplicationSigningKey } from './applicationSigningKey.js';
import { deviceApplications, installDeviceUpdates } from './catalogue.js';
import { CERTIFICATION_REQUEST_BYTES_MAX } from './certificationRequestFacts.js';
import { credentialPackagesFor, deployCredential, type DeployedCredential } from './credentials.js';
import { approvePINUnblock, PIN_UNBLOCK_APPROVAL_VALIDITY_MS, PIN_UNBLOCK_APPROVALS_LIVE_MAX } from './approvePINUnblock.js';
import { registerDevice } from './registerDevice.js';
import { PIN_UNBLOCK_CHALLENGE_BYTES, signPINUnblock } from './signPINUnblock.js';
import { DEVICE_REQUEST_WINDOW_SECONDS, verifyDeviceRequest } from './verifyDeviceRequest.js';

export interface DeviceRouteDeps {
  readonly pki: TsmPki;
  readonly random: RandomSource;
  /** Verifies catalogue signatures before sending them (optional: the App SE verifies anyway). */
  readonly applicationSigningKey?: ApplicationSigningKey;
  /** The OTA admin path of the carrier that reaches an App SE, from its MNO's route. */
  readonly otaPathOf: (carrier: string) => string;
}

const DeviceId = Type.String({ pattern: '^[0-9A-Fa-f]{2,32}$', description: 'The device id: its Crypto SE\'s CIN, hex' });
const Counter = Type.String({ pattern: '^[0-9A-Fa-f]{16}$', description: '64-bit counter, 16 hex digits' });
const Registration = Type.Object({
  deviceId: Type.String(), certificate: Type.String({ description: 'The device certificate, PEM' }), rootCertificate: Type.String({ description: 'The TSM root CA certificate, PEM' }),
  serialNumber: Type.String(), subject: Type.String(), notAfter: Type.String(),
}, { additionalProperties: false });
const Application = Type.Object({
  name: Type.String(), packageAid: Type.String(), version: Type.String(), moduleAid: Type.String(), instanceAid: Type.String(), signingKeyId: Type.String(),
}, { additionalProperties: false });
const DeviceApplication = Type.Object({
  name: Type.String(), packageAid: Type.String(), version: Type.String(), moduleAid: Type.String(), instanceAid: Type.String(), signingKeyId: Type.String(),
  installedVersion: Type.Union([Type.String(), Type.Null()]),
}, { additionalProperties: false });
const Updates = Type.Object({
  otaPath: Type.Union([Type.String(), Type.Null()], { description: 'Where the App SE\'s admin agent connects (OTA endpoint), null if the App SE has no route' }),
  applications: Type.Array(DeviceApplication),
}, { additionalProperties: false });
const UpdateOutcome = Type.Object({
  installed: Type.Array(Application),
  failed: Type.Array(Type.Object({ packageAid: Type.String(), code: Type.String(), message: Type.String() }, { additionalProperties: false })),
}, { additionalProperties: false });
const Packages = Type.Object({
  packages: Type.Array(Type.Object({ counter: Type.String(), credentialSlot: Type.Integer(), package: Type.String() }, { additionalProperties: false })),
}, { additionalProperties: false });
const CredentialBody = Type.Object({
  credentialSlot: Type.Integer({ minimum: 1, maximum: 4 }),
  pan: Type.String({ pattern: '^[0-9]{12,19}$', description: 'The token PAN the issuer generated (Luhn-valid)' }),
  expiry: Type.String({ pattern: '^[0-9]{6}$', description: 'YYMMDD' }),
  cvv: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}$' })),
  emv: Type.Optional(Type.Object({
    iccMasterKey: Type.String({ pattern: '^[0-9A-Fa-f]{32}$', description: 'ICC master key for application cryptograms (EMV option A from the issuer\'s IMK), hex; sealed to the device key, never stored by the TSM' }),
    panSequenceNumber: Type.Integer({ minimum: 0, maximum: 99 }),
  }, { additionalProperties: false, description: 'EMV keys, so the Crypto SE can make ARQCs for tap to pay' })),
}, { additionalProperties: false });
const PINUnblockApprovalBody = Type.Object({
  reference: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z._:/-]{1,64}$', description: 'Your case reference (e.g. the call-centre ticket), kept in the TSM audit log' })),
}, { additionalProperties: false });
const PINUnblockApproval = Type.Object({
  approvalId: Type.String({ format: 'uuid' }),
  expiresAt: Type.String({ description: `ISO 8601: the device may redeem the approval once until then (${PIN_UNBLOCK_APPROVAL_VALIDITY_MS / 60_000} minutes)` }),
}, { additionalProperties: false });
const PINUnblockBody = Type.Object({
  challenge: Type.String({
    pattern: `^[0-9A-Fa-f]{${PIN_UNBLOCK_CHALLENGE_BYTES * 2}}$`,
    description: `The ${PIN_UNBLOCK_CHALLENGE_BYTES} bytes the Crypto SE's GET CHALLENGE answered in the session that will send UNBLOCK PIN, hex`,
  }),
}, { additionalProperties: false });
const PINUnblock = Type.Object({
  signature: Type.String({ description: 'The TSM root key\'s ECDSA P-256/SHA-256 signature, DER, hex, over "tessera.crypto-se/unblock-pin/v1" ‖ challenge: the data of UNBLOCK PIN\'s 9E' }),
}, { additionalProperties: false });
const Deployed = Type.Object({ deviceId: Type.String(), counter: Type.String(), credentialSlot: Type.Integer(), panLastFour: Type.String() }, { additionalProperties: false });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ minLength: 1, maxLength: 255 }) });
const ERRORS = errorResponses(400, 403, 404, 409, 422, 500, 502, 503);
const SIGNED_ERRORS = errorResponses(400, 401, 403, 404, 409, 415, 422, 500, 502, 503);
/** The signed routes' bodies are empty, `{}` or a challenge: anything near this is not a device's request. */
const SIGNED_REQUEST_BODY_BYTES_MAX = 1024;
const SignatureHeaders = Type.Object({
  [TSM_REQUEST_SIGNATURE_HEADER]: Type.Optional(Type.String({
    description: 'Required (401 ERR_TSM_DEVICE_SIGNATURE_MISSING without it): t=<unix seconds>,n=<32 upper-case hex nonce>,s=<base64 DER ECDSA signature>. '
      + 'The Crypto SE signs, with the device key the TSM certified, "tessera.crypto-se/tsm-request/v1" ‖ SHA-256("TSM_REQUEST_V1\\n" METHOD "\\n" path?query "\\n" t "\\n" n "\\n" hex(SHA-256(body bytes))). '
      + `Refused (401): a malformed header or bad signature (ERR_TSM_DEVICE_SIGNATURE_INVALID), t more than ${DEVICE_REQUEST_WINDOW_SECONDS} s off (ERR_TSM_DEVICE_SIGNATURE_STALE), a nonce already used (ERR_TSM_DEVICE_SIGNATURE_REPLAYED).`,
  })),
});

async function otaPathFor(context: TsmContext, deviceId: string, deps: DeviceRouteDeps): Promise<string | null> {
  const route = await context.db.selectFrom('tsm.devices as device')
    .innerJoin('tsm.secure_elements as element', 'element.cin', 'device.app_se_cin')
    .innerJoin('tsm.mno_routes as route', 'route.mno', 'element.mno')
    .select('route.ota_carrier').where('device.id', '=', deviceId.toUpperCase()).executeTakeFirst();
  return route === undefined ? null : deps.otaPathOf(route.ota_carrier);
}

/**
 * The device-facing API (issue 5), served beside the OTA endpoint (server-authenticated TLS: a
 * device has no SP certificate). Registration is authenticated by what it carries — a request
 * signed by the Crypto SE key the maker reported, with a fresh registration counter; the other
 * routes by a request signature the Crypto SE makes with the certified device key (SIGN TSM
 * REQUEST, header Tessera-Device-Signature), checked before the handler runs.
 */
export function registerDeviceRoutes(app: HttpApp, context: TsmContext, deps: DeviceRouteDeps): void {
  app.post('/v1/devices/registrations', {
    schema: {
      summary: 'Register a device: certify its Crypto SE key from a PKCS#10 request (seed 000 [0058])',
      body: Type.Object({
        deviceId: DeviceId,
        certificationRequest: Type.String({ pattern: `^([0-9A-Fa-f]{2}){1,${CERTIFICATION_REQUEST_BYTES_MAX}}$`, description: 'PKCS#10 DER, hex' }),
      }, { additionalProperties: false }),
      response: { 201: Registration, ...ERRORS },
    },
  }, async (request, reply) => {
    const registration = await registerDevice(context, deps.pki.root, {
      deviceId: request.body.deviceId, certificationRequest: new Uint8Array(Buffer.from(request.body.certificationRequest, 'hex')),
    }, deps.random);
    return reply.code(201).send({
      deviceId: registration.deviceId, certificate: registration.certificatePEM, rootCertificate: deps.pki.rootPEM,
      serialNumber: registration.serialNumber, subject: registration.subject, notAfter: registration.notAfter,
    });
  });

  // The other device routes answer only a request the device's Crypto SE signed (verifyDeviceRequest.ts).
  void app.register((scope, _options, done) => {
    registerSignedDeviceRoutes(scope, context, deps);
    done();
  });
}

/**
 * The routes that authenticate the device by its signed request. In their own scope: a JSON parser
 * that keeps the exact body bytes the signature covers (a re-serialized object would not be the
 * bytes the device hashed), no other body type, and the verification before every handler.
 */
function registerSignedDeviceRoutes(app: HttpApp, context: TsmContext, deps: DeviceRouteDeps): void {
  const rawBodies = new WeakMap<IncomingMessage, Uint8Array>();
  // Fastify's own JSON parser (prototype-poisoning checks included), fed the bytes we keep.
  const parseJSON = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: SIGNED_REQUEST_BODY_BYTES_MAX }, (request, body, done) => {
    const bytes = new Uint8Array(body as Buffer);
    rawBodies.set(request.raw, bytes);
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    void parseJSON(request, Buffer.from(bytes).toString('utf8'), done);
  });
  app.addHook('preHandler', async (request) => {
    const params = request.params as { readonly id?: string };
    const header = request.headers[TSM_REQUEST_SIGNATURE_HEADER];
    await verifyDeviceRequest(context, {
      deviceId: params.id ?? '', method: request.method, pathWithQuery: request.raw.url ?? '',
      header: typeof header === 'string' ? header : undefined,
      // No parser ran: a GET, or a request without a body. Either way zero bytes were sent or read.
      body: rawBodies.get(request.raw) ?? new Uint8Array(0),
    });
  });

  app.get('/v1/devices/:id/updates', {
    schema: {
      summary: 'The TSM-signed App SE applications and what this device has installed (signed by the device)',
      headers: SignatureHeaders, params: Type.Object({ id: DeviceId }), response: { 200: Updates, ...SIGNED_ERRORS },
    },
  }, async (request) => ({
    otaPath: await otaPathFor(context, request.params.id, deps),
    applications: await deviceApplications(context, request.params.id),
  }));

  app.post('/v1/devices/:id/updates', {
    schema: {
      summary: 'Install missing or newer applications on the device\'s App SE over the air (its agent must be connected; signed by the device)',
      headers: SignatureHeaders, params: Type.Object({ id: DeviceId }), response: { 200: UpdateOutcome, ...SIGNED_ERRORS },
    },
  }, async (request) => {
    const outcome = await installDeviceUpdates(context, request.params.id, deps.applicationSigningKey);
    return { installed: [...outcome.installed], failed: [...outcome.failed] };
  });

  app.get('/v1/devices/:id/credential-packages', {
    schema: {
      summary: 'Credential packages for the device above a counter (sealed to its key, TSM-signed; signed by the device)',
      headers: SignatureHeaders, params: Type.Object({ id: DeviceId }), querystring: Type.Object({ after: Counter }, { additionalProperties: false }),
      response: { 200: Packages, ...SIGNED_ERRORS },
    },
  }, async (request) => ({ packages: await credentialPackagesFor(context, request.params.id, request.query.after) }));

  app.post('/v1/devices/:id/pin-unblocks', {
    schema: {
      summary: 'Redeem the SP\'s PIN unblock approval: the TSM signs the Crypto SE\'s challenge for UNBLOCK PIN, once (signed by the device)',
      headers: SignatureHeaders, params: Type.Object({ id: DeviceId }), body: PINUnblockBody, response: { 200: PINUnblock, ...SIGNED_ERRORS },
    },
  }, async (request) => {
    const signed = await signPINUnblock(context, deps.pki.root.privateKey, request.params.id, fromHex(request.body.challenge));
    return { signature: toHex(signed.signature) };
  });
}

/** The SP side (on the SP-TSM API, mutual TLS): an issuer deploys a credential to a registered device, or approves a PIN unblock for a device it serves. */
export function registerDeviceSPRoutes(app: HttpApp, context: TsmContext, identify: (request: FastifyRequest) => string, deps: DeviceRouteDeps): void {
  const idempotency = createIdempotencyStore({ schema: TSM_SCHEMA, now: context.now });
  app.post('/v1/devices/:id/credentials', {
    schema: {
      summary: 'Deploy a payment credential to a device over the air (seed 000 [0060]-[0062])',
      headers: IdempotencyHeaders, params: Type.Object({ id: DeviceId }), body: CredentialBody, response: { 201: Deployed, ...ERRORS },
    },
  }, async (request, reply) => {
    const spName = identify(request);
    const key = (request.headers as Record<string, string | undefined>)['idempotency-key'] ?? '';
    const outcome = await idempotency.run(context.db, {
      scope: `sp:${spName}`, key, requestHash: hashRequest({ method: request.method, path: request.url, body: request.body }),
    }, async (trx) => {
      const deployed: DeployedCredential = await deployCredential(trx, deps.pki.root.privateKey, spName, request.params.id, request.body, deps.random);
      return { status: 201, body: { ...deployed } };
    });
    return reply.code(201).send(outcome.body as unknown as DeployedCredential);
  });

  app.post('/v1/devices/:id/pin-unblock-approvals', {
    schema: {
      summary: `Approve one PIN unblock for a device you serve (you deployed a credential to it): the device may redeem it once within ${PIN_UNBLOCK_APPROVAL_VALIDITY_MS / 60_000} minutes; at most ${PIN_UNBLOCK_APPROVALS_LIVE_MAX} unused at a time`,
      headers: IdempotencyHeaders, params: Type.Object({ id: DeviceId }), body: PINUnblockApprovalBody, response: { 201: PINUnblockApproval, ...ERRORS },
    },
  }, async (request, reply) => {
    const spName = identify(request);
    const key = (request.headers as Record<string, string | undefined>)['idempotency-key'] ?? '';
    const { reference } = request.body;
    const outcome = await idempotency.run(context.db, {
      scope: `sp:${spName}`, key, requestHash: hashRequest({ method: request.method, path: request.url, body: request.body }),
    }, async (trx) => {
      const approval = await approvePINUnblock(trx, { spName, deviceId: request.params.id, ...(reference === undefined ? {} : { reference }) }, context.now());
      return { status: 201, body: { approvalId: approval.approvalId, expiresAt: approval.expiresAt } };
    });
    return reply.code(201).send(outcome.body as unknown as Static<typeof PINUnblockApproval>);
  });
}
