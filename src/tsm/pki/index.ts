export { createCertificateAuthority } from './createCertificateAuthority.js';
export type { CreateCertificateAuthorityOptions } from './createCertificateAuthority.js';
export { issueSubordinateCA } from './issueSubordinateCA.js';
export type { IssueSubordinateCAOptions } from './issueSubordinateCA.js';
export { issueClientCertificate } from './issueClientCertificate.js';
export type { IssueClientCertificateOptions } from './issueClientCertificate.js';
export { issueServerCertificate } from './issueServerCertificate.js';
export type { IssueServerCertificateOptions } from './issueServerCertificate.js';
export { issueCertificateFromCSR } from './issueCertificateFromCSR.js';
export type { IssueCertificateFromCSROptions } from './issueCertificateFromCSR.js';
export { spNameFromCertificate } from './spNameFromCertificate.js';
export type { SPNameFromCertificateOptions } from './spNameFromCertificate.js';
export { exportCertificateAuthorityPEM, exportCredentialPEM, importCertificateAuthorityPEM, importCredentialPEM } from './credentialPEM.js';
export { SP_NAME_PATTERN, SP_URN_PREFIX, isValidSPName, spURN } from './names.js';
export { PKIErrorCode } from './errors.js';
export { PATH_LENGTH_MAX } from './authorityExtensions.js';
export { validityOf } from './validity.js';
export type { ValidityPeriod } from './validity.js';
export {
  CA_VALIDITY_DAYS_MAX,
  CERTIFICATE_BACKDATE_MS,
  CERTIFICATE_BYTES_MAX,
  CSR_BYTES_MAX,
  LEAF_VALIDITY_DAYS_MAX,
  NAME_CHARACTERS_MAX,
  SERIAL_NUMBER_BYTES,
  SUBJECT_ALT_NAMES_MAX,
} from './limits.js';
export type { CertificateAuthority, CertificateSubject, Credential, CredentialPEM, ExtendedKeyUsageName, KeyUsageName } from './types.js';
