import { concatBytes } from '../bytes.js';
import { constructedNode, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GPTag } from './constants.js';
import { decodeGPTLV, isByte, primitiveValue, requireAID, requireBytes } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import {
  EXECUTABLE_MODULES_MAX, GET_STATUS_RESPONSE_BYTES_MAX, IMPLICIT_SELECTION_PARAMETERS_MAX, REGISTRY_ENTRIES_MAX,
} from './limits.js';
import { decodePrivileges, encodePrivileges } from './privileges.js';
import type { PrivilegeName } from './privileges.js';

/**
 * GET STATUS response data in the GlobalPlatform tag-list format (P2 '02', GP 2.3 §11.4.3.1
 * Table 11-36): one 'E3' template per registry entry.
 *
 *   E3 L
 *     4F    AID                                          mandatory
 *     9F70  Life Cycle State                             mandatory
 *     C5    Privileges (3 bytes; 1 accepted)             applications and SDs
 *     CF    Implicit Selection Parameter (1 byte)        repeated, optional
 *     C4    Executable Load File AID                     optional
 *     CE    Executable Load File Version Number          optional
 *     84    Executable Module AID                        repeated, P1 '10'
 *     CC    Associated Security Domain AID               optional
 *
 * Real cards add more (the kaoh/globalplatform and GlobalPlatformPro captures in
 * test/fixtures/gp carry an 'EA' template, and a second '9F70' byte); those are kept, not refused.
 */

export interface RegistryEntry {
  readonly aid: Uint8Array;
  readonly lifeCycleState: number;
  /**
   * A second '9F70' byte, as some cards send (see the kaoh/globalplatform SCP03 capture). GP 2.3
   * §11.4.3.1 defines one byte; the second is kept for the host to interpret.
   */
  readonly lifeCycleStateSecondByte?: number;
  /** Absent for Executable Load Files. */
  readonly privileges?: readonly PrivilegeName[];
  readonly implicitSelectionParameters: readonly number[];
  readonly executableLoadFileAID?: Uint8Array;
  readonly executableLoadFileVersion?: Uint8Array;
  readonly executableModuleAIDs: readonly Uint8Array[];
  readonly associatedSecurityDomainAID?: Uint8Array;
  /** Data objects this codec does not know, in order. */
  readonly other: readonly TLVNode[];
}

const WHAT = "GET STATUS entry ('E3')";
const KNOWN_TAGS: ReadonlySet<number> = new Set([
  GPTag.AID, GPTag.LIFE_CYCLE_STATE, GPTag.PRIVILEGES, GPTag.IMPLICIT_SELECTION_PARAMETER, GPTag.EXECUTABLE_LOAD_FILE_AID,
  GPTag.EXECUTABLE_LOAD_FILE_VERSION, GPTag.EXECUTABLE_MODULE_AID, GPTag.ASSOCIATED_SECURITY_DOMAIN_AID,
]);
/** The tags every entry carries, whatever tag list the host asked for (Tessera's reading of §11.4.2.2). */
const ALWAYS_SENT: ReadonlySet<number> = new Set([GPTag.AID, GPTag.LIFE_CYCLE_STATE]);
const ELF_VERSION_BYTES_MAX = 8;

function requireStateByte(value: unknown, name: string): number {
  if (!isByte(value)) throw gpMalformed(`expected ${name} to be one byte, received ${String(value)}`);
  return value;
}

function entryNodes(entry: RegistryEntry): TLVNode[] {
  const lifeCycle = entry.lifeCycleStateSecondByte === undefined
    ? Uint8Array.of(requireStateByte(entry.lifeCycleState, 'life cycle state'))
    : Uint8Array.of(requireStateByte(entry.lifeCycleState, 'life cycle state'), requireStateByte(entry.lifeCycleStateSecondByte, 'second life cycle byte'));
  if (entry.implicitSelectionParameters.length > IMPLICIT_SELECTION_PARAMETERS_MAX) {
    throw gpLimit(`${WHAT}: at most ${IMPLICIT_SELECTION_PARAMETERS_MAX} implicit selection parameters`);
  }
  if (entry.executableModuleAIDs.length > EXECUTABLE_MODULES_MAX) throw gpLimit(`${WHAT}: at most ${EXECUTABLE_MODULES_MAX} module AIDs`);
  for (const node of entry.other) {
    if (KNOWN_TAGS.has(node.tag)) throw gpMalformed(`${WHAT}: '${tagToHex(node.tag)}' has its own field and cannot be in 'other'`);
  }
  const nodes: TLVNode[] = [primitiveNode(GPTag.AID, requireAID(entry.aid, 'entry AID')), primitiveNode(GPTag.LIFE_CYCLE_STATE, lifeCycle)];
  if (entry.privileges !== undefined) nodes.push(primitiveNode(GPTag.PRIVILEGES, encodePrivileges(entry.privileges)));
  for (const parameter of entry.implicitSelectionParameters) {
    nodes.push(primitiveNode(GPTag.IMPLICIT_SELECTION_PARAMETER, Uint8Array.of(requireStateByte(parameter, 'implicit selection parameter'))));
  }
  if (entry.executableLoadFileAID !== undefined) {
    nodes.push(primitiveNode(GPTag.EXECUTABLE_LOAD_FILE_AID, requireAID(entry.executableLoadFileAID, 'Executable Load File AID')));
  }
  if (entry.executableLoadFileVersion !== undefined) {
    const version = requireBytes(entry.executableLoadFileVersion, 'Executable Load File version');
    if (version.length === 0 || version.length > ELF_VERSION_BYTES_MAX) throw gpMalformed(`${WHAT}: a version number has 1 to ${ELF_VERSION_BYTES_MAX} bytes`);
    nodes.push(primitiveNode(GPTag.EXECUTABLE_LOAD_FILE_VERSION, version));
  }
  for (const module of entry.executableModuleAIDs) nodes.push(primitiveNode(GPTag.EXECUTABLE_MODULE_AID, requireAID(module, 'Executable Module AID')));
  if (entry.associatedSecurityDomainAID !== undefined) {
    nodes.push(primitiveNode(GPTag.ASSOCIATED_SECURITY_DOMAIN_AID, requireAID(entry.associatedSecurityDomainAID, 'Associated Security Domain AID')));
  }
  return [...nodes, ...entry.other];
}

/**
 * One 'E3' template. With a tag list (from the search criteria '5C'), only the listed data
 * objects are written, besides '4F' and '9F70' which every entry carries.
 */
export function encodeRegistryEntry(entry: RegistryEntry, tagList?: readonly number[]): Uint8Array {
  const wanted = tagList === undefined ? undefined : new Set(tagList);
  const nodes = entryNodes(entry).filter((node) => wanted === undefined || ALWAYS_SENT.has(node.tag) || wanted.has(node.tag));
  return encodeTLV([constructedNode(GPTag.REGISTRY_ENTRY, nodes)]);
}

function decodeLifeCycle(value: Uint8Array): { lifeCycleState: number; lifeCycleStateSecondByte?: number } {
  const [first, second] = value;
  if (first === undefined || value.length > 2) throw gpMalformed(`${WHAT}: '9F70' has 1 or 2 bytes, received ${value.length}`);
  return second === undefined ? { lifeCycleState: first } : { lifeCycleState: first, lifeCycleStateSecondByte: second };
}

function decodeEntry(node: TLVNode): RegistryEntry {
  if (node.tag !== GPTag.REGISTRY_ENTRY || !node.constructed) {
    throw gpMalformed(`GET STATUS response: expected 'E3' templates, received tag ${tagToHex(node.tag)}`);
  }
  const single = new Map<number, Uint8Array>();
  const implicitSelectionParameters: number[] = [];
  const executableModuleAIDs: Uint8Array[] = [];
  const other: TLVNode[] = [];
  for (const child of node.children) {
    if (!KNOWN_TAGS.has(child.tag)) {
      other.push(child);
      continue;
    }
    const value = primitiveValue(child, WHAT);
    if (child.tag === GPTag.IMPLICIT_SELECTION_PARAMETER) {
      if (value.length !== 1) throw gpMalformed(`${WHAT}: 'CF' has one byte, received ${value.length}`);
      if (implicitSelectionParameters.length === IMPLICIT_SELECTION_PARAMETERS_MAX) throw gpLimit(`${WHAT}: too many 'CF'`);
      implicitSelectionParameters.push(value[0] as number);
    } else if (child.tag === GPTag.EXECUTABLE_MODULE_AID) {
      if (executableModuleAIDs.length === EXECUTABLE_MODULES_MAX) throw gpLimit(`${WHAT}: more than ${EXECUTABLE_MODULES_MAX} module AIDs`);
      executableModuleAIDs.push(requireAID(value, 'Executable Module AID'));
    } else {
      if (single.has(child.tag)) throw gpMalformed(`${WHAT}: tag ${tagToHex(child.tag)} appears twice`);
      single.set(child.tag, value);
    }
  }
  const aid = single.get(GPTag.AID);
  const lifeCycle = single.get(GPTag.LIFE_CYCLE_STATE);
  if (aid === undefined || lifeCycle === undefined) throw gpMalformed(`${WHAT}: '4F' and '9F70' are mandatory`);
  const privileges = single.get(GPTag.PRIVILEGES);
  const elf = single.get(GPTag.EXECUTABLE_LOAD_FILE_AID);
  const version = single.get(GPTag.EXECUTABLE_LOAD_FILE_VERSION);
  const domain = single.get(GPTag.ASSOCIATED_SECURITY_DOMAIN_AID);
  if (version !== undefined && (version.length === 0 || version.length > ELF_VERSION_BYTES_MAX)) {
    throw gpMalformed(`${WHAT}: a version number has 1 to ${ELF_VERSION_BYTES_MAX} bytes`);
  }
  return {
    aid: requireAID(aid, 'entry AID'),
    ...decodeLifeCycle(lifeCycle),
    ...(privileges === undefined ? {} : { privileges: decodePrivileges(privileges) }),
    implicitSelectionParameters,
    ...(elf === undefined ? {} : { executableLoadFileAID: requireAID(elf, 'Executable Load File AID') }),
    ...(version === undefined ? {} : { executableLoadFileVersion: version }),
    executableModuleAIDs,
    ...(domain === undefined ? {} : { associatedSecurityDomainAID: requireAID(domain, 'Associated Security Domain AID') }),
    other,
  };
}

/** Decodes one GET STATUS response data field, or several concatenated (after 6310 and "next occurrence"). */
export function decodeRegistryEntries(received: Uint8Array): RegistryEntry[] {
  const nodes = decodeGPTLV(received, 'GET STATUS response');
  if (nodes.length > REGISTRY_ENTRIES_MAX) throw gpLimit(`GET STATUS response: more than ${REGISTRY_ENTRIES_MAX} entries`);
  return nodes.map(decodeEntry);
}

export function encodeRegistryEntries(entries: readonly RegistryEntry[], tagList?: readonly number[]): Uint8Array {
  if (entries.length > REGISTRY_ENTRIES_MAX) throw gpLimit(`GET STATUS response: more than ${REGISTRY_ENTRIES_MAX} entries`);
  return concatBytes(...entries.map((entry) => encodeRegistryEntry(entry, tagList)));
}

/**
 * Groups encoded entries into response data fields of at most `pageBytesMax` bytes, whole
 * entries only (GP 2.3 §11.4.3: every page but the last is answered with 6310, and the host
 * asks for the next occurrence). An entry larger than a page is a limit error.
 */
export function paginateRegistryEntries(encodedEntries: readonly Uint8Array[], pageBytesMax: number = GET_STATUS_RESPONSE_BYTES_MAX): Uint8Array[] {
  if (!Number.isInteger(pageBytesMax) || pageBytesMax < 1) throw gpLimit(`page size must be a positive integer, received ${String(pageBytesMax)}`);
  const pages: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let currentBytes = 0;
  for (const entry of encodedEntries) {
    if (entry.length > pageBytesMax) throw gpLimit(`a registry entry of ${entry.length} bytes does not fit a page of ${pageBytesMax}`);
    if (currentBytes + entry.length > pageBytesMax) {
      pages.push(concatBytes(...current));
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += entry.length;
  }
  if (current.length > 0) pages.push(concatBytes(...current));
  return pages;
}
