import { createPublicKey } from 'node:crypto';
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { RandomSource } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { PKIErrorCode } from './errors.js';
import { isP256Key } from './keys.js';
import { leafExtensions } from './leafExtensions.js';
import { CSR_BYTES_MAX, CSR_PEM_CHARACTERS_MAX, LEAF_VALIDITY_DAYS_MAX } from './limits.js';
import { subjectName } from './names.js';
import { requireAuthority } from './requireAuthority.js';
import { signCertificate } from './signCertificate.js';
import type { CertificateAuthority, CertificateSubject, ExtendedKeyUsageName, KeyUsageName } from './types.js';
import { validityFor, validityOf } from './validity.js';
import { x509 } from './x509.js';

export interface IssueCertificateFromCSROptions {
  /** The subject to certify; when absent, the request's CN (and O, if any) are copied, nothing else. */
  readonly subjectOverride?: CertificateSubject;
  readonly validityDays: number;
  /** Purposes for extendedKeyUsage; the extension is left out when none are given. */
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** keyUsage bits; digitalSignature unless given (ECIES to the key needs keyAgreement). */
  readonly keyUsage?: readonly KeyUsageName[];
  readonly now: Date;
  /** For the serial number. */
  readonly random: RandomSource;
}

const PEM_CSR = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE REQUEST-----\s*$/;

function refuse(message: string, cause?: unknown): TesseraError {
  return new TesseraError(PKIErrorCode.csrInvalid, message, { httpStatus: 400, ...(cause === undefined ? {} : { cause }) });
}

/** The request's DER, copied out of the caller's buffer: from PEM text (RFC 7468 §7) or as given. */
function requestDER(received: string | Uint8Array): Uint8Array {
  if (typeof received === 'string') {
    if (received.length > CSR_PEM_CHARACTERS_MAX) throw refuse(`expected a PEM certificate request of at most ${CSR_PEM_CHARACTERS_MAX} characters`);
    const body = PEM_CSR.exec(received)?.[1];
    if (body === undefined) throw refuse('expected a PEM block labelled CERTIFICATE REQUEST');
    received = new Uint8Array(Buffer.from(body.replace(/\r?\n/g, ''), 'base64'));
  }
  if (received.length === 0 || received.length > CSR_BYTES_MAX) throw refuse(`expected a certificate request of 1-${CSR_BYTES_MAX} bytes`);
  return new Uint8Array(received);
}

/** Length of the outer DER SEQUENCE (X.690 §8.1.3), so bytes trailing the request are refused, not ignored. */
function outerSequenceLength(der: Uint8Array): number | undefined {
  if (der[0] !== 0x30 || der.length < 2) return undefined;
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const lengthBytes = first & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 3 || der.length < 2 + lengthBytes) return undefined;
  let length = 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (der[2 + i] ?? 0);
  return 2 + lengthBytes + length;
}

function parseRequest(der: Uint8Array): x509.Pkcs10CertificateRequest {
  if (outerSequenceLength(der) !== der.length) throw refuse('expected exactly one DER-encoded certificate request');
  try {
    return new x509.Pkcs10CertificateRequest(der);
  } catch (error) {
    throw refuse('expected a PKCS#10 certificate request (RFC 2986)', error);
  }
}

/** The requested key as a fresh KeyObject: OpenSSL decodes it and checks the point lies on P-256. */
function requestedP256Key(request: x509.Pkcs10CertificateRequest): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(request.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (error) {
    throw refuse('expected a P-256 public key in the certificate request', error);
  }
  if (!isP256Key(key, 'public')) throw refuse('expected a P-256 public key in the certificate request');
  return key;
}

function requestedSubject(request: x509.Pkcs10CertificateRequest): CertificateSubject {
  const commonNames = request.subjectName.getField('CN');
  const organizations = request.subjectName.getField('O');
  const commonName = commonNames[0];
  if (commonNames.length !== 1 || commonName === undefined) throw refuse('expected exactly one common name in the request subject');
  if (organizations.length > 1) throw refuse('expected at most one organization in the request subject');
  const organization = organizations[0];
  return organization === undefined ? { commonName } : { commonName, organization };
}

/**
 * Certifies the key in a PKCS#10 request (RFC 2986) — how a device's Crypto SE enrols its on-card
 * key. The request's self-signature is verified first (§3: it proves possession of the private
 * key), and only ECDSA P-256 with SHA-256 is accepted. Extensions and attributes the request asks
 * for are ignored: what a certificate may do is the CA's decision, made by the options.
 */
export async function issueCertificateFromCSR(
  ca: CertificateAuthority,
  receivedRequest: string | Uint8Array,
  options: IssueCertificateFromCSROptions,
): Promise<X509Certificate> {
  requireAuthority(ca);
  const request = parseRequest(requestDER(receivedRequest));
  // The library types algorithms with the DOM's Algorithm, not declared here (no DOM lib).
  const algorithm = request.signatureAlgorithm as { readonly name?: unknown; readonly hash?: { readonly name?: unknown } };
  if (algorithm.name !== 'ECDSA' || algorithm.hash?.name !== 'SHA-256') {
    throw refuse('expected a certificate request signed with ECDSA and SHA-256');
  }
  const subjectPublicKey = requestedP256Key(request);
  let signatureValid = false;
  try {
    signatureValid = await request.verify();
  } catch (error) {
    throw refuse('the certificate request signature does not verify', error);
  }
  if (!signatureValid) throw refuse('the certificate request signature does not verify');

  const subject = subjectName(options.subjectOverride ?? requestedSubject(request));
  const validity = validityFor(options.now, options.validityDays, LEAF_VALIDITY_DAYS_MAX, validityOf(ca.certificate));
  return signCertificate({
    subject,
    subjectPublicKey,
    signedBy: { issuer: ca },
    validity,
    extensions: leafExtensions({ keyUsages: options.keyUsage ?? ['digitalSignature'], extendedKeyUsages: options.extendedKeyUsage ?? [] }),
    random: options.random,
  });
}
