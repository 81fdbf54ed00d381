import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { TesseraError } from '../../lib/errors.js';
import { PKIErrorCode } from './errors.js';
import { CERTIFICATE_BYTES_MAX } from './limits.js';
import { SP_URN_PREFIX, isValidSPName } from './names.js';
import { isValidAt } from './validity.js';
import { x509 } from './x509.js';

export interface SPNameFromCertificateOptions {
  /** The SP CA's certificate: the client certificate must be signed by exactly this CA. */
  readonly expectedIssuer: X509Certificate;
  /** Checked against the certificate's validity: a keep-alive connection can outlive its certificate. */
  readonly now: Date;
}

function refuse(message: string, cause?: unknown): TesseraError {
  return new TesseraError(PKIErrorCode.clientCertificateInvalid, message, { httpStatus: 401, ...(cause === undefined ? {} : { cause }) });
}

function parse(peerCertificate: PeerCertificate): { node: X509Certificate; parsed: x509.X509Certificate } {
  const raw: unknown = (peerCertificate as Partial<PeerCertificate>).raw;
  if (!(raw instanceof Uint8Array) || raw.length === 0 || raw.length > CERTIFICATE_BYTES_MAX) {
    throw refuse(`expected a client certificate of 1-${CERTIFICATE_BYTES_MAX} bytes`);
  }
  const der = Buffer.from(raw);
  try {
    return { node: new X509Certificate(der), parsed: new x509.X509Certificate(der) };
  } catch (error) {
    throw refuse('expected a DER-encoded X.509 client certificate', error);
  }
}

/** The one SP name the certificate carries, in its subject CN and its SAN URI, which must agree. */
function nameIn(certificate: x509.X509Certificate): string {
  const commonNames = certificate.subjectName.getField('CN');
  const commonName = commonNames[0];
  if (commonNames.length !== 1 || commonName === undefined || !isValidSPName(commonName)) {
    throw refuse('expected exactly one subject common name that is a valid SP name');
  }
  const altNames = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  const altName = altNames[0];
  if (altNames.length !== 1 || altName === undefined || altName.type !== 'url' || altName.value !== `${SP_URN_PREFIX}${commonName}`) {
    throw refuse(`expected exactly one subject alternative name, the URI ${SP_URN_PREFIX}<common name>`);
  }
  return commonName;
}

/**
 * The SP a client certificate belongs to. The TLS layer has already verified the chain against the
 * server's `ca`; this checks again, so a mistake in that configuration (a `ca` list that also holds
 * the root, which certifies devices) cannot turn another certificate into an SP: signed by the SP
 * CA itself, valid now, not a CA, extendedKeyUsage clientAuth, and one SP name in the CN and the
 * SAN URI `urn:tessera:sp:<name>` alike.
 */
export function spNameFromCertificate(peerCertificate: PeerCertificate, options: SPNameFromCertificateOptions): string {
  assert.ok(options.expectedIssuer.ca, 'expectedIssuer must be the SP CA certificate');
  const { node, parsed } = parse(peerCertificate);
  if (!node.checkIssued(options.expectedIssuer) || !node.verify(options.expectedIssuer.publicKey)) {
    throw refuse('expected a client certificate issued by the SP CA');
  }
  if (node.ca) throw refuse('expected an end-entity client certificate, received a CA certificate');
  if (!isValidAt({ notBefore: parsed.notBefore, notAfter: parsed.notAfter }, options.now)) {
    throw refuse('expected a client certificate valid now');
  }
  const purposes = parsed.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
  if (!purposes.includes(x509.ExtendedKeyUsage.clientAuth)) throw refuse('expected extended key usage clientAuth');
  return nameIn(parsed);
}
