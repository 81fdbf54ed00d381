import type { HttpApp } from './buildHttpApp.js';

/** Loopback unless told otherwise: exposing a service to the network is a decision, not a default. */
export const LISTEN_HOST_DEFAULT = '127.0.0.1';

export interface ListenOptions {
  readonly host?: string;
  /** 0 (the default) asks the operating system for a free port; the chosen one is in `url`. */
  readonly port?: number;
}

export interface ListeningServer {
  /** Base URL, scheme included (`https://` when the app has TLS), e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish, closes idle connections. Safe to call twice. */
  stop(): Promise<void>;
}

export async function listen(app: HttpApp, options: ListenOptions = {}): Promise<ListeningServer> {
  const url = await app.listen({ host: options.host ?? LISTEN_HOST_DEFAULT, port: options.port ?? 0 });
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop: () => {
      stopping ??= app.close();
      return stopping;
    },
  };
}
