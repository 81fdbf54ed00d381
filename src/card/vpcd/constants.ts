/**
 * Facts of the vsmartcard `vpcd` protocol (frankmorgner/vsmartcard, virtualsmartcard/src/vpcd/vpcd.h
 * and vpcd.c; the reference card side is virtualsmartcard/src/vpicc/virtualsmartcard/VirtualSmartcard.py).
 *
 * vpcd is a PC/SC reader driver (IFD handler) loaded by pcscd. It listens on TCP, a virtual card
 * ("vicc") connects to it, and from then on every message in both directions is framed as a
 * 2-byte big-endian length followed by that many bytes. A 1-byte message from vpcd is a control
 * command; anything longer is a command APDU. Only GET ATR and APDUs are answered.
 */

/** vpcd's default port (`VPCDPORT`, 0x8C7B); Debian's /etc/reader.conf.d/vpcd uses it for slot 0. */
export const VPCD_PORT_DEFAULT = 35_963;

/** Bytes of the big-endian length prefix of every message (vpcd.c sendToVICC/recvFromVICC). */
export const VPCD_LENGTH_PREFIX_BYTES = 2;

/**
 * Largest message: what the 2-byte length can express. vpcd.c refuses to send more
 * (`length > 0xFFFF` → EINVAL), so a longer response APDU cannot cross this link at all.
 */
export const VPCD_MESSAGE_BYTES_MAX = 0xffff;

/** Length of a control message (`VPCD_CTRL_LEN`). */
export const VPCD_CONTROL_BYTES = 1;

/** Control commands (`VPCD_CTRL_*` in vpcd.h). No other values are defined. */
export const VpcdControl = {
  /** IFD_POWER_DOWN: no answer. */
  powerOff: 0x00,
  /** IFD_POWER_UP (cold reset): no answer; vpcd asks for the ATR next. */
  powerOn: 0x01,
  /** IFD_RESET (warm reset): no answer; vpcd asks for the ATR next. */
  reset: 0x02,
  /** Answered with the ATR as one message. pcscd's presence polling sends this every few hundred ms. */
  getATR: 0x04,
} as const;
export type VpcdControl = (typeof VpcdControl)[keyof typeof VpcdControl];

/** How long one TCP connection attempt to vpcd may take before it counts as failed. */
export const VPCD_CONNECT_TIMEOUT_MS = 5_000;
/** First delay before reconnecting; doubled after each consecutive failure. */
export const VPCD_RECONNECT_DELAY_MS_MIN = 100;
/** Default ceiling of the reconnect delay. */
export const VPCD_RECONNECT_DELAY_MS_MAX = 5_000;
/**
 * Consecutive failed connection attempts before the bridge gives up (the count restarts after
 * every successful connection). At the default ceiling this is about 83 minutes without a reader.
 */
export const VPCD_CONNECT_ATTEMPTS_MAX = 1_000;
/**
 * Bytes queued for sending before the peer counts as not reading. vpcd waits for each answer
 * before it sends the next command, so a healthy link never queues more than one response.
 */
export const VPCD_SEND_QUEUE_BYTES_MAX = 4 * (VPCD_LENGTH_PREFIX_BYTES + VPCD_MESSAGE_BYTES_MAX);
/** TCP keep-alive probe delay, so a vpcd on a host that vanished is noticed. */
export const VPCD_KEEPALIVE_DELAY_MS = 10_000;
