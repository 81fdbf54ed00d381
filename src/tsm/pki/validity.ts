import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { TesseraError } from '../../lib/errors.js';
import { PKIErrorCode } from './errors.js';
import { CERTIFICATE_BACKDATE_MS } from './limits.js';
import { x509 } from './x509.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SECOND_MS = 1000;

export interface ValidityPeriod {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** notBefore and notAfter of a certificate (RFC 5280 §4.1.2.5) as dates. */
export function validityOf(certificate: X509Certificate): ValidityPeriod {
  const parsed = new x509.X509Certificate(certificate.raw);
  return { notBefore: parsed.notBefore, notAfter: parsed.notAfter };
}

export function isValidAt(period: ValidityPeriod, now: Date): boolean {
  return period.notBefore.getTime() <= now.getTime() && now.getTime() <= period.notAfter.getTime();
}

/**
 * The validity of a new certificate issued at `now`: from CERTIFICATE_BACKDATE_MS before (not
 * before the issuer's own start) to `validityDays` after, in whole seconds since X.509 times carry
 * no fractions (RFC 5280 §4.1.2.5.1). The issuer must be valid now and must outlive what it signs:
 * a certificate that outlives its issuer fails path validation (RFC 5280 §6.1.3 (a)(2)) from the day
 * the issuer expires.
 */
export function validityFor(now: Date, validityDays: number, validityDaysMax: number, issuer: ValidityPeriod | undefined): ValidityPeriod {
  assert.ok(now instanceof Date && Number.isFinite(now.getTime()), 'now must be a valid Date');
  if (!Number.isSafeInteger(validityDays) || validityDays < 1 || validityDays > validityDaysMax) {
    throw new TesseraError(PKIErrorCode.validityInvalid, `expected a validity of 1-${validityDaysMax} days, received ${String(validityDays)}`);
  }
  const issuedMs = Math.floor(now.getTime() / SECOND_MS) * SECOND_MS;
  let notBeforeMs = issuedMs - CERTIFICATE_BACKDATE_MS;
  const notAfterMs = issuedMs + validityDays * DAY_MS;
  if (issuer !== undefined) {
    if (!isValidAt(issuer, now)) {
      throw new TesseraError(PKIErrorCode.validityInvalid, 'the issuing CA is not valid at the time of issue');
    }
    if (notAfterMs > issuer.notAfter.getTime()) {
      throw new TesseraError(PKIErrorCode.validityInvalid, 'expected a validity that ends before the issuing CA expires');
    }
    notBeforeMs = Math.max(notBeforeMs, issuer.notBefore.getTime());
  }
  return { notBefore: new Date(notBeforeMs), notAfter: new Date(notAfterMs) };
}
