import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DAY_MS = 24 * 60 * 60 * 1000;

export function hasOpenSSL(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export interface OpenSSLVerdict {
  readonly ok: boolean;
  readonly output: string;
}

/**
 * `openssl verify -CAfile <trusted> [-untrusted <intermediates>] <leaf>` with the real binary, from
 * PEM files in a scratch directory. OpenSSL checks the chain at the current time.
 */
export function opensslVerify(trustedPEM: string, leafPEM: string, intermediatesPEM?: string): OpenSSLVerdict {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-pki-'));
  try {
    writeFileSync(join(directory, 'trusted.pem'), trustedPEM);
    writeFileSync(join(directory, 'leaf.pem'), leafPEM);
    const args = ['verify', '-CAfile', 'trusted.pem'];
    if (intermediatesPEM !== undefined) {
      writeFileSync(join(directory, 'untrusted.pem'), intermediatesPEM);
      args.push('-untrusted', 'untrusted.pem');
    }
    args.push('leaf.pem');
    const result = spawnSync('openssl', args, { cwd: directory, encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** `openssl x509 -noout -text` of a PEM certificate. */
export function opensslText(certificatePEM: string): string {
  const result = spawnSync('openssl', ['x509', '-noout', '-text'], { input: certificatePEM, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl x509 failed: ${result.stderr}`);
  return result.stdout;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS GET with node:https, which (unlike fetch) can present a client certificate. */
export function httpsGet(url: string, options: { ca: string; cert?: string; key?: string }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ...options, method: 'GET', agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
