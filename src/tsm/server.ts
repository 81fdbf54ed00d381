import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { migrate } from '../infra/db/index.js';
import { addHealthRoute, buildHttpApp, getVerifiedClientCertificate, listen, type ListeningServer } from '../infra/http/index.js';
import type { Logger } from '../infra/log/index.js';
import { TsmLimits, type TsmContext } from './context.js';
import { tsmError, TsmErrorCode } from './errors.js';
import type { TsmKeyStore } from './keys.js';
import { OTAGateway, registerOTARoutes } from './ota/index.js';
import { spNameFromCertificate } from './pki/index.js';
import { certificateOf, type TsmPki } from './pkiStore.js';
import { RoutedCardLinks } from './routedLinks.js';
import { CardLocks } from './cardLocks.js';
import { registerTsmRoutes } from './routes.js';
import { TSM_SCHEMA, tsmMigrations, type TsmDatabase } from './schema.js';
import type { CardLinkProvider } from './types.js';
import { startWorker } from './worker.js';
import { registerDeviceRoutes, registerDeviceSPRoutes, type ApplicationSigningKey } from './devices/index.js';
import { registerFraudRoutes } from './fraud/index.js';

export const TSM_VERSION = '1.0.0';
/** The admin route of one OTA carrier: each MNO's agents use their carrier's URL. */
export function otaPath(carrier: string): string {
  return `/ota/${encodeURIComponent(carrier)}/v1/admin`;
}

export interface TsmServerConfig {
  readonly host: string;
  /** The SP-TSM API (HTTPS, mutual TLS); 0 picks a free port. */
  readonly port: number;
  /** The OTA endpoint for card agents (HTTPS, server-authenticated); 0 picks a free port. */
  readonly otaPort: number;
  readonly cardWaitMs?: number;
  readonly workerIntervalMs?: number;
  readonly otaPollWaitMs?: number;
}

export interface TsmServerDeps {
  readonly db: Kysely<TsmDatabase>;
  readonly keyStore: TsmKeyStore;
  readonly pki: TsmPki;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  /** Extra ways to reach cards (in-process cards of `tessera up`), by carrier label. */
  readonly extraCarriers?: ReadonlyMap<string, CardLinkProvider>;
  /** The App SE application-signing key (issue 5); the catalogue's signatures are checked with it before sending. */
  readonly applicationSigningKey?: ApplicationSigningKey;
}

export interface RunningTsm {
  /** Base URL of the SP-TSM API. */
  readonly url: string;
  /** Base URL of the OTA endpoint; a carrier's agents append otaPath(carrier). */
  readonly otaUrl: string;
  readonly context: TsmContext;
  readonly gateways: ReadonlyMap<string, OTAGateway>;
  stop(): Promise<void>;
}

/**
 * Starts the central TSM: migrations, the SP-TSM API on mutual TLS (SPs are named by their client
 * certificates from the SP CA), the OTA endpoint with one gateway per carrier in the route table,
 * and the worker that delivers queued scripts and operations when cards come online.
 */
export async function startTsm(config: TsmServerConfig, deps: TsmServerDeps): Promise<RunningTsm> {
  await migrate(deps.db, TSM_SCHEMA, tsmMigrations);
  const routes = await deps.db.selectFrom('tsm.mno_routes').select('ota_carrier').distinct().execute();
  const gateways = new Map<string, OTAGateway>();
  for (const { ota_carrier: carrier } of routes) {
    gateways.set(carrier, new OTAGateway({
      carrier,
      now: deps.now,
      ...(config.otaPollWaitMs === undefined ? {} : { pollWaitMs: config.otaPollWaitMs }),
      logger: deps.logger,
    }));
  }
  const carriers = new Map<string, CardLinkProvider>([...gateways, ...(deps.extraCarriers ?? [])]);
  const context: TsmContext = {
    db: deps.db,
    keyStore: deps.keyStore,
    cards: new RoutedCardLinks(deps.db, carriers),
    random: deps.random,
    now: deps.now,
    logger: deps.logger,
    cardWaitMs: config.cardWaitMs ?? TsmLimits.CARD_WAIT_MS,
    cardLocks: new CardLocks(),
  };

  const spCA = certificateOf(deps.pki.spCAPEM);
  const api = await buildHttpApp({
    logger: deps.logger,
    openapi: { title: 'Tessera central TSM: SP-TSM API', version: TSM_VERSION, description: 'Seed 001: SE look-up by MSI, conversations, scripts, pre-personalization, activation. Mutual TLS: SPs are named by client certificates from the TSM\'s SP CA.' },
    tls: { key: deps.pki.serverPEM.privateKeyPEM, cert: deps.pki.serverPEM.certificatePEM, ca: deps.pki.spCAPEM, requestCert: true, rejectUnauthorized: true },
  });
  addHealthRoute(api);
  // A connection's certificate does not change: it is checked once per TLS connection, and only
  // its validity period again on later requests (a kept-alive connection can outlive it).
  const identities = new WeakMap<object, { name: string; notAfterMs: number }>();
  const identifySP = (request: FastifyRequest): string => {
    const socket = request.raw.socket;
    const known = identities.get(socket);
    if (known !== undefined && deps.now() < known.notAfterMs) return known.name;
    const peer = getVerifiedClientCertificate(request);
    if (peer === undefined) throw tsmError(TsmErrorCode.forbidden, 'a client certificate from the TSM\'s SP CA is required');
    const name = spNameFromCertificate(peer, { expectedIssuer: spCA, now: new Date(deps.now()) });
    identities.set(socket, { name, notAfterMs: Date.parse(peer.valid_to) });
    return name;
  };
  registerTsmRoutes(api, context, identifySP);
  const deviceDeps = {
    pki: deps.pki, random: deps.random, otaPathOf: otaPath,
    ...(deps.applicationSigningKey === undefined ? {} : { applicationSigningKey: deps.applicationSigningKey }),
  };
  // Issue 5: SPs deploy credentials to devices on the SP-TSM API; devices use the OTA listener.
  registerDeviceSPRoutes(api, context, identifySP, deviceDeps);

  const ota = await buildHttpApp({
    logger: deps.logger,
    openapi: { title: 'Tessera central TSM: OTA (GlobalPlatform Amendment B)', version: TSM_VERSION },
    tls: { key: deps.pki.serverPEM.privateKeyPEM, cert: deps.pki.serverPEM.certificatePEM },
  });
  addHealthRoute(ota);
  for (const [carrier, gateway] of gateways) await registerOTARoutes(ota, gateway, { path: otaPath(carrier) });
  registerDeviceRoutes(ota, context, deviceDeps);
  registerFraudRoutes({ device: ota, sp: api }, context, identifySP);

  let apiServer: ListeningServer | undefined;
  let otaServer: ListeningServer | undefined;
  try {
    apiServer = await listen(api, { host: config.host, port: config.port });
    otaServer = await listen(ota, { host: config.host, port: config.otaPort });
  } catch (error) {
    await apiServer?.stop();
    throw error;
  }
  const worker = startWorker(context, config.workerIntervalMs);
  const running = { api: apiServer, ota: otaServer };
  return {
    url: running.api.url,
    otaUrl: running.ota.url,
    context,
    gateways,
    async stop() {
      await worker.stop();
      for (const gateway of gateways.values()) gateway.close();
      await Promise.all([running.api.stop(), running.ota.stop()]);
    },
  };
}
