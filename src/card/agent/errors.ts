/** Codes of the card's admin agent (public API): reported through its events and thrown at start-up. */
export const CardAgentErrorCode = {
  /** The card would not tell its CIN (SELECT of the ISD or GET DATA '0045' failed). */
  cin: 'ERR_CARD_AGENT_CIN',
  /** The TSM URL or the agent id is not usable. */
  config: 'ERR_CARD_AGENT_CONFIG',
  /** The TSM answered with an HTTP status other than 200 or 204. */
  httpStatus: 'ERR_CARD_AGENT_HTTP_STATUS',
  /** The TSM's answer breaks the admin protocol (headers, media type, Next-URI). */
  protocol: 'ERR_CARD_AGENT_PROTOCOL',
  /** No answer within the request timeout, or a broken connection. */
  network: 'ERR_CARD_AGENT_NETWORK',
} as const;
export type CardAgentErrorCode = (typeof CardAgentErrorCode)[keyof typeof CardAgentErrorCode];
