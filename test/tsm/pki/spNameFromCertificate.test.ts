import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { createSystemRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  PKIErrorCode,
  createCertificateAuthority,
  issueCertificateFromCSR,
  issueClientCertificate,
  issueServerCertificate,
  spNameFromCertificate,
} from '../../../src/tsm/pki/index.js';
import type { CertificateAuthority, CertificateSubject } from '../../../src/tsm/pki/index.js';
import { x509 } from '../../../src/tsm/pki/x509.js';
import { DAY_MS } from './helpers.js';

const random = createSystemRandomSource();
const now = new Date();

/** What tls.TLSSocket#getPeerCertificate() gives; only `raw` is read. */
function peer(certificate: X509Certificate): PeerCertificate {
  return { raw: certificate.raw } as PeerCertificate;
}

function isRefusal(error: unknown): boolean {
  return error instanceof TesseraError && error.code === PKIErrorCode.clientCertificateInvalid && error.httpStatus === 401;
}

async function fromRequest(ca: CertificateAuthority, subject: CertificateSubject): Promise<X509Certificate> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return issueCertificateFromCSR(ca, new Uint8Array(request.rawData), { subjectOverride: subject, extendedKeyUsage: ['clientAuth'], validityDays: 30, now, random });
}

describe('spNameFromCertificate', () => {
  let root: CertificateAuthority;
  let spCA: CertificateAuthority;

  before(async () => {
    const past = new Date(now.getTime() - 60 * DAY_MS);
    root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now: past, random });
    spCA = await createCertificateAuthority({ name: 'SP CA', validityDays: 3650, now: past, random, pathLength: 0 });
  });

  it('reads the SP name from a certificate the SP CA issued', async () => {
    const sp = await issueClientCertificate(spCA, { commonName: 'acme-bank', validityDays: 30, now, random });
    assert.equal(spNameFromCertificate(peer(sp.certificate), { expectedIssuer: spCA.certificate, now }), 'acme-bank');
  });

  it('refuses a certificate from another CA, even the TSM root', async () => {
    const fromRoot = await issueClientCertificate(root, { commonName: 'acme-bank', validityDays: 30, now, random });
    assert.throws(() => spNameFromCertificate(peer(fromRoot.certificate), { expectedIssuer: spCA.certificate, now }), isRefusal);
  });

  it('refuses a certificate that is not valid at the given time', async () => {
    const sp = await issueClientCertificate(spCA, { commonName: 'acme-bank', validityDays: 1, now, random });
    const later = new Date(now.getTime() + 2 * DAY_MS);
    assert.throws(() => spNameFromCertificate(peer(sp.certificate), { expectedIssuer: spCA.certificate, now: later }), isRefusal);
    const earlier = new Date(now.getTime() - DAY_MS);
    assert.throws(() => spNameFromCertificate(peer(sp.certificate), { expectedIssuer: spCA.certificate, now: earlier }), isRefusal);
  });

  it('refuses the CA itself, a server certificate, and certificates without the SP name in both places', async () => {
    const server = await issueServerCertificate(spCA, { dnsNames: ['acme-bank'], ipAddresses: [], validityDays: 30, now, random });
    const withoutAltName = await fromRequest(spCA, { commonName: 'acme-bank' });
    const badName = await fromRequest(spCA, { commonName: 'ACME Bank' });
    for (const certificate of [spCA.certificate, server.certificate, withoutAltName, badName]) {
      assert.throws(() => spNameFromCertificate(peer(certificate), { expectedIssuer: spCA.certificate, now }), isRefusal);
    }
  });

  it('refuses an empty or malformed certificate', () => {
    const options = { expectedIssuer: spCA.certificate, now };
    assert.throws(() => spNameFromCertificate({} as PeerCertificate, options), isRefusal);
    assert.throws(() => spNameFromCertificate({ raw: Buffer.alloc(0) } as PeerCertificate, options), isRefusal);
    assert.throws(() => spNameFromCertificate({ raw: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]) } as PeerCertificate, options), isRefusal);
  });
});
