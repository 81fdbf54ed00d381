import type { ECP256KeyPair, RandomSource } from '../../lib/crypto/index.js';
import { generateECP256KeyPair } from '../../lib/crypto/index.js';
import { authorityExtensions } from './authorityExtensions.js';
import { CA_VALIDITY_DAYS_MAX } from './limits.js';
import { subjectName } from './names.js';
import { requireAuthority } from './requireAuthority.js';
import { signCertificate } from './signCertificate.js';
import type { CertificateAuthority } from './types.js';
import { validityFor, validityOf } from './validity.js';

export interface IssueSubordinateCAOptions {
  /** The subordinate CA's common name, e.g. "Tessera TSM SP CA". */
  readonly name: string;
  readonly organization?: string;
  readonly validityDays: number;
  readonly now: Date;
  readonly random: RandomSource;
  readonly keyPair?: ECP256KeyPair;
  /** basicConstraints pathLenConstraint; 0 (issues only end-entity certificates) unless given. */
  readonly pathLength?: number;
}

/**
 * A CA certified by `parent` (RFC 5280 §3.2): same extensions as a root, plus an authority key
 * identifier; it cannot outlive its parent. The TSM's SP CA is one, under the root.
 */
export async function issueSubordinateCA(parent: CertificateAuthority, options: IssueSubordinateCAOptions): Promise<CertificateAuthority> {
  requireAuthority(parent);
  const subject = subjectName({ commonName: options.name, ...(options.organization === undefined ? {} : { organization: options.organization }) });
  const validity = validityFor(options.now, options.validityDays, CA_VALIDITY_DAYS_MAX, validityOf(parent.certificate));
  const keyPair = options.keyPair ?? generateECP256KeyPair(options.random);
  const certificate = await signCertificate({
    subject,
    subjectPublicKey: keyPair.publicKey,
    signedBy: { issuer: parent },
    validity,
    extensions: authorityExtensions(options.pathLength ?? 0),
    random: options.random,
  });
  return { role: 'certificate-authority', certificate, privateKey: keyPair.privateKey };
}
