export { NetErrorCode, netError } from './errors.js';
export { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_MAX } from './frameDecoder.js';
export { CLOSE_GRACE_MS, FramedConnection, FRAME_QUEUE_MAX, type FramedConnectionOptions } from './framedConnection.js';
export {
  connectFramed, CONNECT_TIMEOUT_MS, createFramedServer, FRAMED_CONNECTIONS_MAX,
  type ConnectFramedOptions, type FramedServer, type FramedServerOptions,
} from './server.js';
