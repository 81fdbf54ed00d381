import type { Logger } from 'pino';
import { ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, type ISO8583Dialect, type ISO8583Message } from '../../lib/iso8583/index.js';
import type { BankContext } from '../context.js';
import { createBankService, type BankService } from '../service.js';
import { createAcquirerHandler, type IssuerRoute } from './acquirerHost.js';
import { ISO8583Client, startISO8583Server, type ISO8583Server } from './channel.js';
import { createIssuerHandler } from './issuerHost.js';

/**
 * The bank as a service (DESIGN.md §2: start(config, deps) → { ports, stop() }): the issuer's ISO
 * 8583 host and the acquirer's, on their own ports. The acquirer reaches the issuer over a real
 * ISO 8583 connection, like any other issuer it routes to; its routing table is every BIN range
 * this bank issues (read at start and on `refreshRoutes()`), so a card of another BIN gets '15'.
 * Stateless apart from the database: several instances against one PostgreSQL share the work.
 */

export type ISO8583DialectName = 'ascii' | 'bcd';

/** How often an unknown BIN may make the acquirer re-read its routing table. */
export const ROUTES_REFRESH_MS = 1_000;

export interface BankServerConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly issuerPort: number;
  readonly acquirerPort: number;
  readonly dialect?: ISO8583DialectName;
}

export interface BankServerDeps {
  readonly context: BankContext;
  readonly logger: Logger;
}

export interface RunningBank {
  readonly service: BankService;
  readonly issuer: { readonly host: string; readonly port: number };
  readonly acquirer: { readonly host: string; readonly port: number };
  readonly dialect: ISO8583Dialect;
  /** Re-reads the BIN ranges the acquirer routes to this bank's issuer. */
  refreshRoutes(): Promise<void>;
  stop(): Promise<void>;
}

export function dialectByName(name: ISO8583DialectName): ISO8583Dialect {
  return name === 'ascii' ? ISO8583_ASCII_DIALECT : ISO8583_BCD_DIALECT;
}

export async function startBank(config: BankServerConfig, deps: BankServerDeps): Promise<RunningBank> {
  const dialect = dialectByName(config.dialect ?? 'bcd');
  const service = createBankService(deps.context);
  const logger = deps.logger;
  const onError = (error: unknown): void => logger.warn({ err: error }, 'ISO 8583 request failed');
  let issuer: ISO8583Server | undefined;
  let issuerLink: ISO8583Client | undefined;
  let acquirer: ISO8583Server | undefined;
  try {
    issuer = await startISO8583Server({
      host: config.host, port: config.issuerPort, dialect, onError,
      handle: createIssuerHandler(service, { now: () => new Date(deps.context.now()) }),
    });
    const link = await ISO8583Client.connect({
      host: config.host, port: issuer.port, dialect,
      onReversalFailed: (reversal, error) => logger.error({ err: error, stan: reversal.fields.get(11) }, 'reversal to the issuer was never acknowledged'),
    });
    issuerLink = link;
    let routeCount = 0;
    let route = createAcquirerHandler([], onError);
    const refreshRoutes = async (): Promise<void> => {
      const ranges = await deps.context.db.selectFrom('bank.bin_ranges').select('prefix').execute();
      const routes: IssuerRoute[] = ranges.map((range) => ({ binPrefix: range.prefix, issuer: link }));
      routeCount = routes.length;
      route = createAcquirerHandler(routes, onError);
    };
    await refreshRoutes();
    // A BIN range added while the acquirer runs (tessera bank bin add) is found on its first card:
    // an unknown BIN re-reads the ranges, at most once per ROUTES_REFRESH_MS.
    let refreshedAt = Date.now();
    acquirer = await startISO8583Server({
      host: config.host, port: config.acquirerPort, dialect, onError,
      handle: async (request: ISO8583Message) => {
        const answer = await route(request);
        if (answer.fields.get(39) !== '15' || Date.now() - refreshedAt < ROUTES_REFRESH_MS) return answer;
        refreshedAt = Date.now();
        await refreshRoutes();
        return route(request);
      },
    });
    const started = { issuer, acquirer, link };
    logger.info({ issuerPort: issuer.port, acquirerPort: acquirer.port, routes: routeCount }, 'bank up');
    return {
      service,
      issuer: { host: config.host, port: issuer.port },
      acquirer: { host: config.host, port: acquirer.port },
      dialect,
      refreshRoutes,
      async stop() {
        await started.acquirer.close();
        await started.link.close();
        await started.issuer.close();
        logger.info('bank stopped');
      },
    };
  } catch (error) {
    await acquirer?.close();
    await issuerLink?.close();
    await issuer?.close();
    throw error;
  }
}
