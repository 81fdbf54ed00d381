/** The gateway's limits and defaults, each a named constant with its unit last. */

/** Digits of the one-time authorization code sent by SMS (seed 002: unpredictable, time-limited). */
export const OTP_DIGITS = 6;
export const OTP_TTL_MS_DEFAULT = 5 * 60_000;
export const OTP_ATTEMPTS_MAX_DEFAULT = 5;
/** A new code may be asked for this long after the last one was sent… */
export const OTP_RESEND_INTERVAL_MS = 30_000;
/** …and at most this many codes are sent per payment. */
export const OTP_SENDS_MAX = 3;
/** Wrong passwords in a row before the identity is locked, and for how long. */
export const PASSWORD_ATTEMPTS_MAX = 5;
export const IDENTITY_LOCK_MS = 15 * 60_000;
/** A payment not paid within this long expires. */
export const PAYMENT_TTL_MS = 30 * 60_000;
/** scrypt (RFC 7914) cost for online payment passwords: N = 2^15, r = 8, p = 1 (OWASP 2023 minimum is 2^17 at 8/1 MiB; 2^15 keeps tests quick). */
export const SCRYPT_COST = 2 ** 15;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELIZATION = 1;
export const SCRYPT_MEMORY_BYTES_MAX = 64 * 1024 * 1024;
export const PASSWORD_CHARACTERS_MIN = 8;
export const PASSWORD_CHARACTERS_MAX = 64;
/** Webhook delivery: attempts, backoff (between half and all of base·2^n, capped), request timeout. */
export const WEBHOOK_ATTEMPTS_MAX = 12;
export const WEBHOOK_RETRY_DELAY_MS_BASE = 2_000;
export const WEBHOOK_RETRY_DELAY_MS_MAX = 15 * 60_000;
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Accepted clock skew when a merchant verifies a signature. */
export const WEBHOOK_TOLERANCE_S = 300;
export const OUTBOX_BATCH_ROWS_MAX = 50;
export const OUTBOX_WORKER_INTERVAL_MS = 1_000;
/** An outbox row being delivered is leased this long so another instance does not send it too. */
export const OUTBOX_LEASE_MS = 60_000;
export const URL_CHARACTERS_MAX = 2_000;
export const FORM_BODY_BYTES_MAX = 4 * 1024;
export const MERCHANT_CERTIFICATE_VALIDITY_DAYS = 365;
export const CHECKOUT_TOKEN_BYTES = 32;
export const PHONES_PER_CUSTOMER_MAX = 5;
export const CARDS_PER_PHONE_MAX = 10;
