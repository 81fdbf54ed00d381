import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { netError, NetErrorCode } from './errors.js';
import { FramedConnection, type FramedConnectionOptions } from './framedConnection.js';

/** Connections one framed server accepts at once; more are refused at accept. */
export const FRAMED_CONNECTIONS_MAX = 1_000;
/** How long connectFramed waits for the TCP handshake. */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface FramedServerOptions extends FramedConnectionOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly connectionsMax?: number;
  /** Called for every accepted connection; it owns the connection from then on. */
  readonly onConnection: (connection: FramedConnection) => void;
}

export interface FramedServer {
  readonly host: string;
  readonly port: number;
  readonly connections: ReadonlySet<FramedConnection>;
  /** Stops accepting, closes every connection (gracefully, then by force) and waits. */
  close(): Promise<void>;
}

export async function createFramedServer(options: FramedServerOptions): Promise<FramedServer> {
  const connections = new Set<FramedConnection>();
  const connectionsMax = options.connectionsMax ?? FRAMED_CONNECTIONS_MAX;
  const server = createServer((socket: Socket) => {
    if (connections.size >= connectionsMax) {
      socket.destroy();
      return;
    }
    const connection = new FramedConnection(socket, options);
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
    options.onConnection(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: options.host,
    port: address.port,
    connections,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.close()));
      await stopped;
    },
  };
}

export interface ConnectFramedOptions extends FramedConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs?: number;
}

export function connectFramed(options: ConnectFramedOptions): Promise<FramedConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(netError(NetErrorCode.connect, `no connection to ${options.host}:${options.port} within ${options.timeoutMs ?? CONNECT_TIMEOUT_MS} ms`));
    }, options.timeoutMs ?? CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new FramedConnection(socket, options));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(netError(NetErrorCode.connect, `could not connect to ${options.host}:${options.port}`, error));
    });
  });
}
