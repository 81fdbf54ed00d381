/**
 * How an ECDSA P-256 signature travels: 'der' is SEQUENCE { r, s } (X.509, GlobalPlatform DAP and
 * most TLS-era formats); 'raw' is r || s, 64 bytes (IEEE P1363, WebAuthn, JOSE ES256). Every call
 * names one, because guessing the encoding from the bytes is how verification bugs start.
 */
export type ECDSASignatureEncoding = 'der' | 'raw';

export function nodeDSAEncoding(encoding: ECDSASignatureEncoding): 'der' | 'ieee-p1363' {
  return encoding === 'der' ? 'der' : 'ieee-p1363';
}
