import {
  APDU_DATA_BYTES_MAX,
  APDU_SHORT_DATA_BYTES_MAX,
  APDU_SHORT_RESPONSE_DATA_BYTES_MAX,
  decodeCLA,
  encodeCLA,
  encodeCommandAPDU,
  parseCommandAPDU,
  parseResponseAPDU,
  type CommandAPDU,
  type ResponseAPDU,
} from '../apdu.js';
import { concatBytes, constantTimeEqual, copyBytes } from '../bytes.js';
import { AESCMACContext, createSystemRandomSource, type RandomSource } from '../crypto/index.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { statusWordToHex } from '../status-words.js';
import { requireChallenge, requireKeyVersion, requireMode, requireStaticKeys, scp03VerificationFailure } from './checks.js';
import { computeSCP03CardCryptogram, computeSCP03HostCryptogram } from './computeSCP03Cryptograms.js';
import { deriveSCP03SessionKeys } from './deriveSCP03SessionKeys.js';
import {
  parseSCP03InitializeUpdateResponse,
  SCP03_INS_EXTERNAL_AUTHENTICATE,
  SCP03_INS_INITIALIZE_UPDATE,
} from './initializeUpdate.js';
import { SCP03_COMMANDS_PER_SESSION_MAX, SCP03_LOGICAL_CHANNEL_MAX, SCP03_MAC_CHAINING_VALUE_BYTES } from './limits.js';
import {
  computeSCP03CommandMAC,
  computeSCP03ResponseMAC,
  decryptSCP03ResponseData,
  encryptSCP03CommandData,
  isProtectedStatusWord,
  lcField,
  securedCLA,
} from './secureMessaging.js';
import {
  hasCommandEncryption,
  hasResponseEncryption,
  hasResponseMAC,
  isSCP03SecurityLevel,
  parameterSupportsSecurityLevel,
  scp03ChallengeBytes,
  type SCP03Mode,
  type SCP03Parameter,
  type SCP03SecurityLevel,
  type SCP03SessionKeys,
  type SCP03StaticKeys,
} from './types.js';

export interface SCP03HostSessionOptions {
  readonly keys: SCP03StaticKeys;
  /** INITIALIZE UPDATE P1: the key version to use, or 0 for "the card's first keyset". Default: keys.keyVersion. */
  readonly keyVersion?: number;
  /** S8 (default) or S16; the card must announce the same in parameter i. */
  readonly mode?: SCP03Mode;
  /** Logical channel 0 (default) to 19. */
  readonly logicalChannel?: number;
  /** Where host challenges come from when none is given (default: the system CSPRNG). */
  readonly random?: RandomSource;
}

/** What the card told the host in its INITIALIZE UPDATE response (nothing here is secret). */
export interface SCP03CardInformation {
  readonly keyDiversificationData: Uint8Array;
  readonly keyVersion: number;
  readonly parameter: SCP03Parameter;
  readonly cardChallenge: Uint8Array;
  /** The card's sequence counter in pseudo-random mode, undefined in random mode. */
  readonly sequenceCounter: number | undefined;
}

export type SCP03HostSessionState =
  | 'idle'
  | 'awaiting-initialize-update-response'
  | 'initialized'
  | 'awaiting-external-authenticate-response'
  | 'authenticated';

interface OpenSession {
  readonly sessionKeys: SCP03SessionKeys;
  /** S-MAC and S-RMAC as CMAC contexts: every command and response of the session uses them. */
  readonly macContext: AESCMACContext;
  readonly rmacContext: AESCMACContext;
  readonly securityLevel: SCP03SecurityLevel;
  readonly card: SCP03CardInformation;
  chainingValue: Uint8Array;
  encryptionCounter: number;
  /**
   * Commands wrapped whose responses have not been unwrapped yet, oldest first: each response is
   * checked with its own command's MAC chaining value and counter, so a script of several
   * commands can go to the card at once (the C-MAC chain depends on commands only).
   */
  readonly awaiting: AwaitingResponse[];
}

/** What a response still to come answers: EXTERNAL AUTHENTICATE sent ahead, or a wrapped command. */
type AwaitingResponse =
  | { readonly kind: 'external-authenticate' }
  | { readonly kind: 'command'; readonly chainingValue: Uint8Array; readonly encryptionCounter: number };

/** Commands wrapped ahead of their responses at most (a script's worth). */
export const SCP03_COMMANDS_AWAITING_MAX = 255;

/** Where the host is in the protocol, with exactly the values that step needs. */
type Phase =
  | { readonly state: 'idle' }
  | { readonly state: 'awaiting-initialize-update-response'; readonly hostChallenge: Uint8Array }
  | {
      readonly state: 'initialized';
      readonly card: SCP03CardInformation;
      readonly sessionKeys: SCP03SessionKeys;
      readonly hostCryptogram: Uint8Array;
    }
  | {
      readonly state: 'awaiting-external-authenticate-response';
      readonly card: SCP03CardInformation;
      readonly sessionKeys: SCP03SessionKeys;
      readonly securityLevel: SCP03SecurityLevel;
      readonly chainingValue: Uint8Array;
    }
  | { readonly state: 'authenticated'; readonly session: OpenSession };

function stateError(message: string): TesseraError {
  return new TesseraError(LibErrorCode.scp03State, message);
}

/** A bare '9000' (Amendment D §7.1.2); anything else is a refusal or a protocol error. */
function checkExternalAuthenticateResponse(response: Uint8Array): ResponseAPDU {
  const parsed = parseResponseAPDU(response);
  if (parsed.sw !== 0x9000) throw cardRefused('EXTERNAL AUTHENTICATE', parsed.sw);
  if (parsed.data.length !== 0) {
    throw new TesseraError(
      LibErrorCode.scp03CardResponse,
      `expected no data in the EXTERNAL AUTHENTICATE response, received ${parsed.data.length} bytes`,
    );
  }
  return parsed;
}

function openSession(
  phase: { readonly card: SCP03CardInformation; readonly sessionKeys: SCP03SessionKeys; readonly securityLevel: SCP03SecurityLevel; readonly chainingValue: Uint8Array },
  awaiting: AwaitingResponse[],
): OpenSession {
  const { card, sessionKeys, securityLevel, chainingValue } = phase;
  return {
    sessionKeys, securityLevel, card, chainingValue, encryptionCounter: 0, awaiting,
    macContext: new AESCMACContext(sessionKeys.mac), rmacContext: new AESCMACContext(sessionKeys.rmac),
  };
}

function cardRefused(step: string, sw: number): TesseraError {
  return new TesseraError(LibErrorCode.scp03CardResponse, `the card answered ${step} with ${statusWordToHex(sw)}`, {
    details: { sw: statusWordToHex(sw) },
  });
}

/**
 * The off-card (host) side of an SCP03 secure channel session (GP Card Specification v2.3
 * Amendment D), as the TSM and the CLI run it. Pure protocol: it builds command APDUs and reads
 * response APDUs; `openSCP03` drives it over a transmit function.
 *
 *   initializeUpdate() → processInitializeUpdateResponse() → externalAuthenticate(level) →
 *   processExternalAuthenticateResponse() → (wrapCommand() → unwrapResponse())*
 *
 * Commands and responses strictly alternate. A failed card cryptogram or R-MAC check throws the
 * uniform ERR_CRYPTO_VERIFY and closes the session; a card refusal throws ERR_SCP03_CARD_RESPONSE
 * (with the status word in `details`); a call out of order throws ERR_SCP03_STATE.
 */
export class SCP03HostSession {
  readonly mode: SCP03Mode;
  readonly logicalChannel: number;
  readonly #keys: SCP03StaticKeys;
  readonly #requestedKeyVersion: number;
  readonly #random: RandomSource;
  #phase: Phase = { state: 'idle' };

  constructor(options: SCP03HostSessionOptions) {
    requireStaticKeys(options.keys);
    this.#keys = { ...options.keys };
    this.#requestedKeyVersion = options.keyVersion ?? options.keys.keyVersion;
    requireKeyVersion(this.#requestedKeyVersion, 0);
    this.mode = options.mode ?? 'S8';
    requireMode(this.mode);
    this.logicalChannel = options.logicalChannel ?? 0;
    if (!Number.isInteger(this.logicalChannel) || this.logicalChannel < 0 || this.logicalChannel > SCP03_LOGICAL_CHANNEL_MAX) {
      throw new TesseraError(
        LibErrorCode.cryptoInput,
        `expected a logical channel from 0 to ${SCP03_LOGICAL_CHANNEL_MAX}, received ${String(this.logicalChannel)}`,
      );
    }
    this.#random = options.random ?? createSystemRandomSource();
  }

  get state(): SCP03HostSessionState {
    return this.#phase.state;
  }

  get securityLevel(): SCP03SecurityLevel | undefined {
    return this.#phase.state === 'authenticated' ? this.#phase.session.securityLevel : undefined;
  }

  /** What the card sent in its INITIALIZE UPDATE response, once its cryptogram has been verified. */
  get cardInformation(): SCP03CardInformation | undefined {
    const phase = this.#phase;
    switch (phase.state) {
      case 'idle':
      case 'awaiting-initialize-update-response':
        return undefined;
      case 'initialized':
      case 'awaiting-external-authenticate-response':
        return phase.card;
      case 'authenticated':
        return phase.session.card;
    }
  }

  /** Ends the session and forgets its keys; a new one starts with initializeUpdate(). */
  close(): void {
    const phase = this.#phase;
    if (phase.state === 'authenticated') {
      phase.session.macContext.destroy();
      phase.session.rmacContext.destroy();
    }
    const keys =
      phase.state === 'authenticated' ? phase.session.sessionKeys : 'sessionKeys' in phase ? phase.sessionKeys : undefined;
    keys?.enc.fill(0);
    keys?.mac.fill(0);
    keys?.rmac.fill(0);
    this.#phase = { state: 'idle' };
  }

  /** INITIALIZE UPDATE: '80 50 <key version> 00 <Lc> <host challenge> 00' (Le '00', case 4). */
  initializeUpdate(hostChallenge?: Uint8Array): Uint8Array {
    this.close();
    const challenge = hostChallenge === undefined ? this.#random.bytes(scp03ChallengeBytes(this.mode)) : copyBytes(hostChallenge);
    requireChallenge(challenge, this.mode, 'host challenge');
    this.#phase = { state: 'awaiting-initialize-update-response', hostChallenge: challenge };
    return encodeCommandAPDU({
      cla: this.#plainCLA(),
      ins: SCP03_INS_INITIALIZE_UPDATE,
      p1: this.#requestedKeyVersion,
      p2: 0x00,
      data: challenge,
      le: APDU_SHORT_RESPONSE_DATA_BYTES_MAX,
    });
  }

  /**
   * Reads the INITIALIZE UPDATE response (data || SW), derives the session keys and verifies the
   * card cryptogram in constant time (Amendment D §6.2.2.2). Returns what the card announced.
   */
  processInitializeUpdateResponse(response: Uint8Array): SCP03CardInformation {
    const phase = this.#phase;
    if (phase.state !== 'awaiting-initialize-update-response') throw stateError('expected INITIALIZE UPDATE to have been sent first');
    this.#phase = { state: 'idle' };
    const { data, sw } = parseResponseAPDU(response);
    if (sw !== 0x9000) throw cardRefused('INITIALIZE UPDATE', sw);
    const received = parseSCP03InitializeUpdateResponse(data, this.mode);
    if (this.#requestedKeyVersion !== 0 && received.keyVersion !== this.#requestedKeyVersion) {
      throw new TesseraError(
        LibErrorCode.scp03CardResponse,
        `expected key version ${this.#requestedKeyVersion} in the INITIALIZE UPDATE response, received ${received.keyVersion}`,
      );
    }
    const { hostChallenge } = phase;
    const sessionKeys = deriveSCP03SessionKeys(this.#keys, hostChallenge, received.cardChallenge);
    const expectedCryptogram = computeSCP03CardCryptogram(sessionKeys.mac, hostChallenge, received.cardChallenge, this.mode);
    if (!constantTimeEqual(expectedCryptogram, received.cardCryptogram)) {
      sessionKeys.enc.fill(0);
      sessionKeys.mac.fill(0);
      sessionKeys.rmac.fill(0);
      throw scp03VerificationFailure();
    }
    const card: SCP03CardInformation = {
      keyDiversificationData: received.keyDiversificationData,
      keyVersion: received.keyVersion,
      parameter: received.parameter,
      cardChallenge: received.cardChallenge,
      sequenceCounter: received.sequenceCounter,
    };
    const hostCryptogram = computeSCP03HostCryptogram(sessionKeys.mac, hostChallenge, received.cardChallenge, this.mode);
    this.#phase = { state: 'initialized', card, sessionKeys, hostCryptogram };
    return card;
  }

  /**
   * EXTERNAL AUTHENTICATE: '84 82 <level> 00 <Lc> <host cryptogram> <C-MAC>'. Never encrypted, even
   * at a level with C-DECRYPTION; its C-MAC starts the chain from 16 bytes '00'.
   */
  externalAuthenticate(securityLevel: SCP03SecurityLevel): Uint8Array {
    const phase = this.#phase;
    if (phase.state !== 'initialized') throw stateError('expected a verified INITIALIZE UPDATE response first');
    if (!isSCP03SecurityLevel(securityLevel)) {
      throw new TesseraError(LibErrorCode.cryptoInput, `expected security level 01, 03, 11, 13 or 33, received ${String(securityLevel)}`);
    }
    if (!parameterSupportsSecurityLevel(phase.card.parameter, securityLevel)) {
      throw new TesseraError(
        LibErrorCode.scp03CardResponse,
        `the card's parameter i does not support security level ${securityLevel.toString(16).padStart(2, '0')}`,
      );
    }
    const macBytes = scp03ChallengeBytes(this.mode);
    const header = { cla: this.#securedCLAFor(this.#plainCLA()), ins: SCP03_INS_EXTERNAL_AUTHENTICATE, p1: securityLevel, p2: 0x00 };
    const zeroChainingValue = new Uint8Array(SCP03_MAC_CHAINING_VALUE_BYTES);
    const mac = computeSCP03CommandMAC(phase.sessionKeys.mac, zeroChainingValue, header, lcField(2 * macBytes, false), phase.hostCryptogram);
    this.#phase = {
      state: 'awaiting-external-authenticate-response',
      card: phase.card,
      sessionKeys: phase.sessionKeys,
      securityLevel,
      chainingValue: mac,
    };
    return encodeCommandAPDU({ ...header, data: concatBytes(phase.hostCryptogram, mac.subarray(0, macBytes)) });
  }

  /** '9000' opens the session at the requested level; anything else closes it ('6300': wrong keys). */
  processExternalAuthenticateResponse(response: Uint8Array): void {
    const phase = this.#phase;
    if (phase.state !== 'awaiting-external-authenticate-response') throw stateError('expected EXTERNAL AUTHENTICATE to have been sent first');
    try {
      checkExternalAuthenticateResponse(response);
    } catch (error) {
      this.close();
      throw error;
    }
    this.#phase = { state: 'authenticated', session: openSession(phase, []) };
  }

  /**
   * EXTERNAL AUTHENTICATE sent ahead of its answer, in the same script as the commands wrapped after
   * it (an SP's script over OTA): the session counts as open at once, and the first response
   * unwrapped is EXTERNAL AUTHENTICATE's — anything but a bare '9000' closes the session and throws
   * as processExternalAuthenticateResponse does. The card refuses every command after a failed
   * EXTERNAL AUTHENTICATE, so nothing wrapped here runs without it.
   */
  externalAuthenticateAhead(securityLevel: SCP03SecurityLevel): Uint8Array {
    const command = this.externalAuthenticate(securityLevel);
    const phase = this.#phase;
    if (phase.state !== 'awaiting-external-authenticate-response') throw stateError('externalAuthenticate leaves the session awaiting its answer');
    this.#phase = { state: 'authenticated', session: openSession(phase, [{ kind: 'external-authenticate' }]) };
    return command;
  }

  #plainCLA(): number {
    return encodeCLA({ interindustry: false, logicalChannel: this.logicalChannel, secureMessaging: 'none', chaining: false });
  }

  /**
   * Protects one command (Amendment D §6.2.4, §6.2.6): the encryption counter moves on; with
   * C-DECRYPTION a non-empty data field is padded and encrypted; the class byte gets the secure
   * messaging indication; the C-MAC over the chaining value, the header with the new Lc and the
   * data field is appended. Le is kept. Lengths become extended only when the command needs it.
   * Several commands may be wrapped before their responses come back; unwrap the responses in order.
   */
  wrapCommand(command: CommandAPDU | Uint8Array): Uint8Array {
    const session = this.#requireSession();
    if (session.awaiting.length >= SCP03_COMMANDS_AWAITING_MAX) throw stateError(`unwrap responses first: ${SCP03_COMMANDS_AWAITING_MAX} commands await theirs`);
    const plain = command instanceof Uint8Array ? parseCommandAPDU(command) : { ...command, data: copyBytes(command.data) };
    const cla = this.#securedCLAFor(plain.cla);

    const macBytes = scp03ChallengeBytes(this.mode);
    const encrypt = hasCommandEncryption(session.securityLevel) && plain.data.length > 0;
    const bodyBytes = encrypt ? (Math.floor(plain.data.length / 16) + 1) * 16 : plain.data.length;
    const wrappedDataBytes = bodyBytes + macBytes;
    if (wrappedDataBytes > APDU_DATA_BYTES_MAX) {
      throw new TesseraError(LibErrorCode.lengthInvalid, `a secured data field of ${wrappedDataBytes} bytes exceeds ${APDU_DATA_BYTES_MAX}`);
    }
    if (session.encryptionCounter >= SCP03_COMMANDS_PER_SESSION_MAX) throw stateError('the session has protected its last command');

    session.encryptionCounter += 1;
    const body = encrypt ? encryptSCP03CommandData(session.sessionKeys.enc, session.encryptionCounter, plain.data) : plain.data;
    const extended =
      plain.extended === true || wrappedDataBytes > APDU_SHORT_DATA_BYTES_MAX || (plain.le ?? 0) > APDU_SHORT_RESPONSE_DATA_BYTES_MAX;
    const header = { cla, ins: plain.ins, p1: plain.p1, p2: plain.p2 };
    const mac = computeSCP03CommandMAC(session.macContext, session.chainingValue, header, lcField(wrappedDataBytes, extended), body);
    session.chainingValue = mac;
    session.awaiting.push({ kind: 'command', chainingValue: mac, encryptionCounter: session.encryptionCounter });
    const wrapped: CommandAPDU = { ...header, data: concatBytes(body, mac.subarray(0, macBytes)), extended };
    return encodeCommandAPDU(plain.le === undefined ? wrapped : { ...wrapped, le: plain.le });
  }

  #securedCLAFor(cla: number): number {
    const classByte = decodeCLA(cla);
    if (classByte === undefined || classByte.logicalChannel !== this.logicalChannel) {
      throw new TesseraError(
        LibErrorCode.apduMalformed,
        `expected a class byte on logical channel ${this.logicalChannel}, received ${cla.toString(16).padStart(2, '0')}`,
      );
    }
    const secured = securedCLA(cla);
    if (secured === undefined) {
      throw new TesseraError(LibErrorCode.apduMalformed, `class byte ${cla.toString(16).padStart(2, '0')} already indicates secure messaging`);
    }
    return secured;
  }

  /**
   * Verifies and decrypts the response to the oldest wrapped command still awaiting one (Amendment D
   * §6.2.5, §6.2.7). With R-MAC, '9000' and warnings must carry a valid R-MAC; other status words
   * must come alone. Any failure closes the session and throws the uniform verification error.
   */
  unwrapResponse(response: Uint8Array): ResponseAPDU {
    const session = this.#requireSession();
    const command = session.awaiting.shift();
    if (command === undefined) throw stateError('no wrapped command is awaiting a response');
    try {
      if (command.kind === 'external-authenticate') return checkExternalAuthenticateResponse(response);
      return this.#unwrap(session, command, parseResponseAPDU(response));
    } catch (error) {
      this.close();
      throw error;
    }
  }

  #unwrap(session: OpenSession, command: AwaitingResponse & { kind: 'command' }, received: ResponseAPDU): ResponseAPDU {
    if (!hasResponseMAC(session.securityLevel)) return received;
    if (!isProtectedStatusWord(received.sw)) {
      if (received.data.length !== 0) throw scp03VerificationFailure();
      return received;
    }
    const macBytes = scp03ChallengeBytes(this.mode);
    if (received.data.length < macBytes) throw scp03VerificationFailure();
    const body = received.data.subarray(0, received.data.length - macBytes);
    const expectedMAC = computeSCP03ResponseMAC(session.rmacContext, command.chainingValue, body, received.sw);
    if (!constantTimeEqual(expectedMAC.subarray(0, macBytes), received.data.subarray(body.length))) throw scp03VerificationFailure();
    if (!hasResponseEncryption(session.securityLevel) || body.length === 0) return { data: copyBytes(body), sw: received.sw };
    return { data: decryptSCP03ResponseData(session.sessionKeys.enc, command.encryptionCounter, body), sw: received.sw };
  }

  #requireSession(): OpenSession {
    const phase = this.#phase;
    if (phase.state !== 'authenticated') throw stateError('expected an authenticated SCP03 session (run the handshake first)');
    return phase.session;
  }
}
