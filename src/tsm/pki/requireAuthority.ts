import assert from 'node:assert/strict';
import { isP256Key } from './keys.js';
import type { CertificateAuthority } from './types.js';

/** A CertificateAuthority can only come from this module's constructors; this catches a hand-built one. */
export function requireAuthority(authority: CertificateAuthority): void {
  assert.equal(authority.role, 'certificate-authority', 'expected a CertificateAuthority from createCertificateAuthority or importCertificateAuthorityPEM');
  assert.ok(authority.certificate.ca, 'the CA certificate must have basicConstraints CA:TRUE');
  assert.ok(isP256Key(authority.privateKey, 'private'), 'the CA key must be a P-256 private KeyObject');
}
