import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { concatBytes } from '../../../src/lib/bytes.js';
import { createSystemRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import { CSR_BYTES_MAX, PKIErrorCode, createCertificateAuthority, issueCertificateFromCSR } from '../../../src/tsm/pki/index.js';
import type { CertificateAuthority } from '../../../src/tsm/pki/index.js';
import { x509 } from '../../../src/tsm/pki/x509.js';
import { hasOpenSSL, opensslText, opensslVerify } from './helpers.js';

const random = createSystemRandomSource();
const now = new Date();
const skipOpenSSL = hasOpenSSL() ? false : 'the openssl command is not installed';

function isCSRRefusal(error: unknown): boolean {
  return error instanceof TesseraError && error.code === PKIErrorCode.csrInvalid && error.httpStatus === 400;
}

/** A PKCS#10 request as a device's Crypto SE would make it: its own key, its own signature. */
async function makeRequest(
  name = 'CN=device-0001',
  curve: 'P-256' | 'P-384' = 'P-256',
  hash: 'SHA-256' | 'SHA-384' = 'SHA-256',
): Promise<Uint8Array> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, false, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash },
    // A request may ask for anything; the CA must not grant it.
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return new Uint8Array(request.rawData);
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((byte, j) => haystack[i + j] === byte)) return i;
  }
  return -1;
}

describe('issueCertificateFromCSR', () => {
  let root: CertificateAuthority;
  let otherRoot: CertificateAuthority;

  before(async () => {
    root = await createCertificateAuthority({ name: 'Tessera TSM Root CA', validityDays: 3650, now, random });
    otherRoot = await createCertificateAuthority({ name: 'Tessera TSM Root CA', validityDays: 3650, now, random });
  });

  it('certifies the requested key; openssl verifies it against the root and not against another CA', { skip: skipOpenSSL }, async () => {
    const request = await makeRequest();
    const certificate = await issueCertificateFromCSR(root, request, { validityDays: 365, now, random, keyUsage: ['digitalSignature', 'keyAgreement'] });
    const requestedKey = new x509.Pkcs10CertificateRequest(request).publicKey.rawData;
    assert.deepEqual(new Uint8Array(certificate.publicKey.export({ format: 'der', type: 'spki' })), new Uint8Array(requestedKey));
    assert.equal(certificate.subject, 'CN=device-0001');

    const verdict = opensslVerify(root.certificate.toString(), certificate.toString());
    assert.ok(verdict.ok, verdict.output);
    const refused = opensslVerify(otherRoot.certificate.toString(), certificate.toString());
    assert.equal(refused.ok, false);
    assert.match(refused.output, /signature failure|unable to get local issuer/i);

    const text = opensslText(certificate.toString());
    assert.match(text, /CA:FALSE/, 'the CA:TRUE the request asked for is not granted');
    assert.match(text, /Digital Signature, Key Agreement/);
    assert.doesNotMatch(text, /Extended Key Usage/);
  });

  it('accepts PEM, puts a subject override and extended key usage in place of what was requested', async () => {
    const der = await makeRequest('CN=whatever-the-device-says, O=Device Maker');
    const pem = new x509.Pkcs10CertificateRequest(der).toString('pem');
    const certificate = await issueCertificateFromCSR(root, pem, {
      subjectOverride: { commonName: 'device 5F2A', organization: 'Tessera devices' },
      extendedKeyUsage: ['clientAuth'],
      validityDays: 30,
      now,
      random,
    });
    assert.equal(certificate.subject, 'O=Tessera devices\nCN=device 5F2A');
    assert.deepEqual([...(new x509.X509Certificate(certificate.raw).getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.clientAuth]);
  });

  it('refuses a request whose signed content or signature was tampered with', async () => {
    const request = await makeRequest();
    const name = indexOfBytes(request, new TextEncoder().encode('device-0001'));
    assert.ok(name > 0);
    const renamed = request.slice();
    renamed[name + 10] = 0x32; // device-0002: still well formed, no longer what was signed
    await assert.rejects(issueCertificateFromCSR(root, renamed, { validityDays: 30, now, random }), isCSRRefusal);

    const resigned = request.slice();
    resigned[resigned.length - 1] = (resigned.at(-1) ?? 0) ^ 0x01; // last byte of s
    await assert.rejects(issueCertificateFromCSR(root, resigned, { validityDays: 30, now, random }), isCSRRefusal);

    // Another device's key under this request's signature.
    const other = await makeRequest();
    const keyOffset = indexOfBytes(request, new Uint8Array(new x509.Pkcs10CertificateRequest(request).publicKey.rawData));
    const otherKey = new Uint8Array(new x509.Pkcs10CertificateRequest(other).publicKey.rawData);
    const swapped = request.slice();
    swapped.set(otherKey, keyOffset);
    await assert.rejects(issueCertificateFromCSR(root, swapped, { validityDays: 30, now, random }), isCSRRefusal);
  });

  it('refuses other curves and hashes, garbage, trailing bytes and oversized input', async () => {
    const options = { validityDays: 30, now, random };
    await assert.rejects(issueCertificateFromCSR(root, await makeRequest('CN=d', 'P-384', 'SHA-256'), options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, await makeRequest('CN=d', 'P-256', 'SHA-384'), options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, concatBytes(await makeRequest(), Uint8Array.of(0)), options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, new Uint8Array(CSR_BYTES_MAX + 1), options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, 'MIIB...', options), isCSRRefusal);
    await assert.rejects(issueCertificateFromCSR(root, new Uint8Array(0), options), isCSRRefusal);
  });

  it('refuses a request without exactly one common name unless the subject is overridden', async () => {
    const unnamed = await makeRequest('O=Device Maker');
    await assert.rejects(issueCertificateFromCSR(root, unnamed, { validityDays: 30, now, random }), isCSRRefusal);
    const certificate = await issueCertificateFromCSR(root, unnamed, { subjectOverride: { commonName: 'device-0002' }, validityDays: 30, now, random });
    assert.equal(certificate.subject, 'CN=device-0002');
  });
});
