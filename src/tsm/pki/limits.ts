/**
 * Bounds for everything the TSM's certificate authorities accept or produce, in one place
 * (TIGER_STYLE: a limit on everything, unit last).
 */

/** A root or subordinate CA lives at most 20 years. */
export const CA_VALIDITY_DAYS_MAX = 20 * 365;
/** End-entity certificates (SP clients, TLS server, devices): the CA/Browser Forum's former 825-day ceiling. */
export const LEAF_VALIDITY_DAYS_MAX = 825;
/**
 * notBefore is set this far before the issuing clock, so a peer whose clock runs a little behind
 * does not see a certificate that is "not yet valid" right after it was issued.
 */
export const CERTIFICATE_BACKDATE_MS = 5 * 60 * 1000;
/** 16 random bytes, the top bit cleared (a positive DER INTEGER) and the next set (no leading zero byte to strip): 126 bits of entropy, well over the 64 of the CA/B Forum Baseline Requirements §7.1. */
export const SERIAL_NUMBER_BYTES = 16;
/** RFC 5280 Appendix A.1: ub-common-name and ub-organization-name are 64. */
export const NAME_CHARACTERS_MAX = 64;
/** DNS names plus IP addresses in one server certificate. */
export const SUBJECT_ALT_NAMES_MAX = 16;
/** RFC 1035 §2.3.4: a name is at most 253 characters in text form. */
export const DNS_NAME_CHARACTERS_MAX = 253;
/** A P-256 PKCS#10 request is a few hundred bytes; this leaves room for attributes without inviting abuse. */
export const CSR_BYTES_MAX = 8 * 1024;
/** The same, as PEM text (base64 grows by 4/3, plus armour and line breaks). */
export const CSR_PEM_CHARACTERS_MAX = 12 * 1024;
/** A client certificate presented over TLS; ours are well under 1 KiB. */
export const CERTIFICATE_BYTES_MAX = 16 * 1024;
/** PEM text of a certificate or private key being imported. */
export const PEM_CHARACTERS_MAX = 24 * 1024;
