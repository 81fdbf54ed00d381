import { request as httpsRequest } from 'node:https';

export interface FormPage {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

/**
 * A cookie-keeping HTTPS client that walks the hosted checkout's forms as a browser would (the
 * pages need no script): for `tessera demo`, tests and anyone scripting a checkout. It trusts only
 * the CA it is given (the gateway's).
 */
export class CheckoutFormClient {
  readonly #cookies = new Map<string, string>();
  readonly #ca: string;

  constructor(caCertificatePEM: string) {
    this.#ca = caCertificatePEM;
  }

  request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<FormPage> {
    const payload = form === undefined ? undefined : new URLSearchParams(form).toString();
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(url, {
        method, ca: this.#ca,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
          ...(this.#cookies.size === 0 ? {} : { cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ') }),
        },
      }, (response) => {
        for (const line of response.headers['set-cookie'] ?? []) {
          const [pair] = line.split(';');
          const at = pair?.indexOf('=') ?? -1;
          if (pair === undefined || at <= 0) continue;
          if (/Max-Age=0/i.test(line)) this.#cookies.delete(pair.slice(0, at));
          else this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
      });
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  /**
   * POSTs a form of the page at `pageUrl` (fetched now unless its HTML is given) with the page's
   * CSRF token, and follows a 303 like a browser. `action` is resolved against `pageUrl`.
   */
  async submit(pageUrl: string, action: string, fields: Record<string, string>, pageHTML?: string): Promise<{ url: string; status: number; body: string }> {
    const page = pageHTML ?? (await this.request('GET', pageUrl)).body;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const target = new URL(action, pageUrl).toString();
    const posted = await this.request('POST', target, { csrf, lang: 'en', ...fields });
    if (posted.status !== 303 || posted.location === undefined) return { url: target, status: posted.status, body: posted.body };
    const next = new URL(posted.location, pageUrl).toString();
    const followed = await this.request('GET', next);
    return { url: next, status: followed.status, body: followed.body };
  }
}
