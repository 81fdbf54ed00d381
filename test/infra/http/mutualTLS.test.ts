import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildHttpApp, getVerifiedClientCertificate, listen } from '../../../src/infra/http/index.js';
import type { ListeningServer } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';

/**
 * Certificates are made with the openssl command at test time, independently of Tessera's own CA
 * code (src/tsm/pki), so this tests the HTTP layer's TLS handling against a second implementation.
 * Keys are ECDSA P-256, valid for one day.
 */
function hasOpenSSL(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Credential {
  readonly certificatePEM: string;
  readonly privateKeyPEM: string;
}

class CertificateWorkshop {
  readonly directory = mkdtempSync(join(tmpdir(), 'tessera-mtls-'));

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.directory, stdio: 'ignore' });
  }

  private read(name: string): Credential {
    return {
      certificatePEM: readFileSync(join(this.directory, `${name}.crt`), 'utf8'),
      privateKeyPEM: readFileSync(join(this.directory, `${name}.key`), 'utf8'),
    };
  }

  createAuthority(name: string): Credential {
    this.openssl(
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    );
    return this.read(name);
  }

  issue(authority: string, name: string, usage: 'serverAuth' | 'clientAuth'): Credential {
    const extensions = [`extendedKeyUsage=${usage}`, 'basicConstraints=CA:FALSE'];
    if (usage === 'serverAuth') extensions.push('subjectAltName=IP:127.0.0.1');
    writeFileSync(join(this.directory, `${name}.ext`), `${extensions.join('\n')}\n`);
    this.openssl(
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    );
    this.openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${authority}.crt`, '-CAkey', `${authority}.key`,
      '-set_serial', String(Date.now()), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
    );
    return this.read(name);
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** One HTTPS GET with node:https, which (unlike fetch) can present a client certificate. */
function get(url: string, options: { ca: string; cert?: string; key?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ...options, method: 'GET' }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('buildHttpApp with mutual TLS', { skip: hasOpenSSL() ? false : 'the openssl command is not installed' }, () => {
  let workshop: CertificateWorkshop;
  let serverAuthority: Credential;
  let client: Credential;
  let stranger: Credential;
  let server: ListeningServer;

  before(async () => {
    workshop = new CertificateWorkshop();
    serverAuthority = workshop.createAuthority('server-ca');
    const clientAuthority = workshop.createAuthority('client-ca');
    const serverCredential = workshop.issue('server-ca', 'server', 'serverAuth');
    client = workshop.issue('client-ca', 'sp-tsm-client', 'clientAuth');
    // Valid, but issued by the server's authority, which is not trusted for clients.
    stranger = workshop.issue('server-ca', 'stranger', 'clientAuth');
    const app = await buildHttpApp({
      logger: createLogger({ level: 'silent' }),
      openapi: { title: 'mTLS test', version: '0' },
      tls: { key: serverCredential.privateKeyPEM, cert: serverCredential.certificatePEM, ca: clientAuthority.certificatePEM, requestCert: true },
    });
    app.get('/whoami', (request) => ({ subject: getVerifiedClientCertificate(request)?.subject.CN ?? null }));
    server = await listen(app);
  });
  after(async () => {
    await server.stop();
    workshop.remove();
  });

  it('admits a client holding a certificate from the configured authority', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:/);
    const response = await get(`${server.url}/whoami`, { ca: serverAuthority.certificatePEM, cert: client.certificatePEM, key: client.privateKeyPEM });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { subject: 'sp-tsm-client' });
  });

  it('refuses a client without a certificate, or with one from another authority', async () => {
    await assert.rejects(get(`${server.url}/whoami`, { ca: serverAuthority.certificatePEM }), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    // TLS 1.3 checks the client's certificate after the client believes the handshake is done, so
    // the refusal arrives as an alert or a reset, depending on timing.
    await assert.rejects(
      get(`${server.url}/whoami`, { ca: serverAuthority.certificatePEM, cert: stranger.certificatePEM, key: stranger.privateKeyPEM }),
      (error: NodeJS.ErrnoException) => error.code === 'ECONNRESET' || /ALERT_(UNKNOWN_CA|DECRYPT_ERROR|BAD_CERTIFICATE)/.test(error.code ?? ''),
    );
    const afterwards = await get(`${server.url}/whoami`, { ca: serverAuthority.certificatePEM, cert: client.certificatePEM, key: client.privateKeyPEM });
    assert.equal(afterwards.status, 200, 'the server still serves trusted clients');
  });

  it('insists on a client-certificate authority when client certificates are requested', async () => {
    await assert.rejects(
      buildHttpApp({
        logger: createLogger({ level: 'silent' }),
        openapi: { title: 'x', version: '0' },
        tls: { key: client.privateKeyPEM, cert: client.certificatePEM, requestCert: true },
      }),
      /needs `ca`/,
    );
  });
});
