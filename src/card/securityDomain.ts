import { fromHex } from '../lib/bytes.js';
import type { CommandAPDU } from '../lib/apdu.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { SCP03CardSession, SCP03_INS_EXTERNAL_AUTHENTICATE, SCP03_INS_INITIALIZE_UPDATE, type SCP03SecurityLevel } from '../lib/scp03/index.js';
import { StatusWord } from '../lib/status-words.js';
import type { LoadProgress } from '../lib/gp/index.js';
import type { Applet, AppletContext, AppletFirmware } from './types.js';
import { CardLifeCycle, type RegistryEntry } from './model.js';
import type { CommandTransaction } from './transaction.js';
import { StatusWordError, fail } from './statusError.js';
import { securityDomainData } from './registry.js';
import { handleGetData } from './commands/getData.js';
import { handleGetStatus } from './commands/getStatus.js';
import { handleInstall } from './commands/install.js';
import { handleLoad } from './commands/load.js';
import { handleDelete } from './commands/delete.js';
import { handlePutKey } from './commands/putKey.js';
import { handleStoreData } from './commands/storeData.js';
import { handleSetStatus } from './commands/setStatus.js';

/** What a logical channel keeps of its security domain's secure channel. */
export interface SecureChannelState {
  readonly session: SCP03CardSession;
  /** Set by INSTALL [for personalization]: STORE DATA goes to this application until the next selection. */
  personalizationTarget?: string | undefined;
  /** LOAD in progress: reassembled blocks and the INSTALL [for load] that announced them. */
  pendingLoad?: PendingLoad | undefined;
  /** The P2 block number STORE DATA expects next; undefined before the first block and after the last. */
  storeDataNextBlock?: number | undefined;
  /** GET STATUS pages not yet sent (answered 6310; P2 'next occurrence' asks for the next). */
  getStatusPages?: Uint8Array[] | undefined;
  /** The keyset version the session was opened with. */
  readonly keyVersion: number;
  /**
   * That keyset's static K-DEK, kept for the session: PUT KEY decrypts new keys under the DEK the
   * host authenticated with, even after the session replaced that keyset (GP 2.3 §11.8.2.3).
   */
  readonly staticDEK: Uint8Array;
}

export interface PendingLoad {
  readonly loadFileAid: string;
  readonly targetSecurityDomain: string;
  /** The load file data block hash announced by INSTALL [for load], hex; empty when none was given. */
  readonly expectedHashHex: string;
  progress: LoadProgress;
}

/** Everything a security-domain command handler may use. Handlers are pure functions of it. */
export interface SecurityDomainContext {
  readonly transaction: CommandTransaction;
  /** The security domain the command was sent to (selected on this channel). */
  readonly domain: RegistryEntry;
  readonly command: CommandAPDU;
  readonly channel: number;
  readonly secureChannel: SecureChannelState | undefined;
  readonly setSecureChannel: (state: SecureChannelState | undefined) => void;
  readonly random: RandomSource;
  readonly firmware: AppletFirmware;
  readonly appletFor: (entry: RegistryEntry) => Applet;
  readonly appletContext: (entry: RegistryEntry) => AppletContext;
  readonly now: () => number;
  readonly isSelectedAnywhere: (aid: string) => boolean;
}

/** A handler's view: the context plus whether the command arrived through an authenticated secure channel. */
export interface AuthenticatedCommand extends SecurityDomainContext {
  readonly securityLevel: SCP03SecurityLevel | undefined;
}

export interface CommandResult {
  readonly data?: Uint8Array;
  readonly sw: number;
}

const INS = {
  getDataEven: 0xca,
  getDataOdd: 0xcb,
  getStatus: 0xf2,
  install: 0xe6,
  load: 0xe8,
  delete: 0xe4,
  putKey: 0xd8,
  storeData: 0xe2,
  setStatus: 0xf0,
} as const;

/** GP commands use the proprietary class ('80'-'8F', 'C0'-'CF'); GET DATA may also come as '00'. */
function isGlobalPlatformClass(cla: number): boolean {
  return (cla & 0x80) !== 0 || (cla & 0xfc) === 0x00;
}

function initializeUpdate(context: SecurityDomainContext): CommandResult {
  const { transaction, domain, command } = context;
  const data = securityDomainData(transaction.read, domain.aid);
  if (data === undefined) fail(StatusWord.referencedDataNotFound, 'security domain without keys');
  const session = new SCP03CardSession();
  const keysets = data.keysets.map((keyset) => {
    const key = (id: number): Uint8Array => fromHex(keyset.keys.find((candidate) => candidate.id === id)?.valueHex ?? '');
    return { keyVersion: keyset.version, enc: key(1), mac: key(2), dek: key(3) };
  });
  const result = session.handleInitializeUpdate(command, {
    keysets,
    keyDiversificationData: fromHex(data.keyDiversificationDataHex),
    // Pseudo-random card challenges (Amendment D §6.2.2.1): the sequence counter is persistent state.
    cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex(domain.aid), sequenceCounter: data.sequenceCounter },
  });
  if (!result.ok) {
    context.setSecureChannel(undefined);
    return { sw: result.sw };
  }
  if (result.nextSequenceCounter !== undefined) {
    const writable = securityDomainData(transaction.write(), domain.aid);
    if (writable !== undefined) writable.sequenceCounter = result.nextSequenceCounter;
  }
  const staticDEK = keysets.find((keyset) => keyset.keyVersion === result.keyVersion)?.dek ?? new Uint8Array(0);
  context.setSecureChannel({ session, keyVersion: result.keyVersion, staticDEK });
  return { data: result.data, sw: result.sw };
}

/**
 * Processes one command addressed to the selected security domain: the SCP03 handshake, secure
 * messaging, then the GlobalPlatform command itself (GP 2.3 §11).
 */
export function processSecurityDomainCommand(context: SecurityDomainContext): CommandResult {
  const { command } = context;
  if (!isGlobalPlatformClass(command.cla)) return { sw: StatusWord.classNotSupported };
  if (context.transaction.read.lifeCycle === CardLifeCycle.terminated && command.ins !== INS.getDataEven) {
    return { sw: StatusWord.conditionsOfUseNotSatisfied };
  }
  if (command.ins === SCP03_INS_INITIALIZE_UPDATE) return initializeUpdate(context);
  const session = context.secureChannel?.session;
  if (command.ins === SCP03_INS_EXTERNAL_AUTHENTICATE) {
    if (session === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
    const result = session.handleExternalAuthenticate(command);
    if (!result.ok) context.setSecureChannel(undefined);
    return { sw: result.sw };
  }

  // Secure messaging (Amendment D §6.2.4): a command with the SM bit must verify; a plain command
  // while a session is open ends it (GP 2.3 §10.2.3: the session's level then no longer holds).
  let plain = command;
  let securityLevel: SCP03SecurityLevel | undefined;
  if ((command.cla & 0x04) !== 0) {
    if (session === undefined || session.state !== 'authenticated') {
      context.setSecureChannel(undefined);
      return { sw: StatusWord.securityStatusNotSatisfied };
    }
    const unwrapped = session.unwrapCommand(command);
    if (!unwrapped.ok) {
      context.setSecureChannel(undefined);
      return { sw: unwrapped.sw };
    }
    plain = unwrapped.command;
    securityLevel = session.securityLevel;
  } else if (session !== undefined) {
    session.close();
    context.setSecureChannel(undefined);
  }

  let result: CommandResult;
  try {
    result = dispatch({ ...context, command: plain, securityLevel });
  } catch (error) {
    if (!(error instanceof StatusWordError)) throw error;
    result = { sw: error.sw };
  }
  // The answer to a secured command is protected at the session's level (R-MAC, R-ENC); an error
  // status word goes out alone, as Amendment D §6.2.5 requires.
  if (securityLevel !== undefined && session !== undefined && session.state === 'authenticated') {
    const wrapped = session.wrapResponse(result.data ?? new Uint8Array(0), result.sw);
    return { data: wrapped.subarray(0, wrapped.length - 2), sw: result.sw };
  }
  return result;
}

function dispatch(context: AuthenticatedCommand): CommandResult {
  switch (context.command.ins) {
    case INS.getDataEven:
    case INS.getDataOdd:
      return handleGetData(context);
    case INS.getStatus:
      return handleGetStatus(context);
    case INS.install:
      return handleInstall(context);
    case INS.load:
      return handleLoad(context);
    case INS.delete:
      return handleDelete(context);
    case INS.putKey:
      return handlePutKey(context);
    case INS.storeData:
      return handleStoreData(context);
    case INS.setStatus:
      return handleSetStatus(context);
    default:
      return { sw: StatusWord.instructionNotSupported };
  }
}

/** Commands that change the card need an authenticated secure channel with at least C-MAC (GP 2.3 §10.2, §11.1.7). */
export function requireSecureChannel(context: AuthenticatedCommand): SCP03SecurityLevel {
  if (context.securityLevel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no authenticated secure channel');
  return context.securityLevel;
}

