/** Error codes of the TSM's certificate authorities. Codes are public API; messages are not. */
export const PKIErrorCode = {
  /** A subject name, SP name, DNS name or IP address that Tessera will not put in a certificate. */
  nameInvalid: 'ERR_TSM_PKI_NAME_INVALID',
  /** A validity period out of bounds, outliving its issuer, or an issuer not valid now. */
  validityInvalid: 'ERR_TSM_PKI_VALIDITY_INVALID',
  /** Imported PEM that is not a P-256 credential, whose key does not match, or that is not a CA. */
  credentialInvalid: 'ERR_TSM_PKI_CREDENTIAL_INVALID',
  /** A PKCS#10 request that does not parse, is not P-256 / ECDSA-SHA-256, or whose self-signature fails. */
  csrInvalid: 'ERR_TSM_CSR_INVALID',
  /** A (TLS-verified) client certificate that does not identify a service provider. */
  clientCertificateInvalid: 'ERR_TSM_CLIENT_CERTIFICATE_INVALID',
} as const;
export type PKIErrorCode = (typeof PKIErrorCode)[keyof typeof PKIErrorCode];
