import type { RandomSource } from '../../lib/crypto/index.js';
import { generateECP256KeyPair } from '../../lib/crypto/index.js';
import type { ECP256KeyPair } from '../../lib/crypto/index.js';
import { authorityExtensions } from './authorityExtensions.js';
import { CA_VALIDITY_DAYS_MAX } from './limits.js';
import { subjectName } from './names.js';
import { signCertificate } from './signCertificate.js';
import type { CertificateAuthority } from './types.js';
import { validityFor } from './validity.js';

export interface CreateCertificateAuthorityOptions {
  /** The CA's common name, e.g. "Tessera TSM Root CA". */
  readonly name: string;
  readonly organization?: string;
  readonly validityDays: number;
  readonly now: Date;
  /** Serial number and, unless `keyPair` is given, the key come from here. */
  readonly random: RandomSource;
  /** An existing P-256 key pair (e.g. one an HSM holds); a new one otherwise. */
  readonly keyPair?: ECP256KeyPair;
  /** basicConstraints pathLenConstraint; none (unlimited) unless given. */
  readonly pathLength?: number;
}

/**
 * A self-signed root CA (RFC 5280 §3.2, §4.2.1.9): basicConstraints CA:TRUE and keyUsage
 * keyCertSign + cRLSign, both critical, and a subject key identifier; ECDSA P-256 with SHA-256.
 */
export async function createCertificateAuthority(options: CreateCertificateAuthorityOptions): Promise<CertificateAuthority> {
  const subject = subjectName({ commonName: options.name, ...(options.organization === undefined ? {} : { organization: options.organization }) });
  const validity = validityFor(options.now, options.validityDays, CA_VALIDITY_DAYS_MAX, undefined);
  const keyPair = options.keyPair ?? generateECP256KeyPair(options.random);
  const certificate = await signCertificate({
    subject,
    subjectPublicKey: keyPair.publicKey,
    signedBy: { selfSignedWith: keyPair.privateKey },
    validity,
    extensions: authorityExtensions(options.pathLength),
    random: options.random,
  });
  return { role: 'certificate-authority', certificate, privateKey: keyPair.privateKey };
}
