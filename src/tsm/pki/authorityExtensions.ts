import assert from 'node:assert/strict';
import { x509 } from './x509.js';

/** Longest certification path below a CA that Tessera creates: root → SP CA → SP certificate. */
export const PATH_LENGTH_MAX = 4;

/**
 * A CA's own extensions: basicConstraints CA:TRUE (critical, RFC 5280 §4.2.1.9, with an optional
 * pathLenConstraint) and keyUsage keyCertSign + cRLSign (critical, §4.2.1.3). The subject key
 * identifier is added when signing.
 */
export function authorityExtensions(pathLength: number | undefined): x509.Extension[] {
  assert.ok(pathLength === undefined || (Number.isSafeInteger(pathLength) && pathLength >= 0 && pathLength <= PATH_LENGTH_MAX), 'pathLength out of range');
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/** Whether a certificate is a CA Tessera may sign with: basicConstraints CA:TRUE and keyUsage keyCertSign. */
export function isAuthorityCertificate(raw: Uint8Array): boolean {
  const certificate = new x509.X509Certificate(raw);
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  return constraints !== null && constraints.ca && usage !== null && (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0;
}
