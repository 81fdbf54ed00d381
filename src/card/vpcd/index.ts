/** The vpcd bridge: a Tessera card in a virtual PC/SC reader (docs/card-pcsc.md). */
export {
  VPCD_CONNECT_ATTEMPTS_MAX,
  VPCD_CONNECT_TIMEOUT_MS,
  VPCD_MESSAGE_BYTES_MAX,
  VPCD_PORT_DEFAULT,
  VPCD_RECONNECT_DELAY_MS_MAX,
  VPCD_RECONNECT_DELAY_MS_MIN,
  VpcdControl,
} from './constants.js';
export { connectToVpcd } from './connectToVpcd.js';
export type { VpcdBridge, VpcdBridgeOptions, VpcdLogger } from './connectToVpcd.js';
export { VpcdErrorCode } from './errors.js';
export { VpcdFrameDecoder, encodeVpcdFrame } from './frame.js';
export { handleVpcdMessage } from './handleVpcdMessage.js';
export type { VpcdMessageOutcome } from './handleVpcdMessage.js';
export { parseVpcdAddress } from './parseVpcdAddress.js';
export type { VpcdAddress } from './parseVpcdAddress.js';
