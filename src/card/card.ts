import { concatBytes, fromHex, toHex } from '../lib/bytes.js';
import { parseCommandAPDU, decodeCLA, isValidINS, type CommandAPDU } from '../lib/apdu.js';
import { encodeTLV, primitiveNode, constructedNode } from '../lib/tlv/index.js';
import { StatusWord } from '../lib/status-words.js';
import type { RandomSource } from '../lib/crypto/index.js';
import type { Applet, AppletCommand, AppletContext, AppletFirmware, SmartCard } from './types.js';
import type { CardState, RegistryEntry } from './model.js';
import { CommandTransaction } from './transaction.js';
import { StatusWordError, commitsWrites, fail } from './statusError.js';
import { defaultSelected, findEntry, findSelectable, isSecurityDomain, isSelectable } from './registry.js';
import { processSecurityDomainCommand, type SecureChannelState } from './securityDomain.js';

/** Basic channel plus three supplementary ones (ISO/IEC 7816-4 §5.4.1 first interindustry coding). */
export const LOGICAL_CHANNELS_MAX = 4;
/** GP 2.3 §11.9.3: '9F65', the largest command data field the card accepts. */
export const COMMAND_DATA_BYTES_MAX = 255;
/** T=1 answer to reset: direct convention, TD1 → T=1, historical bytes "TESSERA-GP" (ISO/IEC 7816-3 §8). */
const ATR = fromHex('3B 8A 80 01 54 45 53 53 45 52 41 2D 47 50 14');

const INS_SELECT = 0xa4;
const INS_MANAGE_CHANNEL = 0x70;

export interface CardOptions {
  /** Applet classes the card's firmware can instantiate. */
  readonly firmware: AppletFirmware;
  readonly random: RandomSource;
  /** Card clock in milliseconds since the epoch. */
  readonly now: () => number;
  /** Called with the new state after every command that changed it (persist it before returning). */
  readonly persist?: (state: CardState) => void;
  /** Told about unexpected failures inside the card (programmer errors); never about secrets. */
  readonly onInternalError?: (error: unknown) => void;
}

/** What one logical channel remembers: what is selected and the secure channel of that SD. */
interface Channel {
  selected: string | undefined;
  secureChannel: SecureChannelState | undefined;
}

function closedChannel(): Channel {
  return { selected: undefined, secureChannel: undefined };
}

function response(data: Uint8Array | undefined, sw: number): Uint8Array {
  return concatBytes(data ?? new Uint8Array(0), Uint8Array.of(sw >> 8, sw & 0xff));
}

/**
 * The virtual GlobalPlatform card: an ISO/IEC 7816-4 command interpreter with a GlobalPlatform
 * registry, security domains with SCP03 and applets from the firmware. Every command runs in a
 * CommandTransaction; its writes are persisted before its response leaves the card.
 */
export class VirtualCard implements SmartCard {
  #state: CardState;
  readonly #options: CardOptions;
  readonly #applets = new Map<string, Applet>();
  #channels: Channel[] = [];
  #powered = false;

  constructor(state: CardState, options: CardOptions) {
    this.#state = state;
    this.#options = options;
  }

  get atr(): Uint8Array {
    return ATR.slice();
  }

  /** The committed state (read-only use: tools, tests, `tessera card info`). */
  get state(): CardState {
    return this.#state;
  }

  powerOn(): Uint8Array {
    this.#powered = true;
    this.#channels = Array.from({ length: LOGICAL_CHANNELS_MAX }, closedChannel);
    // The basic channel is always open, with the default application implicitly selected (GP 2.3 §6.5).
    const basic = this.#channels[0] as Channel;
    basic.selected = defaultSelected(this.#state).aid;
    return this.atr;
  }

  powerOff(): void {
    this.#powered = false;
    this.#channels = [];
  }

  reset(): Uint8Array {
    this.powerOff();
    return this.powerOn();
  }

  transmit(commandBytes: Uint8Array): Uint8Array {
    if (!this.#powered) return response(undefined, StatusWord.noPreciseDiagnosis);
    const transaction = new CommandTransaction(this.#state);
    let sw: number;
    let data: Uint8Array | undefined;
    try {
      ({ data, sw } = this.#process(commandBytes, transaction));
    } catch (error) {
      if (error instanceof StatusWordError) {
        sw = error.sw;
      } else {
        this.#options.onInternalError?.(error);
        sw = StatusWord.noPreciseDiagnosis;
      }
      data = undefined;
    }
    const next = transaction.result(commitsWrites(sw));
    if (next !== this.#state) {
      this.#options.persist?.(next);
      this.#state = next;
    }
    return response(data, sw);
  }

  #process(commandBytes: Uint8Array, transaction: CommandTransaction): { data?: Uint8Array; sw: number } {
    let command: CommandAPDU;
    try {
      command = parseCommandAPDU(commandBytes);
    } catch {
      return { sw: StatusWord.wrongLength };
    }
    const classByte = decodeCLA(command.cla);
    if (classByte === undefined) return { sw: StatusWord.classNotSupported };
    if (!isValidINS(command.ins)) return { sw: StatusWord.instructionNotSupported };
    if (command.data.length > COMMAND_DATA_BYTES_MAX) return { sw: StatusWord.wrongLength };
    const channelNumber = classByte.logicalChannel;
    const channel = this.#channels[channelNumber];
    if (channel === undefined || channel.selected === undefined) return { sw: StatusWord.logicalChannelNotSupported };
    if (classByte.chaining) return { sw: StatusWord.commandChainingNotSupported };

    if (command.ins === INS_MANAGE_CHANNEL && classByte.interindustry) return this.#manageChannel(command, channelNumber);
    if (command.ins === INS_SELECT && command.p1 === 0x04 && classByte.interindustry) return this.#select(command, channel, channelNumber, transaction);

    const selected = findEntry(transaction.read, channel.selected);
    if (selected === undefined) fail(StatusWord.conditionsOfUseNotSatisfied, 'the selected entry was deleted');
    if (isSecurityDomain(selected)) {
      return processSecurityDomainCommand({
        transaction, domain: selected, command, channel: channelNumber,
        secureChannel: channel.secureChannel,
        setSecureChannel: (state) => { channel.secureChannel = state; },
        random: this.#options.random,
        firmware: this.#options.firmware,
        appletFor: (entry) => this.#appletFor(entry),
        appletContext: (entry) => this.#appletContext(entry, transaction),
        now: this.#options.now,
        isSelectedAnywhere: (aid) => this.isSelectedAnywhere(aid),
      });
    }
    const applet = this.#appletFor(selected);
    const appletCommand: AppletCommand = { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: command.data, le: command.le, channel: channelNumber };
    return applet.process(appletCommand, this.#appletContext(selected, transaction));
  }

  /** SELECT by DF name (ISO/IEC 7816-4 §11.2.2, GP 2.3 §11.9). */
  #select(command: CommandAPDU, channel: Channel, channelNumber: number, transaction: CommandTransaction): { data?: Uint8Array; sw: number } {
    const occurrence = command.p2 & 0x03;
    if ((command.p2 & ~0x0f) !== 0 || occurrence === 0x01 || occurrence === 0x03) return { sw: StatusWord.incorrectP1P2 };
    const state = transaction.read;
    const prefix = toHex(command.data);
    let target: RegistryEntry | undefined;
    if (command.data.length === 0) {
      target = state.registry[0];
    } else if (command.data.length < 5 || command.data.length > 16) {
      return { sw: StatusWord.wrongLength };
    } else {
      target = findSelectable(state, prefix, occurrence === 0x02 ? channel.selected : undefined);
    }
    if (target === undefined || !isSelectable(state, target)) return { sw: StatusWord.fileOrApplicationNotFound };

    // Resolve the target's applet before touching the channel: a SELECT that fails leaves the
    // previous selection as it was (ISO/IEC 7816-4 §7.1.1).
    const applet = isSecurityDomain(target) ? undefined : this.#appletFor(target);
    const previous = channel.selected === undefined ? undefined : findEntry(state, channel.selected);
    // A new selection ends the previous one and its secure channel (GP 2.3 §10.2.3).
    if (previous !== undefined) this.#deselect(previous, transaction);
    channel.secureChannel = undefined;
    channel.selected = target.aid;

    if (applet === undefined) return { data: securityDomainFCI(target), sw: StatusWord.noError };
    const context = this.#appletContext(target, transaction);
    if (applet.select?.(context) === false) {
      channel.selected = undefined;
      return { sw: 0x6999 };
    }
    const appletCommand: AppletCommand = { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: command.data, le: command.le, channel: channelNumber };
    return applet.process(appletCommand, context);
  }

  /** Tells an applet it is no longer selected; an entry whose applet cannot be made has nothing to tell. */
  #deselect(entry: RegistryEntry, transaction: CommandTransaction): void {
    if (isSecurityDomain(entry)) return;
    const applet = this.#applets.get(entry.aid);
    applet?.deselect?.(this.#appletContext(entry, transaction));
  }

  /** MANAGE CHANNEL open/close (ISO/IEC 7816-4 §11.1.2, GP 2.3 §11.7). */
  #manageChannel(command: CommandAPDU, channelNumber: number): { data?: Uint8Array; sw: number } {
    if (command.p1 === 0x00) {
      if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
      let number = command.p2;
      if (number === 0) {
        number = this.#channels.findIndex((channel, index) => index > 0 && channel.selected === undefined);
        if (number < 0) return { sw: StatusWord.functionNotSupported };
      } else if (number >= LOGICAL_CHANNELS_MAX) {
        return { sw: StatusWord.incorrectP1P2 };
      } else if (this.#channels[number]?.selected !== undefined) {
        return { sw: StatusWord.conditionsOfUseNotSatisfied };
      }
      const opened = this.#channels[number] as Channel;
      // Opened from the basic channel: the default application; from another: the same selection (ISO/IEC 7816-4 §5.4.1).
      opened.selected = channelNumber === 0 ? defaultSelected(this.#state).aid : this.#channels[channelNumber]?.selected;
      opened.secureChannel = undefined;
      return command.p2 === 0 ? { data: Uint8Array.of(number), sw: StatusWord.noError } : { sw: StatusWord.noError };
    }
    if (command.p1 === 0x80) {
      const number = command.p2;
      if (number === 0 || number >= LOGICAL_CHANNELS_MAX) return { sw: StatusWord.incorrectP1P2 };
      const closing = this.#channels[number] as Channel;
      if (closing.selected === undefined) return { sw: StatusWord.incorrectP1P2 };
      this.#channels[number] = closedChannel();
      return { sw: StatusWord.noError };
    }
    return { sw: StatusWord.incorrectP1P2 };
  }

  #appletFor(entry: RegistryEntry): Applet {
    let applet = this.#applets.get(entry.aid);
    if (applet !== undefined) return applet;
    const loadFile = this.#state.loadFiles.find((file) => file.aid === entry.loadFileAid);
    const module = loadFile?.modules.find((candidate) => candidate.aid === entry.moduleAid);
    const factory = module === undefined ? undefined : this.#options.firmware.get(module.firmwareClass);
    if (factory === undefined) fail(StatusWord.conditionsOfUseNotSatisfied, `no firmware class for ${entry.aid}`);
    applet = factory();
    this.#applets.set(entry.aid, applet);
    return applet;
  }

  #appletContext(entry: RegistryEntry, transaction: CommandTransaction): AppletContext {
    const aid = entry.aid;
    return {
      aid: fromHex(aid),
      installParameters: fromHex(entry.installParametersHex ?? ''),
      store: {
        get: (name) => {
          const value = transaction.read.applets[aid]?.[name];
          return value === undefined ? undefined : fromHex(value);
        },
        set: (name, value) => {
          const state = transaction.write();
          state.applets[aid] = { ...(state.applets[aid] ?? {}), [name]: toHex(value) };
        },
        delete: (name) => {
          const state = transaction.write();
          const store = { ...(state.applets[aid] ?? {}) };
          delete store[name];
          state.applets[aid] = store;
        },
      },
      randomBytes: (length) => this.#options.random.bytes(length),
      now: this.#options.now,
    };
  }

  /** True when `aid` is selected on any open channel (DELETE refuses to delete a selected entry). */
  isSelectedAnywhere(aid: string): boolean {
    return this.#channels.some((channel) => channel.selected === aid);
  }
}

/** FCI of a security domain (GP 2.3 §11.9.3.1): '6F' { '84' AID, 'A5' { '9F65' max command data } }. */
function securityDomainFCI(domain: RegistryEntry): Uint8Array {
  return encodeTLV([
    constructedNode(0x6f, [
      primitiveNode(0x84, fromHex(domain.aid)),
      constructedNode(0xa5, [primitiveNode(0x9f65, Uint8Array.of(COMMAND_DATA_BYTES_MAX))]),
    ]),
  ]);
}
