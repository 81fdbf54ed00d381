import assert from 'node:assert/strict';
import { decodeCLA, encodeResponseAPDU, parseCommandAPDU, type CommandAPDU, APDU_RESPONSE_DATA_BYTES_MAX } from '../apdu.js';
import { concatBytes, constantTimeEqual, copyBytes } from '../bytes.js';
import { AESCMACContext, type RandomSource } from '../crypto/index.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { statusWordToBytes } from '../status-words.js';
import { requireStaticKeys } from './checks.js';
import { computeSCP03CardCryptogram, computeSCP03HostCryptogram } from './computeSCP03Cryptograms.js';
import { deriveSCP03SessionKeys } from './deriveSCP03SessionKeys.js';
import { generateSCP03PseudoRandomCardChallenge } from './generateSCP03PseudoRandomCardChallenge.js';
import {
  encodeSCP03InitializeUpdateResponse,
  SCP03_INS_EXTERNAL_AUTHENTICATE,
  SCP03_INS_INITIALIZE_UPDATE,
} from './initializeUpdate.js';
import {
  SCP03_COMMANDS_PER_SESSION_MAX,
  SCP03_KEY_DIVERSIFICATION_DATA_BYTES,
  SCP03_KEYSETS_MAX,
  SCP03_MAC_CHAINING_VALUE_BYTES,
  SCP03_SEQUENCE_COUNTER_MAX,
} from './limits.js';
import {
  computeSCP03CommandMAC,
  computeSCP03ResponseMAC,
  decryptSCP03CommandData,
  encryptSCP03ResponseData,
  isProtectedStatusWord,
  lcField,
  plainCLA,
} from './secureMessaging.js';
import {
  encodeSCP03Parameter,
  hasCommandEncryption,
  hasResponseEncryption,
  hasResponseMAC,
  isSCP03SecurityLevel,
  parameterSupportsSecurityLevel,
  SCP03_SECURITY_LEVELS,
  scp03ChallengeBytes,
  type SCP03Mode,
  type SCP03Parameter,
  type SCP03SecurityLevel,
  type SCP03SessionKeys,
  type SCP03StaticKeys,
} from './types.js';

/**
 * Why the card refused a step. Each maps to one status word (SCP03_CARD_FAILURE_STATUS_WORDS);
 * the reason is for the card's log, the status word for the wire. Every MAC, padding or missing
 * secure messaging failure is the one reason `verificationFailed`, so the wire never tells which.
 */
export type SCP03CardFailureReason =
  | 'classNotSupported'
  | 'wrongLength'
  | 'incorrectParameters'
  | 'keyVersionNotFound'
  | 'sequenceCounterExhausted'
  | 'noPendingInitializeUpdate'
  | 'securityLevelNotAllowed'
  | 'verificationFailed'
  | 'hostCryptogramInvalid'
  | 'noSession';

/**
 * Status words for each failure. Amendment D fixes two of them: '6300' when the host cryptogram is
 * wrong, '6982' when a C-MAC fails (and the session ends). The others are ISO/IEC 7816-4 meanings
 * chosen here: '6A88' (no keyset with that version, as GP 2.3 lists for INITIALIZE UPDATE), '6A86'
 * (P1/P2: an undefined or unsupported security level, P2 not '00'), '6700' (Lc), '6985' (no
 * INITIALIZE UPDATE before EXTERNAL AUTHENTICATE, or the sequence counter is exhausted), '6982'
 * (a level the Security Domain's policy refuses, or a command that needs a session when none is open).
 */
export const SCP03_CARD_FAILURE_STATUS_WORDS: Readonly<Record<SCP03CardFailureReason, number>> = {
  classNotSupported: 0x6e00,
  wrongLength: 0x6700,
  incorrectParameters: 0x6a86,
  keyVersionNotFound: 0x6a88,
  sequenceCounterExhausted: 0x6985,
  noPendingInitializeUpdate: 0x6985,
  securityLevelNotAllowed: 0x6982,
  verificationFailed: 0x6982,
  hostCryptogramInvalid: 0x6300,
  noSession: 0x6982,
};

export interface SCP03CardFailure {
  readonly ok: false;
  readonly reason: SCP03CardFailureReason;
  readonly sw: number;
}

/** Where the card challenge comes from (Amendment D §6.2.2.1). */
export type SCP03CardChallengeSource =
  | { readonly kind: 'random'; readonly random: RandomSource }
  | {
      readonly kind: 'pseudo-random';
      /** The AID of the Security Domain the session is opened with. */
      readonly securityDomainAID: Uint8Array;
      /** The persistent sequence counter of the keyset, 0 to SCP03_SEQUENCE_COUNTER_MAX. */
      readonly sequenceCounter: number;
    };

/** What the card runtime supplies to each INITIALIZE UPDATE: the Security Domain's state now. */
export interface SCP03InitializeUpdateContext {
  /** The Security Domain's SCP03 keysets; P1 '00' selects the first. */
  readonly keysets: readonly SCP03StaticKeys[];
  /** Key diversification data, 10 bytes (returned as is; Tessera does not diversify here). */
  readonly keyDiversificationData: Uint8Array;
  readonly cardChallenge: SCP03CardChallengeSource;
}

export type SCP03InitializeUpdateResult =
  | {
      readonly ok: true;
      readonly sw: 0x9000;
      /** The response data field; send it with '9000' and no further protection. */
      readonly data: Uint8Array;
      readonly keyVersion: number;
      /**
       * In pseudo-random mode, the counter value the runtime must persist before it sends the
       * response (the value used plus one); undefined in random mode.
       */
      readonly nextSequenceCounter: number | undefined;
    }
  | SCP03CardFailure;

export type SCP03ExternalAuthenticateResult =
  | { readonly ok: true; readonly sw: 0x9000; readonly securityLevel: SCP03SecurityLevel }
  | SCP03CardFailure;

export type SCP03UnwrapCommandResult = { readonly ok: true; readonly command: CommandAPDU } | SCP03CardFailure;

export interface SCP03CardSessionOptions {
  /** S8 (default) or S16. */
  readonly mode?: SCP03Mode;
  /** Whether parameter i announces R-MAC support (default true). */
  readonly responseMACSupported?: boolean;
  /** Whether parameter i announces R-ENCRYPTION support (default true; needs R-MAC support). */
  readonly responseEncryptionSupported?: boolean;
  /** The levels this Security Domain accepts in EXTERNAL AUTHENTICATE (default: all five). */
  readonly allowedSecurityLevels?: readonly SCP03SecurityLevel[];
}

export type SCP03CardSessionState = 'idle' | 'initialized' | 'authenticated';

interface PendingHandshake {
  readonly logicalChannel: number;
  readonly sessionKeys: SCP03SessionKeys;
  readonly hostChallenge: Uint8Array;
  readonly cardChallenge: Uint8Array;
  readonly parameter: SCP03Parameter;
}

interface OpenSession {
  readonly logicalChannel: number;
  readonly sessionKeys: SCP03SessionKeys;
  /** S-MAC and S-RMAC as CMAC contexts: every command and response of the session uses them. */
  readonly macContext: AESCMACContext;
  readonly rmacContext: AESCMACContext;
  readonly securityLevel: SCP03SecurityLevel;
  chainingValue: Uint8Array;
  encryptionCounter: number;
  /** Set by a successful unwrapCommand, cleared by wrapResponse: only an answer to it is protected. */
  commandPending: boolean;
}

function failure(reason: SCP03CardFailureReason): SCP03CardFailure {
  return { ok: false, reason, sw: SCP03_CARD_FAILURE_STATUS_WORDS[reason] };
}

const EMPTY = new Uint8Array(0);

/**
 * The card side of one SCP03 secure channel session on one logical channel (GP Card Specification
 * v2.3 Amendment D). Pure protocol: it keeps no key store and does no I/O; the card runtime hands
 * it the Security Domain's keysets at INITIALIZE UPDATE, routes INITIALIZE UPDATE and EXTERNAL
 * AUTHENTICATE to it, calls `unwrapCommand` on each secured command and `wrapResponse` on the
 * answer, and sends the status words the results carry.
 *
 * Expected failures are results, not exceptions: `{ ok: false, reason, sw }`. Any failure during
 * EXTERNAL AUTHENTICATE or while unwrapping a command ends the session (GP: a C-MAC failure
 * terminates the secure channel); the next secured command then gets `noSession` ('6982').
 */
export class SCP03CardSession {
  readonly mode: SCP03Mode;
  readonly #responseMACSupported: boolean;
  readonly #responseEncryptionSupported: boolean;
  readonly #allowedSecurityLevels: readonly SCP03SecurityLevel[];
  #pending: PendingHandshake | undefined;
  #session: OpenSession | undefined;

  constructor(options: SCP03CardSessionOptions = {}) {
    this.mode = options.mode ?? 'S8';
    this.#responseMACSupported = options.responseMACSupported ?? true;
    this.#responseEncryptionSupported = options.responseEncryptionSupported ?? true;
    assert.ok(this.mode === 'S8' || this.mode === 'S16', 'SCP03 mode is S8 or S16');
    assert.ok(!this.#responseEncryptionSupported || this.#responseMACSupported, 'R-ENCRYPTION support needs R-MAC support');
    this.#allowedSecurityLevels = [...(options.allowedSecurityLevels ?? SCP03_SECURITY_LEVELS)];
    assert.ok(this.#allowedSecurityLevels.every(isSCP03SecurityLevel), 'allowed security levels are SCP03 levels');
  }

  get state(): SCP03CardSessionState {
    if (this.#session !== undefined) return 'authenticated';
    return this.#pending !== undefined ? 'initialized' : 'idle';
  }

  /** The level of the authenticated session, undefined when none is open. */
  get securityLevel(): SCP03SecurityLevel | undefined {
    return this.#session?.securityLevel;
  }

  /** The logical channel the handshake or session runs on, undefined when idle. */
  get logicalChannel(): number | undefined {
    return this.#session?.logicalChannel ?? this.#pending?.logicalChannel;
  }

  /** Ends the session (or the pending handshake) and forgets its keys. */
  close(): void {
    this.#session?.macContext.destroy();
    this.#session?.rmacContext.destroy();
    for (const keys of [this.#session?.sessionKeys, this.#pending?.sessionKeys]) {
      keys?.enc.fill(0);
      keys?.mac.fill(0);
      keys?.rmac.fill(0);
    }
    this.#session = undefined;
    this.#pending = undefined;
  }

  /**
   * INITIALIZE UPDATE (CLA '80'-'83'/'C0'-'CF', INS '50', P1 key version or '00', P2 '00', data host
   * challenge). Always ends any current session first, as a new INITIALIZE UPDATE does on a card.
   */
  handleInitializeUpdate(command: CommandAPDU, context: SCP03InitializeUpdateContext): SCP03InitializeUpdateResult {
    assert.equal(command.ins, SCP03_INS_INITIALIZE_UPDATE, 'the runtime routes INS 50 here');
    this.close();
    requireContext(context);
    const classByte = decodeCLA(command.cla);
    if (classByte === undefined || classByte.secureMessaging !== 'none') return failure('classNotSupported');
    if (command.data.length !== scp03ChallengeBytes(this.mode)) return failure('wrongLength');
    if (command.p2 !== 0x00) return failure('incorrectParameters');
    const keys = command.p1 === 0x00 ? context.keysets[0] : context.keysets.find((keyset) => keyset.keyVersion === command.p1);
    if (keys === undefined) return failure('keyVersionNotFound');

    const source = context.cardChallenge;
    if (source.kind === 'pseudo-random' && source.sequenceCounter > SCP03_SEQUENCE_COUNTER_MAX) {
      return failure('sequenceCounterExhausted');
    }
    const cardChallenge =
      source.kind === 'random'
        ? source.random.bytes(scp03ChallengeBytes(this.mode))
        : generateSCP03PseudoRandomCardChallenge(keys.enc, source.sequenceCounter, source.securityDomainAID, this.mode);
    const parameter: SCP03Parameter = {
      mode: this.mode,
      pseudoRandomCardChallenge: source.kind === 'pseudo-random',
      responseMACSupported: this.#responseMACSupported,
      responseEncryptionSupported: this.#responseEncryptionSupported,
    };
    const hostChallenge = copyBytes(command.data);
    const sessionKeys = deriveSCP03SessionKeys(keys, hostChallenge, cardChallenge);
    const cardCryptogram = computeSCP03CardCryptogram(sessionKeys.mac, hostChallenge, cardChallenge, this.mode);
    const sequenceCounter = source.kind === 'pseudo-random' ? source.sequenceCounter : undefined;
    const data = encodeSCP03InitializeUpdateResponse({
      keyDiversificationData: context.keyDiversificationData,
      keyVersion: keys.keyVersion,
      parameterI: encodeSCP03Parameter(parameter),
      cardChallenge,
      cardCryptogram,
      sequenceCounter,
    });
    this.#pending = { logicalChannel: classByte.logicalChannel, sessionKeys, hostChallenge, cardChallenge, parameter };
    const nextSequenceCounter = sequenceCounter === undefined ? undefined : sequenceCounter + 1;
    return { ok: true, sw: 0x9000, data, keyVersion: keys.keyVersion, nextSequenceCounter };
  }

  /**
   * EXTERNAL AUTHENTICATE (CLA '84'-'87'/'E0'-'EF', INS '82', P1 security level, P2 '00', data host
   * cryptogram || C-MAC). The C-MAC is checked first (chaining value 16 bytes '00'), then the host
   * cryptogram. Whatever the outcome, the pending handshake is used up: a failure leaves no session.
   */
  handleExternalAuthenticate(command: CommandAPDU): SCP03ExternalAuthenticateResult {
    assert.equal(command.ins, SCP03_INS_EXTERNAL_AUTHENTICATE, 'the runtime routes INS 82 here');
    const pending = this.#pending;
    if (pending === undefined) {
      this.close();
      return failure('noPendingInitializeUpdate');
    }
    this.#pending = undefined;
    const result = this.#authenticate(pending, command);
    if (!result.ok) {
      pending.sessionKeys.enc.fill(0);
      pending.sessionKeys.mac.fill(0);
      pending.sessionKeys.rmac.fill(0);
    }
    return result;
  }

  #authenticate(pending: PendingHandshake, command: CommandAPDU): SCP03ExternalAuthenticateResult {
    const macBytes = scp03ChallengeBytes(this.mode);
    const plain = plainCLA(command.cla);
    if (plain === undefined || plain.logicalChannel !== pending.logicalChannel) return failure('verificationFailed');
    if (command.p2 !== 0x00) return failure('incorrectParameters');
    if (command.data.length !== 2 * macBytes) return failure('wrongLength');
    const level = command.p1;
    if (!isSCP03SecurityLevel(level) || !parameterSupportsSecurityLevel(pending.parameter, level)) {
      return failure('incorrectParameters');
    }
    if (!this.#allowedSecurityLevels.includes(level)) return failure('securityLevelNotAllowed');

    const receivedCryptogram = command.data.slice(0, macBytes);
    const receivedMAC = command.data.slice(macBytes);
    const mac = computeSCP03CommandMAC(
      pending.sessionKeys.mac,
      new Uint8Array(SCP03_MAC_CHAINING_VALUE_BYTES),
      command,
      lcField(command.data.length, isExtended(command)),
      receivedCryptogram,
    );
    if (!constantTimeEqual(mac.subarray(0, macBytes), receivedMAC)) return failure('verificationFailed');
    const expectedCryptogram = computeSCP03HostCryptogram(pending.sessionKeys.mac, pending.hostChallenge, pending.cardChallenge, this.mode);
    if (!constantTimeEqual(expectedCryptogram, receivedCryptogram)) return failure('hostCryptogramInvalid');

    this.#session = {
      logicalChannel: pending.logicalChannel,
      sessionKeys: pending.sessionKeys,
      macContext: new AESCMACContext(pending.sessionKeys.mac),
      rmacContext: new AESCMACContext(pending.sessionKeys.rmac),
      securityLevel: level,
      chainingValue: mac,
      encryptionCounter: 0,
      commandPending: false,
    };
    return { ok: true, sw: 0x9000, securityLevel: level };
  }

  /**
   * Verifies and decrypts one secured command (Amendment D §6.2.4, §6.2.6). On success the MAC
   * chaining value and the encryption counter move on and the plain command is returned with its
   * class byte's secure messaging indication cleared. On any failure the session ends.
   */
  unwrapCommand(received: CommandAPDU | Uint8Array): SCP03UnwrapCommandResult {
    const session = this.#session;
    if (session === undefined) {
      this.close(); // a command between INITIALIZE UPDATE and EXTERNAL AUTHENTICATE aborts the handshake
      return failure('noSession');
    }
    const result = this.#unwrap(session, received);
    if (!result.ok) this.close();
    return result;
  }

  #unwrap(session: OpenSession, received: CommandAPDU | Uint8Array): SCP03UnwrapCommandResult {
    let command: CommandAPDU;
    try {
      command = received instanceof Uint8Array ? parseCommandAPDU(received) : { ...received, data: copyBytes(received.data) };
    } catch {
      return failure('wrongLength');
    }
    const macBytes = scp03ChallengeBytes(this.mode);
    const plain = plainCLA(command.cla);
    if (plain === undefined || plain.logicalChannel !== session.logicalChannel) return failure('verificationFailed');
    if (command.data.length < macBytes || session.encryptionCounter >= SCP03_COMMANDS_PER_SESSION_MAX) {
      return failure('verificationFailed');
    }
    const body = command.data.subarray(0, command.data.length - macBytes);
    const mac = computeSCP03CommandMAC(
      session.macContext,
      session.chainingValue,
      command,
      lcField(command.data.length, isExtended(command)),
      body,
    );
    if (!constantTimeEqual(mac.subarray(0, macBytes), command.data.subarray(body.length))) return failure('verificationFailed');
    session.chainingValue = mac;
    session.encryptionCounter += 1;

    let data = body;
    if (hasCommandEncryption(session.securityLevel) && body.length > 0) {
      try {
        data = decryptSCP03CommandData(session.sessionKeys.enc, session.encryptionCounter, body);
      } catch {
        return failure('verificationFailed');
      }
    }
    session.commandPending = true;
    const plainCommand: CommandAPDU = { cla: plain.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: copyBytes(data) };
    return { ok: true, command: command.le === undefined ? plainCommand : { ...plainCommand, le: command.le } };
  }

  /**
   * The response APDU (data || SW1 SW2) to send for the command last unwrapped, protected per the
   * session's level (Amendment D §6.2.5, §6.2.7): R-ENCRYPTION of a non-empty data field, then an
   * R-MAC over chaining value || data || SW. Error status words (anything but '9000', '62XX',
   * '63XX') are sent alone, without data or R-MAC. Outside a session, or for a response that does
   * not answer an unwrapped command (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, a refusal), the
   * response is sent as it is.
   */
  wrapResponse(data: Uint8Array, sw: number): Uint8Array {
    statusWordToBytes(sw); // validates
    const session = this.#session;
    if (session === undefined || !session.commandPending) return encodeResponseAPDU({ data, sw });
    session.commandPending = false;
    if (!hasResponseMAC(session.securityLevel)) return encodeResponseAPDU({ data, sw });
    if (!isProtectedStatusWord(sw)) return encodeResponseAPDU({ data: EMPTY, sw });

    const body =
      hasResponseEncryption(session.securityLevel) && data.length > 0
        ? encryptSCP03ResponseData(session.sessionKeys.enc, session.encryptionCounter, data)
        : copyBytes(data);
    const macBytes = scp03ChallengeBytes(this.mode);
    if (body.length + macBytes > APDU_RESPONSE_DATA_BYTES_MAX) {
      throw new TesseraError(LibErrorCode.lengthInvalid, `a protected response of ${body.length + macBytes} bytes exceeds ${APDU_RESPONSE_DATA_BYTES_MAX}`);
    }
    const rmac = computeSCP03ResponseMAC(session.rmacContext, session.chainingValue, body, sw);
    return encodeResponseAPDU({ data: concatBytes(body, rmac.subarray(0, macBytes)), sw });
  }
}

function isExtended(command: CommandAPDU): boolean {
  return command.extended ?? (command.data.length > 255 || (command.le ?? 0) > 256);
}

function requireContext(context: SCP03InitializeUpdateContext): void {
  if (context.keyDiversificationData.length !== SCP03_KEY_DIVERSIFICATION_DATA_BYTES) {
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected key diversification data of ${SCP03_KEY_DIVERSIFICATION_DATA_BYTES} bytes, received ${context.keyDiversificationData.length}`,
    );
  }
  if (context.keysets.length > SCP03_KEYSETS_MAX) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `expected at most ${SCP03_KEYSETS_MAX} keysets, received ${context.keysets.length}`);
  }
  for (const keyset of context.keysets) requireStaticKeys(keyset);
}
