import { request as httpsRequest, Agent } from 'node:https';

/**
 * A small HTTPS client for the partner API with a client certificate (merchants, banks): what a
 * merchant's server would use, and what the demo shop and the tests use.
 */
export interface PartnerClient {
  call(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): void;
}

export const PARTNER_CLIENT_TIMEOUT_MS = 15_000;

export function createPartnerClient(options: { baseUrl: string; caCertificatePEM: string; certificatePEM?: string; privateKeyPEM?: string }): PartnerClient {
  const agent = new Agent({
    ca: options.caCertificatePEM, keepAlive: true,
    ...(options.certificatePEM === undefined ? {} : { cert: options.certificatePEM }),
    ...(options.privateKeyPEM === undefined ? {} : { key: options.privateKeyPEM }),
  });
  return {
    call(method, path, body, headers = {}) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const request = httpsRequest(new URL(path, options.baseUrl), {
          method, agent, timeout: PARTNER_CLIENT_TIMEOUT_MS,
          headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = text === '' ? {} : JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { text };
            }
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
          response.on('error', reject);
        });
        request.on('timeout', () => request.destroy(new Error('partner API request timed out')));
        request.on('error', reject);
        request.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
