import {
  encodeCLA, encodeCommandAPDU, parseResponseAPDU, type CommandAPDU, type ResponseAPDU,
} from '../../apdu.js';
import { copyBytes, toHex } from '../../bytes.js';
import type { RandomSource } from '../../crypto/index.js';
import { isTesseraError, LibErrorCode } from '../../errors.js';
import { responseContinuesScript } from '../../ram/statusWordContinuesScript.js';
import {
  SCP03HostSession, type APDUTransmit, type SCP03SecurityLevel, type SCP03StaticKeys,
} from '../../scp03/index.js';
import { decodeCardData, type CardRecognitionData } from '../cardRecognitionData.js';
import { GetDataTag, GPInstruction } from '../constants.js';
import { decodeCPLCResponse, type CPLC } from '../cplc.js';
import { encodeDeleteCommandData } from '../deleteCommand.js';
import { decodeGetDataResponse, getDataParameters } from '../getData.js';
import { encodeInstallCommand, type InstallCommandData } from '../installCommand.js';
import { decodeKeyInformationTemplate, type KeyInformation } from '../keyInformation.js';
import { AID_BYTES_MAX, AID_BYTES_MIN } from '../limits.js';
import { loadFileDataBlockHash } from '../loadFileDataBlockHash.js';
import { decodeLoadFile } from '../tesseraLoadFile.js';
import type { DAPBlock } from '../loadCommand.js';
import type { PrivilegeName } from '../privileges.js';
import type { InstallParameters } from '../installParameters.js';
import {
  gpAuthenticationError, gpHostStateError, gpResponseError, gpStatusError, isVerificationFailure,
} from './errors.js';
import { requireStatus } from './exchange.js';
import { decodeGetStatusPages, readGetStatusPages, type GetStatusFormat, type GetStatusRequest } from './getStatus.js';
import { COMMAND_DATA_BYTES_DEFAULT } from './limits.js';
import { loadBlockBytesMax, loadCommands } from './load.js';
import { buildPutKeyCommand, checkPutKeyResponse, type PutKeyRequest, type PutKeyResult } from './putKey.js';
import type { CardRegistry, ManagedEntry, RegistryScope } from './registry.js';
import { buildSetStatusCommand, describeSetStatusTarget, type SetStatusTarget } from './setStatus.js';
import { buildStoreDataCommands, type StoreDataOptions } from './storeData.js';
import { parseSelectResponse, type SelectResult } from './select.js';

/**
 * Sends several command APDUs in one exchange (a remote script, as an OTA link carries them): the
 * card runs them in order and stops after the first that fails (any status word but 9000, 61xx,
 * 62xx, 63xx), so the answer holds one response per command run, at least one.
 */
export type APDUScriptTransmit = (commands: readonly Uint8Array[]) => Promise<readonly Uint8Array[]>;

export interface GPManagerOptions {
  /** Logical channel 0 (default) to 19; the caller opens it (MANAGE CHANNEL) beforehand. */
  readonly logicalChannel?: number;
  /** Where host challenges come from (default: the system CSPRNG). */
  readonly random?: RandomSource;
  /**
   * How to send several commands at once. Without it a script goes one command at a time over
   * `transmit`, with the same stop rule; with it, every script (`runScript`, `loadFile`,
   * `storeData`, SELECT with INITIALIZE UPDATE, EXTERNAL AUTHENTICATE sent ahead) is one exchange.
   */
  readonly transmitScript?: APDUScriptTransmit;
}

export interface OpenSecureChannelOptions {
  /** INITIALIZE UPDATE P1: the key version to use; 0 (default) lets the card use its default keyset. */
  readonly keyVersion?: number;
  /** A fixed host challenge, for transcript replays in tests. */
  readonly hostChallenge?: Uint8Array;
  /**
   * Send EXTERNAL AUTHENTICATE at the head of the next exchange instead of on its own (one round
   * trip fewer over the air). The card cryptogram is verified at once all the same; a card that
   * then refuses EXTERNAL AUTHENTICATE fails that next exchange with ERR_GP_AUTHENTICATION, and
   * runs nothing sent after it.
   */
  readonly authenticateAhead?: boolean;
}

/** One command of a script, with the name a refusal is reported under (ERR_GP_STATUS `details.command`). */
export interface GPScriptCommand {
  readonly name: string;
  readonly command: CommandAPDU;
}

export interface SecureChannelInfo {
  readonly securityDomainAIDHex: string;
  /** The key version the card used (from its INITIALIZE UPDATE response). */
  readonly keyVersion: number;
  readonly securityLevel: SCP03SecurityLevel;
  /** The SD's SCP03 sequence counter, in pseudo-random card challenge mode. */
  readonly sequenceCounter: number | undefined;
}

export interface LoadRequest {
  readonly loadFileAID: Uint8Array;
  /** The SD the load file will be associated with; empty (default): the SD receiving the command. */
  readonly securityDomainAID?: Uint8Array;
  /** SHA-256 of the Load File Data Block; needed with DAP blocks (GP 2.3 §C.2). */
  readonly loadFileDataBlockHash?: Uint8Array;
  readonly loadParameters?: InstallParameters;
  readonly loadToken?: Uint8Array;
}

export interface LoadFileResult {
  readonly loadFileAIDHex: string;
  readonly version: { readonly major: number; readonly minor: number };
  readonly moduleAIDsHex: readonly string[];
  readonly loadFileDataBlockHashHex: string;
  /** LOAD commands sent. */
  readonly blocks: number;
}

export interface InstallRequest {
  readonly loadFileAID: Uint8Array;
  readonly moduleAID: Uint8Array;
  readonly applicationAID: Uint8Array;
  readonly privileges?: readonly PrivilegeName[];
  /** Contents of 'C9', handed to the application (default: empty). */
  readonly applicationParameters?: Uint8Array;
  /** INSTALL [for install and make selectable] (default) or [for install] alone. */
  readonly makeSelectable?: boolean;
}

export interface LoadFileOptions {
  /** The SD the load file will be associated with (default: the SD receiving the commands). */
  readonly securityDomainAID?: Uint8Array;
  readonly dapBlocks?: readonly DAPBlock[];
}

export interface StoreDataResult {
  /** The response data of each STORE DATA command, in order. */
  readonly responses: readonly Uint8Array[];
}

/** Key version label for a keyset whose version the card chooses (P1 '00'); SCP03 needs some version on the keys. */
const UNNAMED_KEY_VERSION = 0xff;
const INS_SELECT = 0xa4;

/** A keyset to open a secure channel with; without a version, INITIALIZE UPDATE asks for the card's default. */
type ChannelKeys = Omit<SCP03StaticKeys, 'keyVersion'> & { readonly keyVersion?: number };

/** A handshake under way: INITIALIZE UPDATE built, its answer not read yet. */
interface Handshake {
  readonly session: SCP03HostSession;
  readonly initializeUpdate: Uint8Array;
  readonly securityDomainAIDHex: string;
  readonly keyVersion: number;
  readonly dek: Uint8Array;
}

/** An open SCP03 session of this manager. */
interface SecureChannel {
  readonly session: SCP03HostSession;
  readonly securityLevel: SCP03SecurityLevel;
  /** The static K-DEK, which PUT KEY needs. */
  readonly dek: Uint8Array;
  readonly securityDomainAIDHex: string;
  readonly keyVersion: number;
  /** EXTERNAL AUTHENTICATE wrapped ahead and not sent yet: it heads the next exchange. */
  authenticate: Uint8Array | undefined;
}

/**
 * A GlobalPlatform off-card management client, the job GlobalPlatformPro's `gp` does: it selects
 * a Security Domain, opens an SCP03 secure channel (lib/scp03) and sends card content management
 * commands (GP Card Specification 2.3 §11) through it, reading the answers into typed results.
 * Pure protocol over a transmit function: no sockets, no files.
 *
 * Every non-9000 status word a command does not expect becomes ERR_GP_STATUS with `details.sw`
 * and `details.command`; a failed handshake is ERR_GP_AUTHENTICATION. Calls are sequential: the
 * secure channel's MAC chain runs over the commands in the order they are wrapped.
 *
 * Scripts (several commands in one exchange, `transmitScript`) are wrapped ahead and their
 * responses checked in order. A script the card stops short of its end leaves the host's MAC chain
 * ahead of the card's, so the secure channel ends with it: later commands fail until the next
 * SELECT and handshake, rather than going out unprotected.
 */
export class GPManager {
  readonly #transmit: APDUTransmit;
  readonly #transmitScript: APDUScriptTransmit | undefined;
  readonly #logicalChannel: number;
  readonly #random: RandomSource | undefined;
  #selectedAIDHex: string | undefined;
  #commandDataBytesMax = COMMAND_DATA_BYTES_DEFAULT;
  #channel: SecureChannel | undefined;
  /** A secure channel ended by a script that stopped short: nothing goes out until the next SELECT. */
  #channelLost = false;

  constructor(transmit: APDUTransmit, options: GPManagerOptions = {}) {
    this.#transmit = transmit;
    this.#transmitScript = options.transmitScript;
    this.#logicalChannel = options.logicalChannel ?? 0;
    this.#random = options.random;
    // Checks the channel number once (encodeCLA throws ERR_APDU_MALFORMED outside 0-19).
    this.#cla(false);
  }

  /** The secure channel's level, or undefined when no secure channel is open. */
  get securityLevel(): SCP03SecurityLevel | undefined {
    return this.#channel?.securityLevel;
  }

  /** SELECT by AID (ISO/IEC 7816-4 §11.2.2, GP 2.3 §11.9). Ends any open secure channel, as the card does. */
  async selectSecurityDomain(aid: Uint8Array): Promise<SelectResult> {
    const [response] = await this.#transmitAll([encodeCommandAPDU(this.#startSelect(aid))]);
    return this.#finishSelect(aid, response);
  }

  /**
   * SELECT and INITIALIZE UPDATE in one exchange (a script, with `transmitScript`), then as
   * `openSecureChannel`: the answer to SELECT is checked first, so a missing domain is reported
   * as the SELECT it is.
   */
  async selectAndOpenSecureChannel(
    aid: Uint8Array,
    keys: ChannelKeys,
    securityLevel: SCP03SecurityLevel,
    options: OpenSecureChannelOptions = {},
  ): Promise<SecureChannelInfo> {
    const select = encodeCommandAPDU(this.#startSelect(aid));
    const handshake = this.#startHandshake(toHex(aid), keys, options);
    try {
      const [selected, initialized] = await this.#transmitAll([select, handshake.initializeUpdate]);
      this.#finishSelect(aid, selected);
      return this.#finishHandshake(handshake, initialized, securityLevel, options);
    } catch (error) {
      handshake.session.close();
      throw error;
    }
  }

  /**
   * INITIALIZE UPDATE + EXTERNAL AUTHENTICATE to the selected SD (Amendment D §7.1); every later
   * command goes through the channel until the next SELECT or `closeSecureChannel()`.
   */
  async openSecureChannel(
    keys: ChannelKeys,
    securityLevel: SCP03SecurityLevel,
    options: OpenSecureChannelOptions = {},
  ): Promise<SecureChannelInfo> {
    const selected = this.#selectedAIDHex;
    if (selected === undefined) throw gpHostStateError('select a Security Domain before opening a secure channel');
    this.closeSecureChannel();
    const handshake = this.#startHandshake(selected, keys, options);
    try {
      const [initialized] = await this.#transmitAll([handshake.initializeUpdate]);
      return this.#finishHandshake(handshake, initialized, securityLevel, options);
    } catch (error) {
      handshake.session.close();
      throw error;
    }
  }

  /** Forgets the session keys and the static K-DEK. The card's session ends with the next plain command or SELECT. */
  closeSecureChannel(): void {
    this.#channel?.session.close();
    this.#channel?.dek.fill(0);
    this.#channel = undefined;
  }

  /** SELECT's command; the selection and any channel end here, as they do on the card. */
  #startSelect(aid: Uint8Array): CommandAPDU {
    if (aid.length < AID_BYTES_MIN || aid.length > AID_BYTES_MAX) {
      throw gpResponseError('SELECT', `expected an AID of ${AID_BYTES_MIN} to ${AID_BYTES_MAX} bytes, received ${aid.length}`);
    }
    this.closeSecureChannel();
    this.#channelLost = false;
    this.#selectedAIDHex = undefined;
    return { cla: this.#cla(true), ins: INS_SELECT, p1: 0x04, p2: 0x00, data: copyBytes(aid), le: 256 };
  }

  #finishSelect(aid: Uint8Array, answer: Uint8Array | undefined): SelectResult {
    if (answer === undefined) throw gpResponseError('SELECT', 'the card sent no response');
    const result = parseSelectResponse(aid, requireStatus(`SELECT ${toHex(aid)}`, parseResponseAPDU(copyBytes(answer))));
    this.#selectedAIDHex = result.aidHex;
    this.#commandDataBytesMax = result.commandDataBytesMax ?? COMMAND_DATA_BYTES_DEFAULT;
    return result;
  }

  #startHandshake(securityDomainAIDHex: string, keys: ChannelKeys, options: OpenSecureChannelOptions): Handshake {
    const keyVersion = options.keyVersion ?? keys.keyVersion ?? 0;
    const session = new SCP03HostSession({
      keys: { ...keys, keyVersion: keyVersion === 0 ? UNNAMED_KEY_VERSION : keyVersion },
      keyVersion,
      logicalChannel: this.#logicalChannel,
      ...(this.#random === undefined ? {} : { random: this.#random }),
    });
    return { session, initializeUpdate: session.initializeUpdate(options.hostChallenge), securityDomainAIDHex, keyVersion, dek: copyBytes(keys.dek) };
  }

  /** Checks the INITIALIZE UPDATE answer and authenticates, now or ahead of the next exchange. */
  async #finishHandshake(
    handshake: Handshake,
    initialized: Uint8Array | undefined,
    securityLevel: SCP03SecurityLevel,
    options: OpenSecureChannelOptions,
  ): Promise<SecureChannelInfo> {
    const { session, securityDomainAIDHex, keyVersion } = handshake;
    let step = 'INITIALIZE UPDATE';
    try {
      if (initialized === undefined) throw gpResponseError(step, 'the card sent no response');
      const card = session.processInitializeUpdateResponse(copyBytes(initialized));
      step = 'EXTERNAL AUTHENTICATE';
      let authenticate: Uint8Array | undefined;
      if (options.authenticateAhead === true) {
        authenticate = session.externalAuthenticateAhead(securityLevel);
      } else {
        const [authenticated] = await this.#transmitAll([session.externalAuthenticate(securityLevel)]);
        session.processExternalAuthenticateResponse(copyBytes(authenticated ?? new Uint8Array(0)));
      }
      this.#channel = { session, securityLevel, dek: handshake.dek, securityDomainAIDHex, keyVersion, authenticate };
      return { securityDomainAIDHex, keyVersion: card.keyVersion, securityLevel, sequenceCounter: card.sequenceCounter };
    } catch (error) {
      handshake.dek.fill(0);
      throw handshakeError(error, step, securityDomainAIDHex, keyVersion);
    }
  }

  /**
   * The whole registry (GET STATUS P1 '80', '40', '10'), in the tag-list format (P2 '02'); a card
   * that answers 6A86 to it is asked again in the legacy format (P2 '00'), and a card that refuses
   * P1 '10' is asked P1 '20' (load files without modules), as GlobalPlatformPro does.
   */
  async getStatus(): Promise<CardRegistry> {
    let format: GetStatusFormat = 'tag-list';
    let isdEntries = await this.#getStatusPart({ scope: 'issuer-security-domain', format });
    if (isdEntries === undefined) {
      format = 'legacy';
      isdEntries = await this.#getStatusPart({ scope: 'issuer-security-domain', format });
    }
    const issuerSecurityDomain = isdEntries?.[0];
    if (issuerSecurityDomain === undefined) throw gpResponseError('GET STATUS P1 80', 'the card listed no Issuer Security Domain');
    const applications = (await this.#getStatusPart({ scope: 'applications', format })) ?? [];
    const loadFiles = (await this.#getStatusPart({ scope: 'load-files', format }))
      ?? (await this.#getStatusPart({ scope: 'load-files', format, withoutModules: true }))
      ?? [];
    return {
      format,
      cardLifeCycleState: issuerSecurityDomain.lifeCycleState,
      cardLifeCycleStateName: issuerSecurityDomain.lifeCycleStateName,
      issuerSecurityDomain,
      applications,
      loadFiles,
    };
  }

  /** One part of the registry, optionally only entries whose AID starts with `aidQualifier`. */
  async getStatusOf(scope: RegistryScope, options: { readonly format?: GetStatusFormat; readonly aidQualifier?: Uint8Array } = {}): Promise<ManagedEntry[]> {
    const request: GetStatusRequest = {
      scope,
      format: options.format ?? 'tag-list',
      ...(options.aidQualifier === undefined ? {} : { aidQualifier: options.aidQualifier }),
    };
    const entries = await this.#getStatusPart(request);
    if (entries === undefined) throw gpStatusError(`GET STATUS (${request.format} format)`, 0x6a86);
    return entries;
  }

  async #getStatusPart(request: GetStatusRequest): Promise<ManagedEntry[] | undefined> {
    const data = await readGetStatusPages((command) => this.#exchange(command), this.#cla(false), request);
    return data === undefined ? undefined : decodeGetStatusPages(request, data);
  }

  /** GET DATA (GP 2.3 §11.3): the whole response data field (the data object with its tag). */
  async getDataObject(tag: number): Promise<Uint8Array> {
    const { p1, p2 } = getDataParameters(tag);
    const name = `GET DATA ${tag.toString(16).toUpperCase().padStart(tag > 0xff ? 4 : 2, '0')}`;
    return requireStatus(name, await this.#exchange({ cla: this.#cla(false), ins: GPInstruction.getData, p1, p2, data: new Uint8Array(0), le: 256 }));
  }

  /** GET DATA of a primitive data object ('42' IIN, '45' CIN, 'C1' sequence counter, 'CF' …): its value. */
  async getData(tag: number): Promise<Uint8Array> {
    return decodeGetDataResponse(tag, await this.getDataObject(tag));
  }

  async getCPLC(): Promise<CPLC> {
    return decodeCPLCResponse(await this.getDataObject(GetDataTag.CPLC));
  }

  async getCardData(): Promise<CardRecognitionData> {
    return decodeCardData(await this.getDataObject(GetDataTag.cardData));
  }

  /** The selected SD's keys (GET DATA '00E0', GP 2.3 §11.3.3.1). */
  async getKeyInformation(): Promise<KeyInformation[]> {
    return decodeKeyInformationTemplate(await this.getDataObject(GetDataTag.keyInformationTemplate));
  }

  /** INSTALL [for load] (GP 2.3 §11.5.2.3.1). */
  async installForLoad(request: LoadRequest): Promise<Uint8Array> {
    return this.#run(this.#installCommand(installForLoadData(request), 'INSTALL [for load]'));
  }

  /**
   * LOAD (GP 2.3 §11.6): DAP blocks and the Load File Data Block, cut into commands that fit the
   * SD's command size after secure messaging. Returns the number of LOAD commands sent.
   */
  async load(loadFileDataBlock: Uint8Array, dapBlocks: readonly DAPBlock[] = []): Promise<number> {
    return (await this.runScript(this.#loadCommands(loadFileDataBlock, dapBlocks))).length;
  }

  #loadCommands(loadFileDataBlock: Uint8Array, dapBlocks: readonly DAPBlock[]): GPScriptCommand[] {
    const blockBytesMax = loadBlockBytesMax(this.#commandDataBytesMax, this.#channel);
    return loadCommands(this.#cla(false), loadFileDataBlock, dapBlocks, blockBytesMax);
  }

  /**
   * A Tessera load file (docs/load-file-format.md) from start to end: INSTALL [for load] with the
   * Load File Data Block Hash, then LOAD with any DAP blocks (see `signDAP` for making them).
   */
  async loadFile(loadFileDataBlock: Uint8Array, options: LoadFileOptions = {}): Promise<LoadFileResult> {
    const file = decodeLoadFile(loadFileDataBlock);
    const commands = this.loadFileCommands(loadFileDataBlock, options);
    await this.runScript(commands);
    return {
      loadFileAIDHex: toHex(file.packageAID),
      version: file.version,
      moduleAIDsHex: file.modules.map((module) => toHex(module.aid)),
      loadFileDataBlockHashHex: toHex(loadFileDataBlockHash(loadFileDataBlock)),
      blocks: commands.length - 1,
    };
  }

  /** `loadFile`'s commands (INSTALL [for load], then every LOAD), for a longer script. */
  loadFileCommands(loadFileDataBlock: Uint8Array, options: LoadFileOptions = {}): GPScriptCommand[] {
    const file = decodeLoadFile(loadFileDataBlock);
    return [
      this.#installCommand(installForLoadData({
        loadFileAID: file.packageAID,
        loadFileDataBlockHash: loadFileDataBlockHash(loadFileDataBlock),
        ...(options.securityDomainAID === undefined ? {} : { securityDomainAID: options.securityDomainAID }),
      }), 'INSTALL [for load]'),
      ...this.#loadCommands(loadFileDataBlock, options.dapBlocks ?? []),
    ];
  }

  /** INSTALL [for install (and make selectable)] (GP 2.3 §11.5.2.3.2). */
  async installForInstall(request: InstallRequest): Promise<Uint8Array> {
    return this.#run(this.installForInstallCommand(request));
  }

  /** `installForInstall`'s command, for a script. */
  installForInstallCommand(request: InstallRequest): GPScriptCommand {
    return this.#installCommand({
      kind: 'install',
      makeSelectable: request.makeSelectable ?? true,
      loadFileAID: request.loadFileAID,
      moduleAID: request.moduleAID,
      applicationAID: request.applicationAID,
      privileges: request.privileges ?? [],
      privilegesLength: 3,
      installParameters: { applicationSpecific: request.applicationParameters ?? new Uint8Array(0), other: [] },
      installToken: new Uint8Array(0),
    }, 'INSTALL [for install]');
  }

  /** INSTALL [for make selectable] (GP 2.3 §11.5.2.3.3), for an application installed without it. */
  async installForMakeSelectable(applicationAID: Uint8Array): Promise<Uint8Array> {
    return this.#run(this.#installCommand({
      kind: 'make-selectable', applicationAID, privileges: [], privilegesLength: 0, parameters: { other: [] }, token: new Uint8Array(0),
    }, 'INSTALL [for make selectable]'));
  }

  /** INSTALL [for personalization] (GP 2.3 §11.5.2.3.6): the following STORE DATA go to `applicationAID`. */
  async installForPersonalization(applicationAID: Uint8Array): Promise<Uint8Array> {
    return this.#run(this.#installCommand({ kind: 'personalization', applicationAID }, 'INSTALL [for personalization]'));
  }

  /** INSTALL [for extradition] (GP 2.3 §11.5.2.3.4): associates an application or load file with another SD. */
  async extradite(aid: Uint8Array, securityDomainAID: Uint8Array): Promise<Uint8Array> {
    return this.#run(this.extraditeCommand(aid, securityDomainAID));
  }

  /** `extradite`'s command, for a script. */
  extraditeCommand(aid: Uint8Array, securityDomainAID: Uint8Array): GPScriptCommand {
    return this.#installCommand({ kind: 'extradition', securityDomainAID, aid, parameters: { other: [] }, token: new Uint8Array(0) }, 'INSTALL [for extradition]');
  }

  #installCommand(command: InstallCommandData, name: string): GPScriptCommand {
    const { p1, data } = encodeInstallCommand(command);
    return { name, command: { cla: this.#cla(false), ins: GPInstruction.install, p1, p2: 0x00, data, le: 256 } };
  }

  /**
   * STORE DATA (GP 2.3 §11.11), one command per block, numbered in P2, the last with P1 b8. The
   * data goes to the SD itself, or to the application named by INSTALL [for personalization].
   */
  async storeData(blocks: readonly Uint8Array[], options: StoreDataOptions = {}): Promise<StoreDataResult> {
    const commands = buildStoreDataCommands(this.#cla(false), blocks, options).map((command) => ({ name: `STORE DATA block ${command.p2}`, command }));
    return { responses: await this.runScript(commands) };
  }

  /** DELETE (GP 2.3 §11.2) of an application, SD or load file; `related` also deletes what was made from it (P2 '80'). */
  async delete(aid: Uint8Array, options: { readonly related?: boolean } = {}): Promise<Uint8Array> {
    return this.#run(this.deleteCommand(aid, options));
  }

  /** `delete`'s command, for a script. */
  deleteCommand(aid: Uint8Array, options: { readonly related?: boolean } = {}): GPScriptCommand {
    const data = encodeDeleteCommandData({ kind: 'card-content', aid });
    const p2 = options.related === true ? 0x80 : 0x00;
    return { name: `DELETE ${toHex(aid)}`, command: { cla: this.#cla(false), ins: GPInstruction.delete, p1: 0x00, p2, data, le: 256 } };
  }

  /**
   * Sends the commands as one script (one exchange with `transmitScript`), through the secure
   * channel when one is open, and returns each response's data. Every command must answer 9000:
   * the first that does not is reported as ERR_GP_STATUS under its name, and the card ran none
   * after it (which also ends the secure channel, see the class comment).
   */
  async runScript(commands: readonly GPScriptCommand[]): Promise<Uint8Array[]> {
    const responses = await this.sendAll(commands.map((entry) => entry.command));
    return responses.map((response, index) => requireStatus((commands[index] as GPScriptCommand).name, response));
  }

  async #run(entry: GPScriptCommand): Promise<Uint8Array> {
    return requireStatus(entry.name, await this.#exchange(entry.command));
  }

  /**
   * PUT KEY of an SCP03 keyset (GP 2.3 §11.8): the keys go enciphered under the static K-DEK of
   * the current session, and the key check values the card answers must match the keys sent.
   */
  async putKey(request: PutKeyRequest): Promise<PutKeyResult> {
    const dek = this.#channel?.dek;
    if (dek === undefined) throw gpHostStateError('PUT KEY needs an open secure channel (its K-DEK protects the keys)');
    const parts = buildPutKeyCommand(request, dek);
    const received = requireStatus('PUT KEY', await this.#exchange({
      cla: this.#cla(false), ins: GPInstruction.putKey, p1: parts.p1, p2: parts.p2, data: parts.data, le: 256,
    }));
    return checkPutKeyResponse(request, parts, received);
  }

  /** SET STATUS (GP 2.3 §11.10): lock or unlock an application or SD, lock, unlock or terminate the card. */
  async setStatus(target: SetStatusTarget): Promise<void> {
    const { p1, p2, data } = buildSetStatusCommand(target);
    requireStatus(describeSetStatusTarget(target), await this.#exchange({ cla: this.#cla(false), ins: GPInstruction.setStatus, p1, p2, data }));
  }

  async lock(aid: Uint8Array): Promise<void> {
    await this.setStatus({ kind: 'application', aid, state: 'lock' });
  }

  async unlock(aid: Uint8Array): Promise<void> {
    await this.setStatus({ kind: 'application', aid, state: 'unlock' });
  }

  #cla(interindustry: boolean): number {
    return encodeCLA({ interindustry, logicalChannel: this.#logicalChannel, secureMessaging: 'none', chaining: false });
  }

  /**
   * Sends any command through the open secure channel (or plain when none is open) and returns
   * the response as it is, whatever its status word: for scripts a caller composed itself.
   */
  async send(command: CommandAPDU): Promise<ResponseAPDU> {
    return this.#exchange(command);
  }

  /**
   * `send` for several commands as one script: the responses as they are, of the commands the card
   * ran (it stops after the first failure: any status word but 9000, 61xx, 62xx, 63xx).
   */
  async sendAll(commands: readonly CommandAPDU[]): Promise<ResponseAPDU[]> {
    return commands.length === 0 ? [] : this.#exchangeAll(commands);
  }

  /** Through the secure channel when one is open; otherwise plain. */
  async #exchange(command: CommandAPDU): Promise<ResponseAPDU> {
    const [response] = await this.#exchangeAll([command]);
    if (response === undefined) throw gpResponseError('the command', 'the card sent no response');
    return response;
  }

  /**
   * Commands in one exchange, through the secure channel when one is open (with a pending
   * EXTERNAL AUTHENTICATE at their head); the responses of those the card ran.
   */
  async #exchangeAll(commands: readonly CommandAPDU[]): Promise<ResponseAPDU[]> {
    if (this.#channelLost) throw gpHostStateError('the secure channel ended with a script the card stopped short; select and authenticate again');
    const channel = this.#channel;
    if (channel === undefined) return this.#sendPlain(commands);
    const { session } = channel;
    const authenticate = channel.authenticate;
    channel.authenticate = undefined;
    try {
      const wrapped = commands.map((command) => session.wrapCommand(encodeCommandAPDU(command)));
      const answers = await this.#transmitAll(authenticate === undefined ? wrapped : [authenticate, ...wrapped]);
      if (authenticate !== undefined) {
        try {
          session.unwrapResponse(copyBytes(answers.shift() ?? new Uint8Array(0)));
        } catch (error) {
          throw handshakeError(error, 'EXTERNAL AUTHENTICATE', channel.securityDomainAIDHex, channel.keyVersion);
        }
      }
      const responses = answers.map((answer) => session.unwrapResponse(copyBytes(answer)));
      if (responses.length < commands.length) this.#loseChannel();
      return responses;
    } catch (error) {
      this.#loseChannel();
      throw error;
    }
  }

  #loseChannel(): void {
    this.closeSecureChannel();
    this.#channelLost = true;
  }

  async #sendPlain(commands: readonly CommandAPDU[]): Promise<ResponseAPDU[]> {
    return (await this.#transmitAll(commands.map((command) => encodeCommandAPDU(command)))).map((answer) => parseResponseAPDU(copyBytes(answer)));
  }

  /**
   * Command APDUs out, the responses of those the card ran back: one exchange over
   * `transmitScript` when there are several, else one `transmit` each; either way the card stops
   * after the first failure. An answer that does not fit that rule is ERR_GP_RESPONSE.
   */
  async #transmitAll(commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const transmitScript = this.#transmitScript;
    if (transmitScript === undefined || commands.length === 1) {
      const answers: Uint8Array[] = [];
      for (const command of commands) {
        const answer = await this.#transmit(command);
        answers.push(answer);
        if (!responseContinuesScript(answer)) break;
      }
      return answers;
    }
    const answers = [...await transmitScript(commands)];
    const last = answers.at(-1);
    if (answers.length > commands.length || last === undefined
      || (answers.length < commands.length && responseContinuesScript(last))) {
      throw gpResponseError('a script', `sent ${commands.length} commands, the card answered ${answers.length} without stopping at a failure`);
    }
    return answers;
  }
}

function installForLoadData(request: LoadRequest): InstallCommandData {
  return {
    kind: 'load',
    loadFileAID: request.loadFileAID,
    securityDomainAID: request.securityDomainAID ?? new Uint8Array(0),
    loadFileDataBlockHash: request.loadFileDataBlockHash ?? new Uint8Array(0),
    loadParameters: request.loadParameters ?? { other: [] },
    loadToken: request.loadToken ?? new Uint8Array(0),
  };
}

/** Maps an SCP03 handshake failure to what a GP tool reports: a refused step, or keys that do not verify. */
function handshakeError(error: unknown, step: string, securityDomainAIDHex: string, keyVersion: number): unknown {
  if (isVerificationFailure(error)) return gpAuthenticationError(securityDomainAIDHex, keyVersion, error);
  if (isTesseraError(error) && error.code === LibErrorCode.scp03CardResponse) {
    const sw = error.details?.['sw'];
    if (typeof sw === 'string') {
      const value = Number.parseInt(sw, 16);
      // 6300 to EXTERNAL AUTHENTICATE: the card did not accept the host cryptogram (Amendment D §7.1.2).
      if (value === 0x6300) return gpAuthenticationError(securityDomainAIDHex, keyVersion, error);
      return gpStatusError(step, value);
    }
  }
  return error;
}

