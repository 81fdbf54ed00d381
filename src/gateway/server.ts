import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { migrate } from '../infra/db/index.js';
import { addHealthRoute, buildHttpApp, listen, type ListeningServer } from '../infra/http/index.js';
import type { Logger } from '../infra/log/index.js';
import { dialectByName, ISO8583Client, type ISO8583DialectName } from '../bank/client.js';
import { connectSMPP, SmscErrorCode, type SMPPClient } from '../smsc/client.js';
import { isTesseraError } from '../lib/errors.js';
import { acquirerLinkOf, Reconnecting } from './links.js';
import type { CheckoutDeps } from './checkout.js';
import type { GatewayContext, GatewayPolicy } from './context.js';
import {
  OTP_ATTEMPTS_MAX_DEFAULT, OTP_RESEND_INTERVAL_MS, OTP_TTL_MS_DEFAULT, OUTBOX_WORKER_INTERVAL_MS, WEBHOOK_RETRY_DELAY_MS_BASE, WEBHOOK_RETRY_DELAY_MS_MAX,
} from './limits.js';
import { createOutboxTransport, startOutboxWorker, type OutboxTransport } from './outbox.js';
import type { GatewayPki } from './pki.js';
import { addFormParser, registerCheckoutRoutes } from './publicRoutes.js';
import { registerPartnerRoutes } from './routes.js';
import { GATEWAY_SCHEMA, gatewayMigrations, type GatewayDatabase } from './schema.js';
import { registerShopRoutes, type ShopConfig, type ShopState } from './shop.js';

export const GATEWAY_VERSION = '1.0.0';

function isSMPPFailure(error: unknown): boolean {
  return isTesseraError(error) && error.code === SmscErrorCode.deliveryFailed;
}

export interface GatewayConfig {
  readonly host: string;
  /** Partner API (merchants, banks) on mutual TLS; 0 picks a free port. */
  readonly partnerPort: number;
  /** Hosted checkout and demo shop (server-authenticated TLS); 0 picks a free port. */
  readonly publicPort: number;
  /** Base URL customers' browsers reach the public listener at (default: the listener's own URL). */
  readonly publicUrl?: string;
  /** The SMS source address (a short code the gateway's ESME owns). */
  readonly smsFrom: string;
  readonly outboxIntervalMs?: number;
  readonly policy?: Partial<GatewayPolicy>;
}

export interface GatewayDeps {
  readonly db: Kysely<GatewayDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  /** 32 bytes: authorization-code HMAC key and webhook-secret sealing key. */
  readonly secretKey: Uint8Array;
  readonly pki: GatewayPki;
  /** The SMSC's SMPP port and the gateway's ESME account there. */
  readonly smpp: { readonly host: string; readonly port: number; readonly systemId: string; readonly password: string };
  /** The bank processing system: the acquirer's ISO 8583 host. */
  readonly acquirer: { readonly host: string; readonly port: number; readonly dialect?: ISO8583DialectName };
  /** Replaces the SMPP/HTTP transport of notifications (tests). */
  readonly outboxTransport?: OutboxTransport;
}

export interface RunningGateway {
  /** Partner API base URL (mutual TLS). */
  readonly partnerUrl: string;
  /** Hosted checkout base URL. */
  readonly publicUrl: string;
  readonly context: GatewayContext;
  /** Runs an outbox delivery round now. */
  deliverNotifications(): Promise<void>;
  /** Points the demo shop (/shop) at a merchant's credential. */
  configureShop(config: ShopConfig): void;
  readonly shop: ShopState;
  stop(): Promise<void>;
}

/**
 * Starts the online payment gateway (seed 002): migrations, an SMPP session to the SMSC, an ISO
 * 8583 link to the acquirer, the partner API (mutual TLS), the public checkout listener, and the
 * outbox worker.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<RunningGateway> {
  await migrate(deps.db, GATEWAY_SCHEMA, gatewayMigrations);
  const policy: GatewayPolicy = {
    otpTtlMs: OTP_TTL_MS_DEFAULT, otpAttemptsMax: OTP_ATTEMPTS_MAX_DEFAULT, otpResendIntervalMs: OTP_RESEND_INTERVAL_MS,
    webhookRetryDelayMsBase: WEBHOOK_RETRY_DELAY_MS_BASE, webhookRetryDelayMsMax: WEBHOOK_RETRY_DELAY_MS_MAX, ...config.policy,
  };
  const context: GatewayContext = { db: deps.db, random: deps.random, now: deps.now, logger: deps.logger, secretKey: deps.secretKey, policy };
  const started: { sms?: Reconnecting<SMPPClient>; acquirer?: Reconnecting<ISO8583Client>; partner?: ListeningServer; public?: ListeningServer } = {};
  try {
    const connectSMS = (): Promise<SMPPClient> => connectSMPP({ host: deps.smpp.host, port: deps.smpp.port, systemId: deps.smpp.systemId, password: deps.smpp.password, bindAs: 'transmitter' });
    const connectAcquirer = (): Promise<ISO8583Client> => ISO8583Client.connect({
      host: deps.acquirer.host, port: deps.acquirer.port, dialect: dialectByName(deps.acquirer.dialect ?? 'bcd'), now: () => new Date(deps.now()),
      onReversalFailed: (reversal, error) => deps.logger.error({ err: error, stan: reversal.fields.get(11) }, 'reversal to the acquirer was never acknowledged'),
    });
    started.sms = new Reconnecting('smpp', await connectSMS(), connectSMS, deps.logger);
    started.acquirer = new Reconnecting('acquirer', await connectAcquirer(), connectAcquirer, deps.logger);
    const smsLink = started.sms;
    // At least once: a submit that failed on a dead session is sent again on a new one.
    const sms = { sendText: (input: Parameters<SMPPClient['sendText']>[0]) => smsLink.use((client) => client.sendText(input), isSMPPFailure) };
    const acquirer = acquirerLinkOf(started.acquirer);
    const transport = deps.outboxTransport ?? createOutboxTransport(sms, config.smsFrom, deps.pki.caCertificatePEM);
    const worker = startOutboxWorker(context, transport, config.outboxIntervalMs ?? OUTBOX_WORKER_INTERVAL_MS);
    const notify = (): void => { void worker.kick(); };
    let publicUrl = config.publicUrl ?? '';
    const checkoutDeps: CheckoutDeps = { context, sms, smsFrom: config.smsFrom, acquirer, notify };

    const partnerApp = await buildHttpApp({
      logger: deps.logger,
      openapi: { title: 'Tessera online payment gateway: partner API', version: GATEWAY_VERSION, description: 'Seed 002. Merchants create payments and refunds; issuing banks enrol customers. Mutual TLS with client certificates from the gateway CA.' },
      tls: { key: deps.pki.server.privateKeyPEM, cert: deps.pki.server.certificatePEM, ca: deps.pki.caCertificatePEM, requestCert: true, rejectUnauthorized: true },
    });
    addHealthRoute(partnerApp);
    registerPartnerRoutes(partnerApp, { context, acquirer, publicUrl: () => publicUrl, notify });

    const publicApp = await buildHttpApp({
      logger: deps.logger, docs: false,
      openapi: { title: 'Tessera online payment gateway: hosted checkout', version: GATEWAY_VERSION },
      tls: { key: deps.pki.server.privateKeyPEM, cert: deps.pki.server.certificatePEM },
    });
    addHealthRoute(publicApp);
    addFormParser(publicApp);
    registerCheckoutRoutes(publicApp, checkoutDeps);
    const shop: ShopState = { config: undefined, events: [] };
    registerShopRoutes(publicApp, context, shop, () => publicUrl);

    started.partner = await listen(partnerApp, { host: config.host, port: config.partnerPort });
    started.public = await listen(publicApp, { host: config.host, port: config.publicPort });
    if (publicUrl === '') publicUrl = started.public.url;
    const running = { sms: smsLink, acquirer: started.acquirer, partner: started.partner, public: started.public };
    deps.logger.info({ partnerUrl: running.partner.url, publicUrl }, 'gateway up');
    return {
      partnerUrl: running.partner.url,
      publicUrl,
      context,
      shop,
      deliverNotifications: () => worker.kick(),
      configureShop(shopConfig) { shop.config = shopConfig; },
      async stop() {
        await worker.stop();
        await Promise.all([running.partner.stop(), running.public.stop()]);
        shop.config?.client.close();
        await running.acquirer.close();
        await running.sms.close();
      },
    };
  } catch (error) {
    await started.partner?.stop();
    await started.public?.stop();
    await started.acquirer?.close();
    await started.sms?.close();
    throw error;
  }
}
