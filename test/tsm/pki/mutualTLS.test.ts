import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildHttpApp, getVerifiedClientCertificate, listen } from '../../../src/infra/http/index.js';
import type { ListeningServer } from '../../../src/infra/http/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { createSystemRandomSource } from '../../../src/lib/crypto/index.js';
import {
  createCertificateAuthority,
  exportCredentialPEM,
  issueClientCertificate,
  issueServerCertificate,
  spNameFromCertificate,
} from '../../../src/tsm/pki/index.js';
import type { CertificateAuthority, CredentialPEM } from '../../../src/tsm/pki/index.js';
import { DAY_MS, httpsGet } from './helpers.js';

/** TLS 1.3 checks the client certificate after the client thinks the handshake is over, so a refusal arrives as an alert or a reset. */
function isTLSRefusal(error: NodeJS.ErrnoException): boolean {
  if (process.env.TESSERA_TEST_SHOW_TLS_ERRORS === '1') console.error('TLS refusal:', error.code);
  return error.code === 'ECONNRESET' || /^ERR_SSL_.*ALERT_/.test(error.code ?? '');
}

describe('SP client certificates over mutual TLS (real sockets)', () => {
  const random = createSystemRandomSource();
  const now = new Date();
  // The authorities start in the past so a certificate can be issued that has already expired.
  const authoritiesIssuedAt = new Date(now.getTime() - 60 * DAY_MS);
  let root: CertificateAuthority;
  let spCA: CertificateAuthority;
  let acme: CredentialPEM;
  let server: ListeningServer;
  let routeCalls = 0;

  before(async () => {
    root = await createCertificateAuthority({ name: 'Tessera TSM Root CA', organization: 'Tessera', validityDays: 3650, now: authoritiesIssuedAt, random });
    spCA = await createCertificateAuthority({ name: 'Tessera TSM SP CA', organization: 'Tessera', validityDays: 3650, now: authoritiesIssuedAt, random, pathLength: 0 });
    const tlsServer = exportCredentialPEM(await issueServerCertificate(root, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 30, now, random }));
    acme = exportCredentialPEM(await issueClientCertificate(spCA, { commonName: 'acme-bank', organization: 'ACME Bank', validityDays: 30, now, random }));
    const app = await buildHttpApp({
      logger: createLogger({ level: 'silent' }),
      openapi: { title: 'pki mTLS test', version: '0' },
      docs: false,
      tls: { key: tlsServer.privateKeyPEM, cert: tlsServer.certificatePEM, ca: spCA.certificate.toString(), requestCert: true, rejectUnauthorized: true },
    });
    app.get('/whoami', (request) => {
      routeCalls += 1;
      const peer = getVerifiedClientCertificate(request);
      assert.ok(peer !== undefined, 'TLS let a request through without a verified certificate');
      return { sp: spNameFromCertificate(peer, { expectedIssuer: spCA.certificate, now: new Date() }) };
    });
    server = await listen(app);
  });
  after(async () => {
    await server.stop();
  });

  it('admits an SP holding a certificate from the SP CA, and the route sees its name', async () => {
    const answer = await httpsGet(`${server.url}/whoami`, { ca: root.certificate.toString(), cert: acme.certificatePEM, key: acme.privateKeyPEM });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { sp: 'acme-bank' });
  });

  it('lets the SP verify the TSM by the root CA only: the SP CA does not vouch for servers', async () => {
    await assert.rejects(
      httpsGet(`${server.url}/whoami`, { ca: spCA.certificate.toString(), cert: acme.certificatePEM, key: acme.privateKeyPEM }),
      { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    );
  });

  it('refuses at TLS a client without a certificate; nothing reaches the route', async () => {
    const before = routeCalls;
    await assert.rejects(httpsGet(`${server.url}/whoami`, { ca: root.certificate.toString() }), isTLSRefusal);
    assert.equal(routeCalls, before);
  });

  it('refuses a certificate from another CA, even one with the same name', async () => {
    const impostorCA = await createCertificateAuthority({ name: 'Tessera TSM SP CA', organization: 'Tessera', validityDays: 3650, now: authoritiesIssuedAt, random });
    const impostor = exportCredentialPEM(await issueClientCertificate(impostorCA, { commonName: 'acme-bank', validityDays: 30, now, random }));
    // The root certifies devices and the TSM's server: it must not be able to make an SP either.
    const fromRoot = exportCredentialPEM(await issueClientCertificate(root, { commonName: 'acme-bank', validityDays: 30, now, random }));
    const before = routeCalls;
    for (const credential of [impostor, fromRoot]) {
      await assert.rejects(
        httpsGet(`${server.url}/whoami`, { ca: root.certificate.toString(), cert: credential.certificatePEM, key: credential.privateKeyPEM }),
        isTLSRefusal,
      );
    }
    assert.equal(routeCalls, before);
  });

  it('refuses an expired certificate', async () => {
    const expired = exportCredentialPEM(
      await issueClientCertificate(spCA, { commonName: 'acme-bank', validityDays: 1, now: new Date(now.getTime() - 30 * DAY_MS), random }),
    );
    const before = routeCalls;
    await assert.rejects(
      httpsGet(`${server.url}/whoami`, { ca: root.certificate.toString(), cert: expired.certificatePEM, key: expired.privateKeyPEM }),
      isTLSRefusal,
    );
    assert.equal(routeCalls, before);
    const still = await httpsGet(`${server.url}/whoami`, { ca: root.certificate.toString(), cert: acme.certificatePEM, key: acme.privateKeyPEM });
    assert.equal(still.status, 200, 'the server still serves trusted clients');
  });
});
