/** The SMSC's limits and timings, each a named constant (CONVENTIONS: a limit on everything). */
export const SmscLimits = {
  /** Validity when submit_sm gives none (SMPP 3.4 §5.2.16 leaves the default to the SMSC). */
  VALIDITY_MS_DEFAULT: 24 * 60 * 60 * 1000,
  /** Longest validity honoured; a later validity_period is cut to this. */
  VALIDITY_MS_MAX: 7 * 24 * 60 * 60 * 1000,
  /** How long a delivery receipt waits for its ESME to bind a receiver. */
  RECEIPT_VALIDITY_MS: 72 * 60 * 60 * 1000,
  /** Delivery attempts to a reachable destination before the message is UNDELIVERABLE. */
  DELIVERY_ATTEMPTS_MAX: 5,
  /** Backoff after a failed attempt: BASE · 2^(attempt-1), capped at MAX. */
  RETRY_DELAY_MS_BASE: 2_000,
  RETRY_DELAY_MS_MAX: 5 * 60 * 1000,
  /** How long a handset has to acknowledge a deliver frame. */
  HANDSET_ACK_TIMEOUT_MS: 10_000,
  /** How long an ESME has to answer a deliver_sm. */
  DELIVER_SM_RESPONSE_TIMEOUT_MS: 10_000,
  /** A claimed delivery is someone else's to retry after this (an instance died mid-delivery). */
  DELIVERY_LEASE_MS: 60_000,
  /** Worker round period, and rows one round claims for expiry and for delivery. */
  WORKER_INTERVAL_MS: 1_000,
  EXPIRE_BATCH_MAX: 100,
  DELIVERY_BATCH_MAX: 100,
  /** Largest SMPP PDU accepted (command_length), header included. */
  SMPP_PDU_BYTES_MAX: 4_096,
  /** message_payload TLV (SMPP 3.4 §5.3.2.32) accepted up to this many octets. */
  MESSAGE_PAYLOAD_BYTES_MAX: 2_000,
  /** Failed binds on one connection before it is closed. */
  BIND_ATTEMPTS_MAX: 3,
  /** A connection that has not bound by then is closed. */
  BIND_TIMEOUT_MS: 30_000,
  /** An SMPP or handset connection silent for this long is closed (enquire_link / ping keep it open). */
  IDLE_TIMEOUT_MS: 5 * 60 * 1000,
  /** Outstanding deliver_sm per ESME session (the SMPP window). */
  SMPP_WINDOW_MAX: 10,
  /** Handset frames are JSON of at most this many bytes. */
  HANDSET_FRAME_BYTES_MAX: 16_384,
  /** Longest mobile-originated text (UTF-16 units). */
  HANDSET_TEXT_UNITS_MAX: 2_000,
  /** Inbox entries one listInbox call returns at most. */
  INBOX_PAGE_MAX: 500,
  /** scrypt cost for ESME passwords and handset secrets (RFC 7914 N, r, p). */
  SCRYPT_N: 16_384,
  SCRYPT_R: 8,
  SCRYPT_P: 1,
} as const;
