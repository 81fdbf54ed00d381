import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'typebox';
import { constantTimeEqual, toHex, utf8 } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import { errorResponses, type HttpApp } from '../infra/http/index.js';
import { DEMO, issueDemoCredential, manufactureDemoPhone, type DemoFactory, type DemoIssuer } from './demoSetup.js';

/**
 * The two steps of `tessera demo` that need the platform's database and secrets, run by the
 * running `tessera up` on the demo's behalf (the embedded database belongs to that one process):
 *
 * - `POST /v1/demo/phones`: the factory makes a new phone under `<data>/demo/phones/` and hands it
 *   over to the TSM (its central SD keys go to the TSM, never over this API);
 * - `POST /v1/demo/phones/:deviceId/card`: the demo bank issues a card on the demo customer's
 *   account and deploys its credential to that phone through the SP-TSM API.
 *
 * Everything else — registration through the Crypto SE, the over-the-air install, receiving the
 * credential, paying — the demo does itself, as the phone and the terminal. These routes change
 * state, so unlike the rest of the console they need a bearer token: a fresh one each start in
 * `<data>/demo-control.token` (readable by its owner only); whoever can read it can read the
 * data directory's keys anyway.
 */

export const DEMO_CONTROL_TOKEN_FILE_NAME = 'demo-control.token';
const TOKEN_BYTES = 32;
/** The directory of the phones `tessera demo` makes, one per run. */
export const DEMO_PHONES_DIRECTORY = join('demo', 'phones');
/** New phones' MSISDNs: this prefix and random digits (the TSM registers App SEs by a unique MSI). */
const PHONE_MSISDN_PREFIX = '861390';
const PHONE_MSISDN_RANDOM_DIGITS = 7;

/** What the routes work with, once the demo is set up on this start (undefined until then). */
export interface DemoControlDeps {
  readonly dataDir: string;
  readonly factory: DemoFactory;
  readonly issuer: () => DemoIssuer;
  readonly accountId: string | undefined;
  /** The TSM's device endpoint (OTA listener) the new phone talks to. */
  readonly tsmDeviceUrl: string;
}

export interface NewDemoPhone {
  readonly deviceDirectory: string;
  readonly deviceId: string;
  readonly msisdn: string;
  readonly tsmDeviceUrl: string;
}

/** Writes this start's token (replacing an old one) readable by its owner only; returns it and how to remove it. */
export function createDemoControlToken(dataDir: string, random: RandomSource): { token: string; remove(): void } {
  const path = join(dataDir, DEMO_CONTROL_TOKEN_FILE_NAME);
  const token = toHex(random.bytes(TOKEN_BYTES));
  rmSync(path, { force: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return { token, remove: () => rmSync(path, { force: true }) };
}

export function readDemoControlToken(dataDir: string): string {
  return readFileSync(join(dataDir, DEMO_CONTROL_TOKEN_FILE_NAME), 'utf8').trim();
}

function randomMSISDN(random: RandomSource): string {
  let digits = PHONE_MSISDN_PREFIX;
  for (const byte of random.bytes(PHONE_MSISDN_RANDOM_DIGITS)) digits += String(byte % 10);
  return digits;
}

const NewPhoneResponse = Type.Object({
  deviceDirectory: Type.String(), deviceId: Type.String(), msisdn: Type.String(), tsmDeviceUrl: Type.String(),
}, { additionalProperties: false });

/** Adds the demo control routes to the console (before it listens); `deps()` answers undefined until the demo is ready. */
export function registerDemoControl(app: HttpApp, token: string, deps: () => DemoControlDeps | undefined): void {
  const expected = utf8(`Bearer ${token}`);
  const ready = (authorization: string | undefined): DemoControlDeps => {
    const received = utf8(authorization ?? '');
    if (received.length !== expected.length || !constantTimeEqual(received, expected)) {
      throw new TesseraError('ERR_DEMO_CONTROL_UNAUTHORIZED', `demo control needs the bearer token in ${DEMO_CONTROL_TOKEN_FILE_NAME}`, { httpStatus: 401 });
    }
    const current = deps();
    if (current === undefined) throw new TesseraError('ERR_PLATFORM_STARTING', 'the demo is not set up on this platform (starting, or --no-demo)', { httpStatus: 503 });
    return current;
  };
  const headers = Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 200 })) });

  app.post('/v1/demo/phones', {
    schema: {
      summary: 'tessera demo: manufacture a new phone and hand it over to the TSM (bearer token)',
      headers,
      response: { 201: NewPhoneResponse, ...errorResponses(401, 500, 503) },
    },
  }, async (request, reply) => {
    const current = ready(request.headers.authorization);
    const msisdn = randomMSISDN(current.factory.random);
    const deviceDirectory = join(current.dataDir, DEMO_PHONES_DIRECTORY, `${Date.now()}-${msisdn}`);
    mkdirSync(join(current.dataDir, DEMO_PHONES_DIRECTORY), { recursive: true, mode: 0o700 });
    const { deviceId } = await manufactureDemoPhone(current.factory, deviceDirectory, msisdn);
    const phone: NewDemoPhone = { deviceDirectory, deviceId, msisdn, tsmDeviceUrl: current.tsmDeviceUrl };
    return reply.code(201).send(phone);
  });

  app.post('/v1/demo/phones/:deviceId/card', {
    schema: {
      summary: `tessera demo: the demo bank issues a card on ${DEMO.customer}'s account and deploys it to the phone through the SP-TSM API (bearer token)`,
      headers,
      params: Type.Object({ deviceId: Type.String({ pattern: '^[0-9A-Fa-f]{2,32}$' }) }),
      response: { 201: Type.Object({ panLastFour: Type.String() }, { additionalProperties: false }), ...errorResponses(400, 401, 500, 503) },
    },
  }, async (request, reply) => {
    const current = ready(request.headers.authorization);
    if (current.accountId === undefined) {
      throw new TesseraError('ERR_DEMO_SETUP', 'the demo was set up by an earlier version (no account kept): remove the data directory and start again', { httpStatus: 503 });
    }
    const issuer = current.issuer();
    try {
      const card = await issueDemoCredential(issuer, { accountId: current.accountId, deviceId: request.params.deviceId });
      return await reply.code(201).send({ panLastFour: card.pan.slice(-4) });
    } finally {
      issuer.issuerMasterKey.fill(0);
      issuer.sp.close();
    }
  });
}
