import type { RandomSource } from '../../lib/crypto/index.js';
import { generateECP256KeyPair } from '../../lib/crypto/index.js';
import { leafExtensions } from './leafExtensions.js';
import { LEAF_VALIDITY_DAYS_MAX } from './limits.js';
import { requireSPName, spURN, subjectName } from './names.js';
import { requireAuthority } from './requireAuthority.js';
import { signCertificate } from './signCertificate.js';
import type { CertificateAuthority, Credential } from './types.js';
import { validityFor, validityOf } from './validity.js';

export interface IssueClientCertificateOptions {
  /** The SP name (SP_NAME_PATTERN): the certificate's CN and its SAN URI urn:tessera:sp:<name>. */
  readonly commonName: string;
  readonly organization?: string;
  readonly validityDays: number;
  readonly now: Date;
  /** The new key pair and the serial number come from here. */
  readonly random: RandomSource;
}

/**
 * An SP's mutual-TLS client certificate from the SP CA, with a fresh P-256 key: keyUsage
 * digitalSignature (the TLS CertificateVerify signature), extendedKeyUsage clientAuth, subject CN
 * = SP name and SAN URI `urn:tessera:sp:<name>`; spNameFromCertificate reads both back.
 */
export async function issueClientCertificate(spCA: CertificateAuthority, options: IssueClientCertificateOptions): Promise<Credential> {
  requireAuthority(spCA);
  requireSPName(options.commonName);
  const subject = subjectName({ commonName: options.commonName, ...(options.organization === undefined ? {} : { organization: options.organization }) });
  const validity = validityFor(options.now, options.validityDays, LEAF_VALIDITY_DAYS_MAX, validityOf(spCA.certificate));
  const keyPair = generateECP256KeyPair(options.random);
  const certificate = await signCertificate({
    subject,
    subjectPublicKey: keyPair.publicKey,
    signedBy: { issuer: spCA },
    validity,
    extensions: leafExtensions({
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: ['clientAuth'],
      altNames: [{ type: 'url', value: spURN(options.commonName) }],
    }),
    random: options.random,
  });
  return { certificate, privateKey: keyPair.privateKey };
}
