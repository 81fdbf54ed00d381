import { encodeResponseAPDU } from '../apdu.js';
import { copyBytes } from '../bytes.js';
import type { RandomSource } from '../crypto/index.js';
import { SCP03HostSession, type SCP03CardInformation } from './SCP03HostSession.js';
import type { SCP03Mode, SCP03SecurityLevel, SCP03StaticKeys } from './types.js';

/** Sends one command APDU to the card and returns its response APDU (data || SW1 SW2). */
export type APDUTransmit = (command: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface SCP03OpenOptions {
  /** The level to request in EXTERNAL AUTHENTICATE; there is no default, so the caller chooses. */
  readonly securityLevel: SCP03SecurityLevel;
  /** INITIALIZE UPDATE P1 (default keys.keyVersion; 0 = the card's first keyset). */
  readonly keyVersion?: number;
  readonly mode?: SCP03Mode;
  readonly logicalChannel?: number;
  /** A fixed host challenge (tests and transcript replays); otherwise drawn from `random`. */
  readonly hostChallenge?: Uint8Array;
  readonly random?: RandomSource;
}

/** An open secure channel: `transmit` wraps each command and unwraps its response. */
export interface SCP03Channel {
  readonly session: SCP03HostSession;
  readonly cardInformation: SCP03CardInformation;
  readonly securityLevel: SCP03SecurityLevel;
  /** Takes a plain command APDU, returns the plain response APDU (data || SW1 SW2). Calls are queued. */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

/**
 * Runs the SCP03 handshake over `transmit` (the Security Domain must already be selected on the
 * logical channel) and returns a channel whose `transmit` protects every command. Commands are
 * sent one at a time in call order, as the MAC chain requires; if sending fails or a response does
 * not verify, the session is closed and every later call fails.
 */
export async function openSCP03(transmit: APDUTransmit, keys: SCP03StaticKeys, options: SCP03OpenOptions): Promise<SCP03Channel> {
  const session = new SCP03HostSession({
    keys,
    ...(options.keyVersion === undefined ? {} : { keyVersion: options.keyVersion }),
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...(options.logicalChannel === undefined ? {} : { logicalChannel: options.logicalChannel }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  try {
    const cardInformation = session.processInitializeUpdateResponse(copyBytes(await transmit(session.initializeUpdate(options.hostChallenge))));
    session.processExternalAuthenticateResponse(copyBytes(await transmit(session.externalAuthenticate(options.securityLevel))));
    return createChannel(session, cardInformation, options.securityLevel, transmit);
  } catch (error) {
    session.close();
    throw error;
  }
}

function createChannel(
  session: SCP03HostSession,
  cardInformation: SCP03CardInformation,
  securityLevel: SCP03SecurityLevel,
  send: APDUTransmit,
): SCP03Channel {
  let queue: Promise<unknown> = Promise.resolve();
  const exchange = async (command: Uint8Array): Promise<Uint8Array> => {
    try {
      const response = copyBytes(await send(session.wrapCommand(command)));
      return encodeResponseAPDU(session.unwrapResponse(response));
    } catch (error) {
      session.close();
      throw error;
    }
  };
  return {
    session,
    cardInformation,
    securityLevel,
    transmit(command: Uint8Array): Promise<Uint8Array> {
      const result = queue.then(() => exchange(command));
      queue = result.catch(() => undefined);
      return result;
    },
    close(): void {
      session.close();
    },
  };
}
