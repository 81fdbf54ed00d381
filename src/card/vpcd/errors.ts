/** Error codes of the vpcd bridge. Codes are public API; messages are not. */
export const VpcdErrorCode = {
  /** A frame announced more bytes than the configured limit, or a message too long to frame. */
  frameTooLong: 'ERR_CARD_VPCD_FRAME_TOO_LONG',
  /** vpcd could not be reached within the configured number of attempts. */
  unreachable: 'ERR_CARD_VPCD_UNREACHABLE',
  /** The bridge was stopped before it ever connected. */
  stopped: 'ERR_CARD_VPCD_STOPPED',
  /** A `HOST:PORT` address that does not parse. */
  addressInvalid: 'ERR_CARD_VPCD_ADDRESS_INVALID',
} as const;
export type VpcdErrorCode = (typeof VpcdErrorCode)[keyof typeof VpcdErrorCode];
