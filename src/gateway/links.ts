import { isTesseraError } from '../lib/errors.js';
import type { ISO8583Message } from '../lib/iso8583/index.js';
import { ISO8583ChannelErrorCode } from '../bank/client.js';
import type { Logger } from '../infra/log/index.js';

/**
 * Long-lived connections to the SMSC (SMPP) and the acquirer (ISO 8583) that come back after the
 * other side restarts: a call that fails because the connection is gone reconnects and is tried
 * once more. Safe for the 0200: the bank keys it on (terminal, STAN, field 7), so a repeat replays.
 * A timeout is not retried here (the ISO 8583 client has already reversed the request).
 */

interface Closable { close(): Promise<void> }

export class Reconnecting<T extends Closable> {
  #current: Promise<T>;
  readonly #connect: () => Promise<T>;
  readonly #logger: Logger;
  readonly #name: string;

  constructor(name: string, first: T, connect: () => Promise<T>, logger: Logger) {
    this.#current = Promise.resolve(first);
    this.#connect = connect;
    this.#logger = logger;
    this.#name = name;
  }

  async use<R>(call: (link: T) => Promise<R>, retriable: (error: unknown) => boolean): Promise<R> {
    const link = await this.#current;
    try {
      return await call(link);
    } catch (error) {
      if (!retriable(error)) throw error;
      this.#logger.warn({ err: error, link: this.#name }, 'link failed; reconnecting once');
      const fresh = this.#connect();
      this.#current = fresh.catch(() => link);
      await link.close().catch(() => undefined);
      return call(await fresh);
    }
  }

  async close(): Promise<void> {
    await (await this.#current).close();
  }
}

export function isChannelClosed(error: unknown): boolean {
  return isTesseraError(error) && error.code === ISO8583ChannelErrorCode.closed;
}

export function acquirerLinkOf(link: Reconnecting<Closable & { request(message: ISO8583Message): Promise<ISO8583Message> }>): { request(message: ISO8583Message): Promise<ISO8583Message> } {
  return { request: (message) => link.use((client) => client.request(message), isChannelClosed) };
}
