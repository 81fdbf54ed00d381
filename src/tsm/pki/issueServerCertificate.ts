import type { RandomSource } from '../../lib/crypto/index.js';
import { generateECP256KeyPair } from '../../lib/crypto/index.js';
import { leafExtensions } from './leafExtensions.js';
import { LEAF_VALIDITY_DAYS_MAX } from './limits.js';
import { serverAltNames, subjectName } from './names.js';
import { requireAuthority } from './requireAuthority.js';
import { signCertificate } from './signCertificate.js';
import type { CertificateAuthority, Credential } from './types.js';
import { validityFor, validityOf } from './validity.js';

export interface IssueServerCertificateOptions {
  /** Host names the TSM answers to (no wildcards). */
  readonly dnsNames: readonly string[];
  /** IP addresses the TSM answers on, e.g. 127.0.0.1. */
  readonly ipAddresses: readonly string[];
  readonly validityDays: number;
  readonly now: Date;
  readonly random: RandomSource;
}

/**
 * The TSM's HTTPS server certificate, with a fresh P-256 key: keyUsage digitalSignature,
 * extendedKeyUsage serverAuth, and the names in the SAN (RFC 6125 §6.4.4: clients match the SAN, not
 * the CN, which just repeats the first name for people reading it).
 */
export async function issueServerCertificate(ca: CertificateAuthority, options: IssueServerCertificateOptions): Promise<Credential> {
  requireAuthority(ca);
  const altNames = serverAltNames(options.dnsNames, options.ipAddresses);
  const firstName = options.dnsNames[0] ?? options.ipAddresses[0] ?? '';
  const subject = subjectName({ commonName: firstName });
  const validity = validityFor(options.now, options.validityDays, LEAF_VALIDITY_DAYS_MAX, validityOf(ca.certificate));
  const keyPair = generateECP256KeyPair(options.random);
  const certificate = await signCertificate({
    subject,
    subjectPublicKey: keyPair.publicKey,
    signedBy: { issuer: ca },
    validity,
    extensions: leafExtensions({ keyUsages: ['digitalSignature'], extendedKeyUsages: ['serverAuth'], altNames }),
    random: options.random,
  });
  return { certificate, privateKey: keyPair.privateKey };
}
