import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromHex, utf8 } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource, createSystemRandomSource, generateECP256KeyPair } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  CERTIFICATE_BACKDATE_MS,
  LEAF_VALIDITY_DAYS_MAX,
  PKIErrorCode,
  createCertificateAuthority,
  exportCertificateAuthorityPEM,
  exportCredentialPEM,
  importCertificateAuthorityPEM,
  importCredentialPEM,
  issueClientCertificate,
  issueServerCertificate,
  issueSubordinateCA,
  validityOf,
} from '../../../src/tsm/pki/index.js';
import { x509 } from '../../../src/tsm/pki/x509.js';
import { DAY_MS, hasOpenSSL, opensslText, opensslVerify } from './helpers.js';

const random = createSystemRandomSource();
// Whole seconds, as X.509 records them.
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const skipOpenSSL = hasOpenSSL() ? false : 'the openssl command is not installed';

function hasCode(code: string) {
  return (error: unknown) => error instanceof TesseraError && error.code === code;
}

describe('createCertificateAuthority', () => {
  it('makes a self-signed P-256 root with critical CA constraints and key usage and a key identifier', async () => {
    const root = await createCertificateAuthority({ name: 'Tessera TSM Root CA', organization: 'Tessera', validityDays: 3650, now, random });
    const certificate = new x509.X509Certificate(root.certificate.raw);
    assert.equal(certificate.subject, 'O=Tessera, CN=Tessera TSM Root CA');
    assert.equal(certificate.issuer, certificate.subject);
    assert.ok(await certificate.verify({ signatureOnly: true }), 'self-signature verifies');
    assert.ok(root.certificate.verify(root.certificate.publicKey));
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    assert.ok(constraints?.ca === true && constraints.critical);
    assert.equal(constraints.pathLength, undefined);
    const usage = certificate.getExtension(x509.KeyUsagesExtension);
    assert.ok(usage?.critical);
    assert.equal(usage.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.ok(certificate.getExtension(x509.SubjectKeyIdentifierExtension) !== null);
    assert.equal(root.certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.deepEqual(validityOf(root.certificate), {
      notBefore: new Date(now.getTime() - CERTIFICATE_BACKDATE_MS),
      notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    });
  });

  it('signs with ECDSA SHA-256 and draws a positive 16-byte serial from the injected randomness', async () => {
    const make = () => createCertificateAuthority({ name: 'Pinned', validityDays: 10, now, random: createDeterministicRandomSource(utf8('pki serial')) });
    const [first, second] = [await make(), await make()];
    assert.equal(first.certificate.serialNumber, second.certificate.serialNumber, 'same seed, same serial');
    assert.equal(first.certificate.publicKey.export({ format: 'jwk' }).x, second.certificate.publicKey.export({ format: 'jwk' }).x, 'same seed, same key');
    const serial = fromHex(first.certificate.serialNumber);
    assert.equal(serial.length, 16);
    assert.equal((serial[0] ?? 0) & 0xc0, 0x40, 'top bit clear (positive), next bit set (full length)');
    assert.match(opensslText(first.certificate.toString()), /Signature Algorithm: ecdsa-with-SHA256/);
  });

  it('certifies a key pair it is given', async () => {
    const keyPair = generateECP256KeyPair(random);
    const root = await createCertificateAuthority({ name: 'Given key', validityDays: 10, now, random, keyPair });
    assert.ok(root.certificate.checkPrivateKey(keyPair.privateKey));
  });

  it('refuses names and validities out of bounds', async () => {
    await assert.rejects(createCertificateAuthority({ name: '', validityDays: 10, now, random }), hasCode(PKIErrorCode.nameInvalid));
    await assert.rejects(createCertificateAuthority({ name: 'a\nb', validityDays: 10, now, random }), hasCode(PKIErrorCode.nameInvalid));
    await assert.rejects(createCertificateAuthority({ name: 'x'.repeat(65), validityDays: 10, now, random }), hasCode(PKIErrorCode.nameInvalid));
    await assert.rejects(createCertificateAuthority({ name: 'Root', validityDays: 0, now, random }), hasCode(PKIErrorCode.validityInvalid));
    await assert.rejects(createCertificateAuthority({ name: 'Root', validityDays: 1.5, now, random }), hasCode(PKIErrorCode.validityInvalid));
    await assert.rejects(createCertificateAuthority({ name: 'Root', validityDays: 100_000, now, random }), hasCode(PKIErrorCode.validityInvalid));
  });
});

describe('issueSubordinateCA', () => {
  it('chains under the root with path length 0, and openssl verifies a leaf through it', { skip: skipOpenSSL }, async () => {
    const root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now, random });
    const subordinate = await issueSubordinateCA(root, { name: 'Issuing CA', validityDays: 1000, now, random });
    assert.ok(subordinate.certificate.checkIssued(root.certificate));
    assert.ok(subordinate.certificate.verify(root.certificate.publicKey));
    const parsed = new x509.X509Certificate(subordinate.certificate.raw);
    assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
    const rootKeyId = new x509.X509Certificate(root.certificate.raw).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, rootKeyId);

    const leaf = await issueClientCertificate(subordinate, { commonName: 'acme', validityDays: 30, now, random });
    const verdict = opensslVerify(root.certificate.toString(), leaf.certificate.toString(), subordinate.certificate.toString());
    assert.ok(verdict.ok, verdict.output);
    assert.equal(opensslVerify(root.certificate.toString(), leaf.certificate.toString()).ok, false, 'not without the intermediate');
  });

  it('refuses to outlive its parent, or to issue from a parent that has expired', async () => {
    const root = await createCertificateAuthority({ name: 'Short root', validityDays: 10, now, random });
    await assert.rejects(issueSubordinateCA(root, { name: 'Too long', validityDays: 11, now, random }), hasCode(PKIErrorCode.validityInvalid));
    await assert.rejects(
      issueSubordinateCA(root, { name: 'Too late', validityDays: 1, now: new Date(now.getTime() + 11 * DAY_MS), random }),
      hasCode(PKIErrorCode.validityInvalid),
    );
    await assert.rejects(
      issueClientCertificate(root, { commonName: 'acme', validityDays: LEAF_VALIDITY_DAYS_MAX + 1, now, random }),
      hasCode(PKIErrorCode.validityInvalid),
    );
  });
});

describe('issueClientCertificate and issueServerCertificate', () => {
  it('gives an SP certificate clientAuth, its name in CN and SAN URI, and CA:FALSE', { skip: skipOpenSSL }, async () => {
    const spCA = await createCertificateAuthority({ name: 'SP CA', validityDays: 3650, now, random, pathLength: 0 });
    const sp = await issueClientCertificate(spCA, { commonName: 'acme-bank', organization: 'ACME Bank', validityDays: 30, now, random });
    assert.equal(sp.certificate.ca, false);
    assert.ok(sp.certificate.checkPrivateKey(sp.privateKey));
    const text = opensslText(sp.certificate.toString());
    assert.match(text, /Subject: O\s?=\s?ACME Bank, CN\s?=\s?acme-bank/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \s*TLS Web Client Authentication\n/);
    assert.match(text, /URI:urn:tessera:sp:acme-bank\n/);
    assert.ok(opensslVerify(spCA.certificate.toString(), sp.certificate.toString()).ok);
  });

  it('refuses SP names that are not one strict spelling', async () => {
    const spCA = await createCertificateAuthority({ name: 'SP CA', validityDays: 3650, now, random });
    for (const commonName of ['', 'ACME', 'acme bank', '-acme', 'acme-', 'acme_bank', 'a'.repeat(64), 'acme\u0430']) {
      await assert.rejects(issueClientCertificate(spCA, { commonName, validityDays: 30, now, random }), hasCode(PKIErrorCode.nameInvalid), commonName);
    }
  });

  it('gives the TSM server certificate serverAuth and its DNS and IP names', { skip: skipOpenSSL }, async () => {
    const root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now, random });
    const server = await issueServerCertificate(root, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validityDays: 30, now, random });
    assert.equal(server.certificate.checkHost('localhost'), 'localhost');
    assert.equal(server.certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.certificate.checkIP('::1'), '::1');
    assert.equal(server.certificate.checkHost('example.com'), undefined);
    const text = opensslText(server.certificate.toString());
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  });

  it('refuses server names that are not host names or IP addresses', async () => {
    const root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now, random });
    const cases = [
      { dnsNames: [], ipAddresses: [] },
      { dnsNames: ['*.example.com'], ipAddresses: [] },
      { dnsNames: ['bad_host'], ipAddresses: [] },
      { dnsNames: [], ipAddresses: ['999.0.0.1'] },
      { dnsNames: Array.from({ length: 17 }, (_, i) => `h${i}.example`), ipAddresses: [] },
    ];
    for (const names of cases) {
      await assert.rejects(issueServerCertificate(root, { ...names, validityDays: 30, now, random }), hasCode(PKIErrorCode.nameInvalid));
    }
  });
});

describe('PEM export and import', () => {
  it('round-trips a CA and a credential', async () => {
    const root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now, random });
    const pem = exportCertificateAuthorityPEM(root);
    assert.match(pem.certificatePEM, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(pem.privateKeyPEM, /^-----BEGIN PRIVATE KEY-----\n/);
    const imported = importCertificateAuthorityPEM(pem);
    assert.equal(imported.role, 'certificate-authority');
    assert.ok(new X509Certificate(pem.certificatePEM).checkPrivateKey(imported.privateKey));
    // The imported CA issues certificates that chain to the original.
    const leaf = await issueClientCertificate(imported, { commonName: 'acme', validityDays: 30, now, random });
    assert.ok(leaf.certificate.verify(root.certificate.publicKey));
    const credential = importCredentialPEM(exportCredentialPEM(leaf));
    assert.equal(credential.certificate.fingerprint256, leaf.certificate.fingerprint256);
  });

  it('refuses a key that is not the certificate’s, a leaf as a CA, and malformed PEM', async () => {
    const root = await createCertificateAuthority({ name: 'Root', validityDays: 3650, now, random });
    const other = await createCertificateAuthority({ name: 'Other', validityDays: 3650, now, random });
    const leaf = exportCredentialPEM(await issueClientCertificate(root, { commonName: 'acme', validityDays: 30, now, random }));
    const rootPEM = exportCertificateAuthorityPEM(root);
    const otherPEM = exportCertificateAuthorityPEM(other);
    assert.throws(() => importCertificateAuthorityPEM({ certificatePEM: rootPEM.certificatePEM, privateKeyPEM: otherPEM.privateKeyPEM }), hasCode(PKIErrorCode.credentialInvalid));
    assert.throws(() => importCertificateAuthorityPEM(leaf), hasCode(PKIErrorCode.credentialInvalid));
    assert.throws(() => importCredentialPEM({ certificatePEM: 'nonsense', privateKeyPEM: rootPEM.privateKeyPEM }), hasCode(PKIErrorCode.credentialInvalid));
    assert.throws(() => importCredentialPEM({ certificatePEM: rootPEM.certificatePEM, privateKeyPEM: 'nonsense' }), hasCode(PKIErrorCode.credentialInvalid));
  });
});
