import { isIP } from 'node:net';
import { TesseraError } from '../../lib/errors.js';
import { PKIErrorCode } from './errors.js';
import { DNS_NAME_CHARACTERS_MAX, NAME_CHARACTERS_MAX, SUBJECT_ALT_NAMES_MAX } from './limits.js';
import type { CertificateSubject } from './types.js';
import type { x509 } from './x509.js';

/**
 * An SP name is what SP client certificates carry (subject CN and SAN URI) and what every SP-TSM
 * call is authorized by, so it has one spelling: lower-case letters, digits and inner hyphens, 1 to
 * 63 characters (a DNS label, RFC 1035 §2.3.1). No case folding, no Unicode look-alikes, nothing a
 * URN (RFC 8141) or a log line would need to escape.
 */
export const SP_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** SAN URI of an SP client certificate: `urn:tessera:sp:<name>`. */
export const SP_URN_PREFIX = 'urn:tessera:sp:';

export function isValidSPName(name: string): boolean {
  return SP_NAME_PATTERN.test(name);
}

export function requireSPName(name: string): void {
  if (!isValidSPName(name)) {
    throw new TesseraError(PKIErrorCode.nameInvalid, 'expected an SP name of 1-63 lower-case letters, digits and inner hyphens');
  }
}

export function spURN(name: string): string {
  requireSPName(name);
  return `${SP_URN_PREFIX}${name}`;
}

// C0 and C1 controls, DEL, and the bidirectional overrides that make a name display as another.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** A CN or O value: 1-64 characters, no control characters, no surrounding spaces. */
export function requireNameText(value: string, field: string): void {
  if (value.length === 0 || value.length > NAME_CHARACTERS_MAX || UNPRINTABLE.test(value) || value.trim() !== value) {
    throw new TesseraError(
      PKIErrorCode.nameInvalid,
      `expected ${field} of 1-${NAME_CHARACTERS_MAX} printable characters without surrounding spaces`,
    );
  }
}

/** The subject as a structured name, most significant attribute first (O, then CN). */
export function subjectName(subject: CertificateSubject): x509.JsonName {
  requireNameText(subject.commonName, 'common name');
  if (subject.organization === undefined) return [{ CN: [subject.commonName] }];
  requireNameText(subject.organization, 'organization');
  return [{ O: [subject.organization] }, { CN: [subject.commonName] }];
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function isDNSName(name: string): boolean {
  return name.length <= DNS_NAME_CHARACTERS_MAX && name.split('.').every((label) => DNS_LABEL.test(label));
}

/** SAN entries of a TLS server certificate (RFC 5280 §4.2.1.6): host names (no wildcards) and IP addresses. */
export function serverAltNames(dnsNames: readonly string[], ipAddresses: readonly string[]): x509.JsonGeneralNames {
  const count = dnsNames.length + ipAddresses.length;
  if (count === 0 || count > SUBJECT_ALT_NAMES_MAX) {
    throw new TesseraError(PKIErrorCode.nameInvalid, `expected 1-${SUBJECT_ALT_NAMES_MAX} DNS names and IP addresses, received ${count}`);
  }
  for (const name of dnsNames) {
    if (!isDNSName(name)) throw new TesseraError(PKIErrorCode.nameInvalid, 'expected DNS names of letters, digits and hyphens, without wildcards');
  }
  for (const address of ipAddresses) {
    if (isIP(address) === 0) throw new TesseraError(PKIErrorCode.nameInvalid, 'expected IP addresses in dotted or IPv6 text form');
  }
  return [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value: value.toLowerCase() })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
}
