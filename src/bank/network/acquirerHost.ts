import { isTesseraError } from '../../lib/errors.js';
import { buildResponse, type ISO8583Message } from '../../lib/iso8583/index.js';
import type { ISO8583Client } from './channel.js';

/**
 * The acquirer's ISO 8583 host: terminals send their 0100/0200/0400 here; the acquirer routes each
 * by the PAN's BIN to the issuer that owns it and relays the answer. The terminal and merchant are
 * checked by the bank when it authorizes (it holds the acquirer's merchants, terminals and
 * settlement accounts, docs/bank.md), so one bank can be both sides. No route for a BIN: '15' (no
 * such issuer); the issuer does not answer: '91' (issuer unavailable), after the issuer link has
 * reversed the forwarded request.
 */

export interface IssuerRoute {
  /** Leading PAN digits this issuer owns (longest prefix wins). */
  readonly binPrefix: string;
  readonly issuer: Pick<ISO8583Client, 'request'>;
}

function panOf(request: ISO8583Message): string | undefined {
  const pan = request.fields.get(2);
  if (typeof pan === 'string') return pan;
  const track2 = request.fields.get(35);
  if (typeof track2 !== 'string') return undefined;
  const separator = track2.search(/[=D]/);
  return separator > 0 ? track2.slice(0, separator) : undefined;
}

export function createAcquirerHandler(routes: readonly IssuerRoute[], onError?: (error: unknown) => void): (request: ISO8583Message) => Promise<ISO8583Message> {
  const ordered = [...routes].sort((a, b) => b.binPrefix.length - a.binPrefix.length);
  return async (request) => {
    const pan = panOf(request);
    const route = pan === undefined ? undefined : ordered.find((candidate) => pan.startsWith(candidate.binPrefix));
    if (route === undefined) return buildResponse(request, { responseCode: '15' });
    try {
      return await route.issuer.request(request);
    } catch (error) {
      onError?.(error);
      if (isTesseraError(error)) return buildResponse(request, { responseCode: '91' });
      throw error;
    }
  };
}
