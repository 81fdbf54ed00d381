import type { KeyObject, X509Certificate } from 'node:crypto';

/**
 * A certificate with its private key. Certificates are node's `X509Certificate` (PEM via
 * `toString()`, DER via `raw`), keys are P-256 `KeyObject`s; @peculiar/x509 stays inside this folder.
 */
export interface Credential {
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
}

/**
 * A credential checked to be a certificate authority (basicConstraints CA:true, keyUsage
 * keyCertSign, a P-256 key that matches the certificate). Only this module's constructors make one.
 */
export interface CertificateAuthority extends Credential {
  readonly role: 'certificate-authority';
}

/** The subject of a certificate, built field by field (never parsed from a DN string). */
export interface CertificateSubject {
  readonly commonName: string;
  readonly organization?: string;
}

/** RFC 5280 §4.2.1.12 purposes Tessera issues for. */
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'codeSigning';

/** RFC 5280 §4.2.1.3 usages an end-entity P-256 key may get. ECIES to a device needs keyAgreement. */
export type KeyUsageName = 'digitalSignature' | 'keyAgreement';

/** PEM text of a credential: the certificate and its PKCS#8 private key. The key text is a secret. */
export interface CredentialPEM {
  readonly certificatePEM: string;
  readonly privateKeyPEM: string;
}
