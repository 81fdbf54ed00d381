import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TesseraError } from '../../lib/errors.js';
import { ADMIN_PROTOCOL, ADMIN_RESPONSE_CONTENT_TYPE, AdminHeader, AdminScriptStatus, RAM_SCRIPT_BYTES_MAX } from '../../lib/ram/index.js';
import { CardAgentErrorCode } from './errors.js';

/** An answer of the administration server, body read in full (at most RAM_SCRIPT_BYTES_MAX bytes). */
export interface AdminAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export interface AdminPost {
  readonly url: URL;
  /** The response script; undefined on a session's first POST. */
  readonly body: Uint8Array | undefined;
  /** Repeating a POST whose answer was lost (Amendment B X-Admin-Resume). */
  readonly resume: boolean;
}

export interface AdminClient {
  post(request: AdminPost, signal: AbortSignal): Promise<AdminAnswer>;
  close(): void;
}

export interface AdminClientOptions {
  /** X-Admin-From. */
  readonly agentId: string;
  /** PEM of the authority that issued the TSM's certificate, for HTTPS with a private CA. */
  readonly ca?: string | Buffer;
  readonly timeoutMs: number;
}

function networkError(message: string, cause?: unknown): TesseraError {
  return new TesseraError(CardAgentErrorCode.network, message, cause === undefined ? {} : { cause });
}

/**
 * The agent's HTTP(S) client: node:http/node:https with one keep-alive connection, as a handset
 * keeps its TLS session for the whole admin session. Node's bundled undici cannot be imported
 * without installing it, and fetch cannot take a private CA, so this uses node:https's `ca`.
 */
export function createAdminClient(options: AdminClientOptions): AdminClient {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  return {
    post: (request, signal) => new Promise<AdminAnswer>((resolve, reject) => {
      const https = request.url.protocol === 'https:';
      const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.length);
      const headers: Record<string, string> = {
        [AdminHeader.protocol]: ADMIN_PROTOCOL,
        [AdminHeader.from]: options.agentId,
        'content-length': String(body.length),
      };
      if (request.body !== undefined) {
        headers['content-type'] = ADMIN_RESPONSE_CONTENT_TYPE;
        headers[AdminHeader.scriptStatus] = AdminScriptStatus.ok;
      }
      if (request.resume) headers[AdminHeader.resume] = 'true';
      const send = https ? httpsRequest : httpRequest;
      const outgoing = send(request.url, { method: 'POST', headers, agent: https ? httpsAgent : httpAgent, signal, timeout: options.timeoutMs }, (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > RAM_SCRIPT_BYTES_MAX) {
            outgoing.destroy(networkError(`the answer is larger than ${RAM_SCRIPT_BYTES_MAX} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: new Uint8Array(Buffer.concat(chunks)) }));
        incoming.on('error', (error) => reject(networkError('the connection broke while reading the answer', error)));
      });
      outgoing.on('timeout', () => outgoing.destroy(networkError(`no answer within ${options.timeoutMs} ms`)));
      outgoing.on('error', (error) => reject(error instanceof TesseraError || signal.aborted ? error : networkError(`POST ${request.url.pathname} failed: ${error.message}`, error)));
      outgoing.end(body);
    }),
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
