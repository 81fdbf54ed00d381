/**
 * Codes of the OTA gateway (public API). The ERR_TSM_CARD_* codes reach the TSM's callers through
 * a CardLink; the ERR_OTA_* codes answer the admin agent or the code that wires the gateway.
 */
export const OTAErrorCode = {
  /** The card's agent did not answer a batch in time, or is not connected (HTTP 504 when it crosses an edge). */
  cardUnreachable: 'ERR_TSM_CARD_UNREACHABLE',
  /** The agent began a new admin session while a batch was out: the batch may have run partly, or not at all. */
  sessionRestarted: 'ERR_TSM_CARD_SESSION_RESTARTED',
  /** A batch is already queued or out for this card: one at a time. */
  cardBusy: 'ERR_TSM_CARD_BUSY',
  /** The agent's answer to a batch is malformed or does not fit the batch (counts, stop rule, Bad format). */
  responseInvalid: 'ERR_TSM_CARD_RESPONSE_INVALID',
  /** The gateway is shutting down. */
  gatewayClosed: 'ERR_OTA_GATEWAY_CLOSED',
  /** X-Admin-Protocol is missing or not globalplatform-remote-admin/1.0. */
  protocolUnsupported: 'ERR_OTA_PROTOCOL_UNSUPPORTED',
  /** The agent's request body is not a well-formed Response Scripting template (HTTP 400). */
  scriptMalformed: 'ERR_OTA_SCRIPT_MALFORMED',
  /** The request body is not of the response script media type, version 1.0 (HTTP 415). */
  mediaTypeUnsupported: 'ERR_OTA_MEDIA_TYPE_UNSUPPORTED',
  /** A CIN that is not 1 to 32 bytes of hex. */
  cinInvalid: 'ERR_OTA_CIN_INVALID',
  /** Too many cards or waiters tracked at once (HTTP 503). */
  capacity: 'ERR_OTA_CAPACITY',
} as const;
export type OTAErrorCode = (typeof OTAErrorCode)[keyof typeof OTAErrorCode];
