import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  createCardImage, connectToVpcd, DEFAULT_TEST_KEY_HEX, INITIAL_KEY_VERSION, ISD_AID, openCardImage, parseVpcdAddress,
  PROFILE_NAMES, readCardImageFile, type CardState, type ProfileName, type VirtualCard,
} from '../card/client.js';
import { createLogger } from '../infra/log/index.js';
import { parseResponseAPDU } from '../lib/apdu.js';
import { fromHex, toHex } from '../lib/bytes.js';
import { TesseraError } from '../lib/errors.js';
import {
  decodeLoadFile, isPrivilegeName, lifeCycleStateName, loadFileDataBlockHash, PRIVILEGE_NAMES, signDAP, type LoadFile, type PrivilegeName,
} from '../lib/gp/index.js';
import { GPManager, type CardRegistry, type ManagedEntry, type SecureChannelInfo } from '../lib/gp/host/index.js';
import { isSCP03SecurityLevel, SCP03SecurityLevel } from '../lib/scp03/index.js';
import { describeStatusWord } from '../lib/status-words.js';
import { encodeTLV, primitiveNode } from '../lib/tlv/index.js';
import { runCardAgent, type CardAgentEvent } from '../card/agent/index.js';
import { loadCardDeviceKey } from './cardDeviceKey.js';
import { cardFirmware } from './firmware.js';

/**
 * `tessera card …`: make, inspect, serve and manage virtual GlobalPlatform cards (docs/card.md).
 * Management commands (list, install, delete, lock, unlock, put-key) work as GlobalPlatformPro
 * does against a real card: SELECT the Security Domain, open SCP03 with its keys, send GP
 * commands through the secure channel. Output is line oriented and stable; tests read it.
 */

export const CliCardErrorCode = {
  /** An input file (load file, DAP key) that cannot be read. */
  input: 'ERR_CLI_INPUT',
  /** Options that do not fit together (install without anything to install). */
  usage: 'ERR_CLI_USAGE',
} as const;

const LEVEL_DEFAULT = SCP03SecurityLevel.cDecryptionCMAC;
const AES_KEY_BYTES: readonly number[] = [16, 24, 32];
const KEY_VERSION_MAX = 0x7f;

// --- Option parsers (commander calls them; InvalidArgumentError becomes its usage error) -------------

function parseHex(value: string, what: string): Uint8Array {
  const compact = value.replace(/[\s:]/g, '');
  if (!/^([0-9A-Fa-f]{2})*$/.test(compact)) throw new InvalidArgumentError(`expected ${what} as hex digits`);
  return fromHex(compact);
}

function parseAID(value: string): Uint8Array {
  const aid = parseHex(value, 'an AID');
  if (aid.length < 5 || aid.length > 16) throw new InvalidArgumentError('expected an AID of 5 to 16 bytes (10 to 32 hex digits)');
  return aid;
}

/** One AES key for K-ENC = K-MAC = K-DEK, or the three concatenated (ENC ‖ MAC ‖ DEK). */
interface Keyset {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

function parseKeyset(value: string): Keyset {
  const bytes = parseHex(value, 'keys');
  if (AES_KEY_BYTES.includes(bytes.length)) return { enc: bytes, mac: bytes.slice(), dek: bytes.slice() };
  const third = bytes.length / 3;
  if (AES_KEY_BYTES.includes(third)) {
    return { enc: bytes.slice(0, third), mac: bytes.slice(third, 2 * third), dek: bytes.slice(2 * third) };
  }
  throw new InvalidArgumentError('expected one AES key (32, 48 or 64 hex digits) or three of the same length, ENC‖MAC‖DEK');
}

function parseSingleKey(value: string): Uint8Array {
  const bytes = parseHex(value, 'a key');
  if (!AES_KEY_BYTES.includes(bytes.length)) throw new InvalidArgumentError('expected one AES key: 32, 48 or 64 hex digits');
  return bytes;
}

function collectAIDs(value: string, previous: Uint8Array[] | undefined): Uint8Array[] {
  return [...(previous ?? []), parseAID(value)];
}

function parseKeyVersion(value: string): number {
  const text = value.replace(/^0x/i, '');
  if (!/^[0-9A-Fa-f]{1,2}$/.test(text)) throw new InvalidArgumentError('expected a key version number in hex, 00 to 7F (e.g. 30)');
  const version = Number.parseInt(text, 16);
  if (version > KEY_VERSION_MAX) throw new InvalidArgumentError('expected a key version number in hex, 00 to 7F');
  return version;
}

function parseLevel(value: string): SCP03SecurityLevel {
  const text = value.replace(/^0x/i, '');
  const level = /^[0-9A-Fa-f]{2}$/.test(text) ? Number.parseInt(text, 16) : Number.NaN;
  if (!isSCP03SecurityLevel(level)) throw new InvalidArgumentError('expected security level 01, 03, 11, 13 or 33 (hex)');
  return level;
}

function parsePrivileges(value: string): PrivilegeName[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!isPrivilegeName(name)) throw new InvalidArgumentError(`unknown privilege ${name}; known: ${PRIVILEGE_NAMES.join(', ')}`);
  }
  return names as PrivilegeName[];
}

// --- Output helpers --------------------------------------------------------------------------------

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  0x01: 'C-MAC',
  0x03: 'C-MAC, C-DECRYPTION',
  0x11: 'C-MAC, R-MAC',
  0x13: 'C-MAC, C-DECRYPTION, R-MAC',
  0x33: 'C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION',
};

/** One line of the registry tree, whatever it was read from (the image or GET STATUS). */
interface TreeEntry {
  readonly label: 'ISD' | 'SD' | 'APP' | 'ELF';
  readonly aidHex: string;
  readonly state: string;
  readonly privileges: readonly string[];
  /** Undefined when the card does not say (legacy GET STATUS): shown under the ISD. */
  readonly associatedHex: string | undefined;
  readonly detail: string | undefined;
}

function entryText(entry: TreeEntry): string {
  const privileges = entry.label === 'ELF' ? '' : `  privileges: ${entry.privileges.length === 0 ? '-' : entry.privileges.join(',')}`;
  const detail = entry.detail === undefined ? '' : `  ${entry.detail}`;
  return `${entry.label.padEnd(3)} ${entry.aidHex}  ${entry.state}${privileges}${detail}`;
}

const LABEL_ORDER: Readonly<Record<TreeEntry['label'], number>> = { ISD: 0, SD: 1, APP: 2, ELF: 3 };

/**
 * The registry as a tree: each Security Domain above what is associated with it (GP 2.3 §7.2),
 * domains first, then applications, then load files. Iterative, so a deep hierarchy cannot
 * exhaust the stack; an association loop cannot print forever (each entry prints once).
 */
function formatTree(root: TreeEntry, entries: readonly TreeEntry[]): string[] {
  const childrenOf = (parent: TreeEntry): TreeEntry[] =>
    entries
      .filter((entry) => entry !== parent && entry !== root && (entry.associatedHex ?? root.aidHex) === parent.aidHex)
      .sort((a, b) => LABEL_ORDER[a.label] - LABEL_ORDER[b.label]);
  const lines = [entryText(root)];
  const printed = new Set<TreeEntry>([root]);
  const stack: { entry: TreeEntry; prefix: string; last: boolean }[] = [];
  const push = (parent: TreeEntry, prefix: string): void => {
    const children = childrenOf(parent).filter((child) => !printed.has(child));
    for (let i = children.length - 1; i >= 0; i--) stack.push({ entry: children[i] as TreeEntry, prefix, last: i === children.length - 1 });
  };
  push(root, '');
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (printed.has(item.entry)) continue;
    printed.add(item.entry);
    lines.push(`${item.prefix}${item.last ? '└── ' : '├── '}${entryText(item.entry)}`);
    if (item.entry.label === 'ISD' || item.entry.label === 'SD') push(item.entry, `${item.prefix}${item.last ? '    ' : '│   '}`);
  }
  // Entries associated with a domain the tree does not show (not visible to this SD): listed apart.
  for (const entry of entries) if (!printed.has(entry)) lines.push(`(associated with ${entry.associatedHex ?? '?'}) ${entryText(entry)}`);
  return lines;
}

function treeFromState(state: CardState): { root: TreeEntry; entries: TreeEntry[] } {
  const keysOf = (aid: string): string | undefined => {
    const domain = state.securityDomains.find((candidate) => candidate.aid === aid);
    return domain === undefined ? undefined : `keys: ${domain.keysets.map((keyset) => hexByte(keyset.version)).join(',')}`;
  };
  const entries: TreeEntry[] = state.registry.map((entry) => {
    const kind = entry.kind === 'application' ? 'application' : 'security-domain';
    const origin = entry.loadFileAid === undefined ? undefined : `from ${entry.loadFileAid}/${entry.moduleAid ?? '?'}`;
    return {
      label: entry.kind === 'isd' ? 'ISD' : entry.kind === 'application' ? 'APP' : 'SD',
      aidHex: entry.aid,
      // The ISD's life cycle is the card's (GP 2.3 §5.1), as GET STATUS reports it.
      state: entry.kind === 'isd' ? lifeCycleStateName('card', state.lifeCycle) : lifeCycleStateName(kind, entry.lifeCycle),
      privileges: entry.privileges,
      associatedHex: entry.associatedSecurityDomain,
      detail: [origin, entry.kind === 'application' ? undefined : keysOf(entry.aid)].filter((part) => part !== undefined).join('  ') || undefined,
    };
  });
  for (const file of state.loadFiles) {
    entries.push({
      label: 'ELF',
      aidHex: file.aid,
      state: lifeCycleStateName('executable-load-file', file.lifeCycle),
      privileges: [],
      associatedHex: file.associatedSecurityDomain,
      detail: `version ${file.version}  modules: ${file.modules.map((module) => `${module.aid} (${module.firmwareClass})`).join(', ')}`,
    });
  }
  const root = entries.find((entry) => entry.label === 'ISD') ?? entries[0];
  if (root === undefined) throw new TesseraError(CliCardErrorCode.input, 'the card image has an empty registry');
  return { root, entries };
}

function treeEntryFromManaged(entry: ManagedEntry, stateName: string): TreeEntry {
  const label = entry.kind === 'issuer-security-domain' ? 'ISD' : entry.kind === 'security-domain' ? 'SD' : entry.kind === 'application' ? 'APP' : 'ELF';
  let detail: string | undefined;
  if (label === 'ELF') {
    const version = entry.versionHex === undefined ? '?' : Array.from(fromHex(entry.versionHex)).join('.');
    detail = `version ${version}${entry.moduleAIDsHex.length === 0 ? '' : `  modules: ${entry.moduleAIDsHex.join(', ')}`}`;
  } else if (entry.executableLoadFileAIDHex !== undefined) {
    detail = `from ${entry.executableLoadFileAIDHex}/${entry.moduleAIDsHex[0] ?? '?'}`;
  }
  return { label, aidHex: entry.aidHex, state: stateName, privileges: entry.privileges, associatedHex: entry.associatedSecurityDomainAIDHex, detail };
}

function treeFromRegistry(registry: CardRegistry): { root: TreeEntry; entries: TreeEntry[] } {
  const root = treeEntryFromManaged(registry.issuerSecurityDomain, registry.cardLifeCycleStateName);
  const entries = [...registry.applications, ...registry.loadFiles].map((entry) => treeEntryFromManaged(entry, entry.lifeCycleStateName));
  return { root, entries: [root, ...entries] };
}

// --- Shared plumbing ------------------------------------------------------------------------------

interface DeviceKeyOptions {
  deviceKeyFile?: string;
}

function deviceKey(options: DeviceKeyOptions, create: boolean): Uint8Array {
  return loadCardDeviceKey({
    env: process.env,
    ...(options.deviceKeyFile === undefined ? {} : { keyFile: options.deviceKeyFile }),
    create,
    notify: (message) => console.error(`tessera: ${message}`),
  }).key;
}

function openCard(file: string, options: DeviceKeyOptions): VirtualCard {
  return openCardImage(file, deviceKey(options, false), {
    firmware: cardFirmware(),
    onInternalError: (error) => console.error('tessera: the card failed internally:', error),
  });
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new TesseraError(CliCardErrorCode.input, `cannot read the ${what} ${path}`, { cause: error });
  }
}

interface SessionOptions extends DeviceKeyOptions {
  keys?: Keyset;
  kvn?: number;
  sd?: Uint8Array;
  level?: SCP03SecurityLevel;
}

/** Power on, SELECT the SD, open SCP03, run `action`, power off. The image is written by the card after each committed command. */
async function withSecureChannel(file: string, options: SessionOptions, action: (manager: GPManager, session: SecureChannelInfo) => Promise<void>): Promise<void> {
  const card = openCard(file, options);
  card.powerOn();
  try {
    const manager = new GPManager((command) => card.transmit(command));
    const sd = options.sd ?? fromHex(ISD_AID);
    await manager.selectSecurityDomain(sd);
    const keys = options.keys ?? parseKeyset(DEFAULT_TEST_KEY_HEX);
    const level = options.level ?? LEVEL_DEFAULT;
    const session = await manager.openSecureChannel(keys, level, { keyVersion: options.kvn ?? 0 });
    console.log(`secure channel: ${session.securityDomainAIDHex}, key version ${hexByte(session.keyVersion)}, level ${hexByte(level)} (${LEVEL_NAMES[level] ?? '?'})`);
    await action(manager, session);
    manager.closeSecureChannel();
  } finally {
    card.powerOff();
  }
}

function addSessionOptions(command: Command): Command {
  return command
    .option('--keys <hex>', `SCP03 keys: one AES key for ENC = MAC = DEK, or ENC‖MAC‖DEK (default: the test keys ${DEFAULT_TEST_KEY_HEX})`, parseKeyset)
    .option('--kvn <hex>', 'key version to authenticate with, 00-7F in hex (default 00: the card chooses its default keyset)', parseKeyVersion)
    .option('--sd <aid>', `Security Domain to manage (default the ISD ${ISD_AID})`, parseAID)
    .option('--level <hex>', 'SCP03 security level: 01, 03 (default: C-MAC + C-DECRYPTION), 11, 13, 33', parseLevel)
    .option('--device-key-file <path>', 'card device key file (default .tessera/card-device.key, or TESSERA_CARD_DEVICE_KEY)');
}

// --- Commands -------------------------------------------------------------------------------------

interface NewOptions extends DeviceKeyOptions {
  profile: ProfileName;
  out: string;
  keys?: Uint8Array;
}

function cardNew(options: NewOptions): void {
  const key = deviceKey(options, true);
  const state = createCardImage(options.out, key, { profile: options.profile, ...(options.keys === undefined ? {} : { key: options.keys }) });
  console.log(`created ${options.profile} card image ${options.out} (card life cycle ${lifeCycleStateName('card', state.lifeCycle)})`);
  console.log(`ISD AID: ${ISD_AID}`);
  const keyText = options.keys === undefined
    ? `default test keys ${DEFAULT_TEST_KEY_HEX} (GlobalPlatform 40..4F)`
    : 'the key given with --keys';
  console.log(`keys: ${keyText} as K-ENC = K-MAC = K-DEK, key version ${hexByte(INITIAL_KEY_VERSION)}, on every security domain`);
  console.log(`security domains: ${state.registry.filter((entry) => entry.kind !== 'application').map((entry) => entry.aid).join(', ')}`);
}

function cardInfo(file: string, options: DeviceKeyOptions): void {
  const state = readCardImageFile(file, deviceKey(options, false));
  console.log(`card image: ${file}`);
  console.log(`profile: ${state.profile}`);
  console.log(`card life cycle: ${lifeCycleStateName('card', state.lifeCycle)} (${hexByte(state.lifeCycle)})`);
  console.log(`IIN: ${state.iinHex}  CIN: ${state.cinHex}  master key index: ${state.masterKeyIndex}`);
  console.log('');
  const { root, entries } = treeFromState(state);
  for (const line of formatTree(root, entries)) console.log(line);
}

async function cardServe(file: string, options: DeviceKeyOptions & { vpcd: string }): Promise<void> {
  const address = parseVpcdAddress(options.vpcd);
  const card = openCard(file, options);
  const logger = createLogger({ level: 'debug', name: 'card', base: {}, destination: { write: printLogLine } });
  console.log(`serving ${file} (ATR ${toHex(card.atr)}) to vpcd at ${address.host}:${address.port}; Ctrl-C stops`);
  const bridge = connectToVpcd(card, { host: address.host, port: address.port, logger });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: removing the card from the reader`);
    bridge.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await bridge.closed;
}

/** Turns the bridge's JSON log lines into one readable line each: `message (key=value …)`. */
function printLogLine(line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    console.log(line.trimEnd());
    return;
  }
  const { msg, level: _level, time: _time, name: _name, ...fields } = record;
  const details = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'object' && value !== null && 'host' in value && 'port' in value ? `${String(value.host)}:${String(value.port)}` : typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  console.log(`${String(msg)}${details === '' ? '' : ` (${details})`}`);
}

function cardAPDU(file: string, commands: readonly string[], options: DeviceKeyOptions): void {
  const parsed = commands.map((text) => {
    try {
      return parseHex(text, 'a command APDU');
    } catch {
      throw new TesseraError(CliCardErrorCode.usage, `expected each command APDU as hex digits, received ${JSON.stringify(text.slice(0, 40))}`);
    }
  });
  const card = openCard(file, options);
  console.log(`ATR ${toHex(card.powerOn())}`);
  try {
    for (const command of parsed) {
      console.log(`> ${toHex(command)}`);
      const response = parseResponseAPDU(card.transmit(command));
      console.log(`< ${response.data.length === 0 ? '' : `${toHex(response.data)} `}${describeStatusWord(response.sw)}`);
    }
  } finally {
    card.powerOff();
  }
}

async function cardList(file: string, options: SessionOptions): Promise<void> {
  await withSecureChannel(file, options, async (manager) => {
    const registry = await manager.getStatus();
    console.log(`card life cycle: ${registry.cardLifeCycleStateName} (GET STATUS, ${registry.format} format)`);
    console.log('');
    const { root, entries } = treeFromRegistry(registry);
    for (const line of formatTree(root, entries)) console.log(line);
  });
}

interface InstallOptions extends SessionOptions {
  loadFile?: string;
  dapKey?: string;
  dapSd?: Uint8Array[];
  loadOnly?: boolean;
  package?: Uint8Array;
  module?: Uint8Array;
  aid?: Uint8Array;
  privileges?: PrivilegeName[];
  params?: Uint8Array;
  extraditeTo?: Uint8Array;
}

function moduleToInstall(options: InstallOptions, file: LoadFile | undefined): Uint8Array {
  if (options.module !== undefined) return options.module;
  const [only, ...others] = file?.modules ?? [];
  if (only === undefined || others.length > 0) {
    throw new TesseraError(CliCardErrorCode.usage, `name the module to instantiate with --module (the load file has ${file?.modules.length ?? 0} modules)`);
  }
  return only.aid;
}

async function cardInstall(file: string, options: InstallOptions): Promise<void> {
  if (options.loadFile === undefined && options.module === undefined && options.aid === undefined) {
    throw new TesseraError(CliCardErrorCode.usage, 'nothing to install: give --load-file, or --package with --module (and --aid)');
  }
  const loadFileBytes = options.loadFile === undefined ? undefined : readInput(options.loadFile, 'load file');
  const loadFile = loadFileBytes === undefined ? undefined : decodeLoadFile(loadFileBytes);
  const dapKey = options.dapKey === undefined ? undefined : createPrivateKey({ key: Buffer.from(readInput(options.dapKey, 'DAP key')), format: 'pem' });
  await withSecureChannel(file, options, async (manager, session) => {
    if (loadFileBytes !== undefined && loadFile !== undefined) {
      const hash = loadFileDataBlockHash(loadFileBytes);
      const dapDomains = options.dapSd ?? [fromHex(session.securityDomainAIDHex)];
      const dapBlocks = dapKey === undefined ? [] : dapDomains.map((securityDomainAID) => ({ securityDomainAID, signature: signDAP(hash, dapKey) }));
      const loaded = await manager.loadFile(loadFileBytes, { dapBlocks });
      console.log(`loaded ${loaded.loadFileAIDHex} version ${loaded.version.major}.${loaded.version.minor} (modules ${loaded.moduleAIDsHex.join(', ')}) in ${loaded.blocks} LOAD command(s)${dapBlocks.length === 0 ? '' : `, DAP for ${dapDomains.map((aid) => toHex(aid)).join(', ')}`}`);
    }
    if (options.loadOnly === true) return;
    const packageAID = options.package ?? loadFile?.packageAID;
    if (packageAID === undefined) throw new TesseraError(CliCardErrorCode.usage, 'name the load file of the module with --package');
    const moduleAID = moduleToInstall(options, loadFile);
    const applicationAID = options.aid ?? moduleAID;
    const privileges = options.privileges ?? [];
    await manager.installForInstall({
      loadFileAID: packageAID, moduleAID, applicationAID, privileges, applicationParameters: options.params ?? new Uint8Array(0),
    });
    console.log(`installed ${toHex(applicationAID)} from ${toHex(packageAID)}/${toHex(moduleAID)}, privileges: ${privileges.length === 0 ? '-' : privileges.join(',')}`);
    if (options.extraditeTo !== undefined) {
      await manager.extradite(applicationAID, options.extraditeTo);
      console.log(`extradited ${toHex(applicationAID)} to ${toHex(options.extraditeTo)}`);
    }
  });
}

async function cardDelete(file: string, aid: Uint8Array, options: SessionOptions & { related?: boolean }): Promise<void> {
  await withSecureChannel(file, options, async (manager) => {
    await manager.delete(aid, { related: options.related === true });
    console.log(`deleted ${toHex(aid)}${options.related === true ? ' and its related objects' : ''}`);
  });
}

type LockOptions = SessionOptions & { card?: boolean; withApplications?: boolean };

async function cardLockOrUnlock(file: string, aid: Uint8Array | undefined, options: LockOptions, state: 'lock' | 'unlock'): Promise<void> {
  if ((aid === undefined) !== (options.card === true)) {
    throw new TesseraError(CliCardErrorCode.usage, `give the AID to ${state}, or --card to ${state} the card itself`);
  }
  await withSecureChannel(file, options, async (manager) => {
    if (aid === undefined) {
      await manager.setStatus({ kind: 'card', state });
      console.log(state === 'lock' ? 'card locked (CARD_LOCKED)' : 'card unlocked (SECURED)');
      return;
    }
    await manager.setStatus(options.withApplications === true
      ? { kind: 'security-domain-and-applications', aid, state }
      : { kind: 'application', aid, state });
    console.log(`${state === 'lock' ? 'locked' : 'unlocked'} ${toHex(aid)}${options.withApplications === true ? ' and its applications' : ''}`);
  });
}

async function cardPutKey(file: string, options: SessionOptions & { newKeys: Keyset; newKvn?: number; add?: boolean }): Promise<void> {
  await withSecureChannel(file, options, async (manager, session) => {
    const newVersion = options.newKvn ?? session.keyVersion + 1;
    if (newVersion < 1 || newVersion > KEY_VERSION_MAX) {
      throw new TesseraError(CliCardErrorCode.usage, `choose the new key version with --new-kvn (01 to 7F); ${hexByte(session.keyVersion)} + 1 is out of range`);
    }
    const result = await manager.putKey({
      ...(options.add === true ? {} : { replaceVersion: session.keyVersion }),
      newVersion,
      keys: options.newKeys,
    });
    const [enc = '?', mac = '?', dek = '?'] = result.keyCheckValuesHex;
    const what = result.replaced ? `replaced key version ${hexByte(session.keyVersion)} with` : 'added';
    console.log(`${what} key version ${hexByte(result.keyVersion)} on ${session.securityDomainAIDHex} (key check values ENC ${enc} MAC ${mac} DEK ${dek})`);
  });
}

/** Tessera's STORE DATA data object for an SD's DAP verification key: SubjectPublicKeyInfo DER (src/card/commands/storeData.ts). */
const DAP_PUBLIC_KEY_TAG = 0xdf70;

async function cardSetDAPKey(file: string, pem: string, options: SessionOptions): Promise<void> {
  const text = Buffer.from(readInput(pem, 'DAP key'));
  let publicKey: KeyObject;
  try {
    publicKey = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey({ key: text, format: 'pem' })) : createPublicKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new TesseraError(CliCardErrorCode.input, `${pem} holds no PEM public or private key`, { cause: error });
  }
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  await withSecureChannel(file, options, async (manager, session) => {
    await manager.storeData([encodeTLV([primitiveNode(DAP_PUBLIC_KEY_TAG, spki)])], { structure: 'ber-tlv' });
    console.log(`stored the DAP verification key (${publicKey.asymmetricKeyType ?? '?'}) of ${session.securityDomainAIDHex}`);
  });
}

interface AgentOptions extends DeviceKeyOptions {
  tsm: string;
  ca?: string;
  agentId?: string;
}

function printAgentEvent(event: CardAgentEvent): void {
  switch (event.type) {
    case 'started':
      console.log(`agent ${event.agentId} polling ${event.url}`);
      return;
    case 'script':
      console.log(event.badFormat === undefined
        ? `ran a script: ${event.executedCount} of ${event.commandCount} command(s) executed`
        : `refused a malformed script (Bad format ${hexByte(event.badFormat)})`);
      return;
    case 'idle':
      return;
    case 'error':
      console.error(`tessera: ${event.message} (${event.code}); retrying in ${event.retryInMs} ms`);
      return;
    case 'stopped':
      console.log('agent stopped; card powered off');
      return;
  }
}

/** `tessera card agent FILE --tsm URL`: the card's admin agent (RAM over HTTP, docs/ota.md) until Ctrl-C. */
async function cardAgent(file: string, options: AgentOptions): Promise<void> {
  const ca = options.ca === undefined ? undefined : Buffer.from(readInput(options.ca, 'CA certificate'));
  const card = openCard(file, options);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    console.log(`${signal}: stopping the agent`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  console.log(`admin agent for ${file}; Ctrl-C stops`);
  try {
    await runCardAgent(card, {
      tsmUrl: options.tsm,
      signal: stop.signal,
      onEvent: printAgentEvent,
      ...(ca === undefined ? {} : { ca }),
      ...(options.agentId === undefined ? {} : { agentId: options.agentId }),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `tessera card …`, to be added to the program. */
export function buildCardCommand(): Command {
  const card = new Command('card').description('virtual GlobalPlatform cards: make, inspect, serve over PC/SC, manage through SCP03 (docs/card.md)');

  card.command('new')
    .description(`manufacture a card of a profile and write its image (ISD ${ISD_AID}, default test keys 404142…4F)`)
    .addOption(new Option('--profile <name>', 'secure element profile (seed 001 figs. 5-8)').choices(PROFILE_NAMES).makeOptionMandatory())
    .requiredOption('--out <file>', 'where to write the card image (never overwritten)')
    .option('--keys <hex>', 'one AES key for K-ENC = K-MAC = K-DEK of every domain (default the test keys)', parseSingleKey)
    .option('--device-key-file <path>', 'card device key file (default .tessera/card-device.key, created if missing; or TESSERA_CARD_DEVICE_KEY)')
    .action((options: NewOptions) => cardNew(options));

  card.command('info')
    .description('show a card image: life cycle and the registry as a tree (domains → applications and load files)')
    .argument('<file>', 'card image')
    .option('--device-key-file <path>', 'card device key file')
    .action((file: string, options: DeviceKeyOptions) => cardInfo(file, options));

  card.command('serve')
    .description('put the card into a PC/SC reader through vsmartcard vpcd (docs/card-pcsc.md) until Ctrl-C')
    .argument('<file>', 'card image')
    .requiredOption('--vpcd <host:port>', 'where vpcd listens (port 35963 for the first slot)')
    .option('--device-key-file <path>', 'card device key file')
    .action((file: string, options: DeviceKeyOptions & { vpcd: string }) => cardServe(file, options));

  card.command('agent')
    .description('connect the card to a TSM over the air: the admin agent of GlobalPlatform Amendment B, RAM over HTTP (docs/ota.md), until Ctrl-C')
    .argument('<file>', 'card image')
    .requiredOption('--tsm <url>', 'the TSM\'s base URL (https://host:port), or its admin URL')
    .option('--ca <pem>', 'the authority that issued the TSM\'s TLS certificate, when it is not publicly trusted')
    .option('--agent-id <hex>', 'X-Admin-From (default: the card\'s CIN, read with GET DATA 0045)')
    .option('--device-key-file <path>', 'card device key file')
    .action((file: string, options: AgentOptions) => cardAgent(file, options));

  card.command('apdu')
    .description('power the card on and send raw command APDUs in order, printing each response')
    .argument('<file>', 'card image')
    .argument('<hex...>', 'command APDUs in hex, e.g. 00A4040008A000000151000000')
    .option('--device-key-file <path>', 'card device key file')
    .action((file: string, commands: string[], options: DeviceKeyOptions) => cardAPDU(file, commands, options));

  addSessionOptions(card.command('list')
    .description('list the registry through a secure channel (GET STATUS)')
    .argument('<file>', 'card image'))
    .action((file: string, options: SessionOptions) => cardList(file, options));

  addSessionOptions(card.command('install')
    .description('load a Tessera load file and/or instantiate a module (INSTALL [for load], LOAD, INSTALL [for install and make selectable])')
    .argument('<file>', 'card image'))
    .option('--load-file <path>', 'Tessera load file (docs/load-file-format.md) to load first')
    .option('--dap-key <pem>', 'sign the load file with this DAP private key (EC P-256 or RSA ≥ 2048, PEM)')
    .option('--dap-sd <aid>', 'a Security Domain whose DAP key verifies the signature; repeat for several (default --sd)', collectAIDs)
    .option('--load-only', 'load without instantiating')
    .option('--package <aid>', 'load file of the module (default the one loaded)', parseAID)
    .option('--module <aid>', 'module to instantiate (default the load file\'s only module)', parseAID)
    .option('--aid <aid>', 'AID of the new application (default the module AID)', parseAID)
    .option('--privileges <names>', 'comma-separated privileges, e.g. cardReset', parsePrivileges)
    .option('--params <hex>', 'application specific install parameters (the C9 contents)', (value) => parseHex(value, 'install parameters'))
    .option('--extradite-to <aid>', 'then associate the application with this Security Domain (INSTALL [for extradition])', parseAID)
    .action((file: string, options: InstallOptions) => cardInstall(file, options));

  addSessionOptions(card.command('delete')
    .description('delete an application, Security Domain or load file (DELETE)')
    .argument('<file>', 'card image')
    .argument('<aid>', 'what to delete', parseAID))
    .option('--related', 'also delete what was made from it (DELETE P2 80)')
    .action((file: string, aid: Uint8Array, options: SessionOptions & { related?: boolean }) => cardDelete(file, aid, options));

  for (const state of ['lock', 'unlock'] as const) {
    addSessionOptions(card.command(state)
      .description(`${state} an application or Security Domain, or with --card the card (SET STATUS)`)
      .argument('<file>', 'card image')
      .argument('[aid]', `the application or Security Domain to ${state}`, parseAID))
      .option('--card', `${state} the card itself (needs the Card Lock privilege)`)
      .option('--with-applications', `${state} a Security Domain together with its applications (SET STATUS P1 60)`)
      .action((file: string, aid: Uint8Array | undefined, options: LockOptions) => cardLockOrUnlock(file, aid, options, state));
  }

  addSessionOptions(card.command('set-dap-key')
    .description('give the Security Domain its DAP verification key (STORE DATA \'DF70\', docs/card.md)')
    .argument('<file>', 'card image')
    .argument('<pem>', 'the public key (or the private key, whose public half is sent), EC P-256 or RSA ≥ 2048, PEM'))
    .action((file: string, pem: string, options: SessionOptions) => cardSetDAPKey(file, pem, options));

  addSessionOptions(card.command('put-key')
    .description('replace (default) or add the Security Domain\'s SCP03 keyset (PUT KEY)')
    .argument('<file>', 'card image'))
    .requiredOption('--new-keys <hex>', 'the new keys: one AES key for ENC = MAC = DEK, or ENC‖MAC‖DEK', parseKeyset)
    .option('--new-kvn <hex>', 'the new key version, 01-7F in hex (default: the current one + 1)', parseKeyVersion)
    .option('--add', 'add a keyset instead of replacing the one authenticated with')
    .action((file: string, options: SessionOptions & { newKeys: Keyset; newKvn?: number; add?: boolean }) => cardPutKey(file, options));

  return card;
}
