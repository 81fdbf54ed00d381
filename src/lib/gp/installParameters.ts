import { concatBytes } from '../bytes.js';
import { constructedNode, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GPTag } from './constants.js';
import { decodeGPTLV, primitiveValue, requireUniqueTags, uintOfLength, uintTwoOrFourBytes } from './fields.js';
import { gpMalformed } from './gpError.js';

/**
 * The parameters fields of INSTALL (GP 2.3 §11.5.2.3.7, Tables 11-48 load parameters and 11-49
 * install parameters): BER-TLV data objects.
 *
 * - 'C9' Application Specific Parameters, handed to the application (its install method's
 *   parameters on Java Card); mandatory in INSTALL [for install], possibly empty ('C9 00').
 * - 'EF' System Specific Parameters, for the card: 'C6' non-volatile code memory, 'C7' volatile
 *   memory, 'C8' non-volatile memory (a minimum requirement at load, a quota at install), each a
 *   2- or 4-byte number of bytes; other data objects in 'EF' (ETSI TS 102 226 'CA', 'CB', 'D7',
 *   'D8', 'CF' implicit selection, …) are kept as they are.
 * - any other top-level data object ('EA' UICC template, 'B6' control reference template, …) is
 *   kept as it is, in order.
 */

export interface SystemSpecificParameters {
  /** 'C6': non-volatile code space (load parameters). */
  readonly nonVolatileCodeMemoryBytes?: number;
  /** 'C7': volatile data space (load) or volatile memory quota (install). */
  readonly volatileMemoryBytes?: number;
  /** 'C8': non-volatile data space (load) or non-volatile memory quota (install). */
  readonly nonVolatileMemoryBytes?: number;
  /** Other data objects inside 'EF', in order. */
  readonly other: readonly TLVNode[];
}

export interface InstallParameters {
  /** 'C9' value; absent when the field has no 'C9' (allowed for load parameters only). */
  readonly applicationSpecific?: Uint8Array;
  /** 'EF' contents. */
  readonly systemSpecific?: SystemSpecificParameters;
  /** Other top-level data objects, in order. */
  readonly other: readonly TLVNode[];
}

const MEMORY_LENGTHS: readonly number[] = [2, 4];
const MEMORY_FIELDS = [
  [GPTag.NON_VOLATILE_CODE_MEMORY, 'nonVolatileCodeMemoryBytes'],
  [GPTag.VOLATILE_MEMORY, 'volatileMemoryBytes'],
  [GPTag.NON_VOLATILE_MEMORY, 'nonVolatileMemoryBytes'],
] as const;
const MEMORY_TAGS: ReadonlySet<number> = new Set(MEMORY_FIELDS.map(([tag]) => tag));
const TOP_LEVEL_TAGS: ReadonlySet<number> = new Set([GPTag.APPLICATION_SPECIFIC_PARAMETERS, GPTag.SYSTEM_SPECIFIC_PARAMETERS]);

function checkOther(nodes: readonly TLVNode[], reserved: ReadonlySet<number>, what: string): void {
  for (const node of nodes) {
    if (reserved.has(node.tag)) throw gpMalformed(`${what}: tag ${tagToHex(node.tag)} has its own field and cannot be in 'other'`);
  }
  requireUniqueTags(nodes, what);
}

function systemSpecificNode(parameters: SystemSpecificParameters): TLVNode {
  checkOther(parameters.other, MEMORY_TAGS, "system specific parameters ('EF')");
  const children: TLVNode[] = [];
  for (const [tag, field] of MEMORY_FIELDS) {
    const value = parameters[field];
    if (value !== undefined) children.push(primitiveNode(tag, uintTwoOrFourBytes(value, field)));
  }
  return constructedNode(GPTag.SYSTEM_SPECIFIC_PARAMETERS, [...children, ...parameters.other]);
}

/** Encodes a parameters field: 'C9', then 'EF', then the other data objects. */
export function encodeInstallParameters(parameters: InstallParameters): Uint8Array {
  checkOther(parameters.other, TOP_LEVEL_TAGS, 'install parameters');
  const nodes: TLVNode[] = [];
  if (parameters.applicationSpecific !== undefined) {
    nodes.push(primitiveNode(GPTag.APPLICATION_SPECIFIC_PARAMETERS, parameters.applicationSpecific));
  }
  if (parameters.systemSpecific !== undefined) nodes.push(systemSpecificNode(parameters.systemSpecific));
  return concatBytes(encodeTLV(nodes), encodeTLV(parameters.other));
}

function decodeSystemSpecific(node: TLVNode): SystemSpecificParameters {
  const what = "system specific parameters ('EF')";
  if (!node.constructed) throw gpMalformed(`${what} must be a constructed data object`);
  requireUniqueTags(node.children, what);
  const memory: Partial<Record<(typeof MEMORY_FIELDS)[number][1], number>> = {};
  const other: TLVNode[] = [];
  for (const child of node.children) {
    const field = MEMORY_FIELDS.find(([tag]) => tag === child.tag);
    if (field === undefined) other.push(child);
    else memory[field[1]] = uintOfLength(primitiveValue(child, what), MEMORY_LENGTHS, `'${tagToHex(child.tag)}' memory size`);
  }
  return { ...memory, other };
}

/** Decodes a parameters field; an empty field decodes to no parameters at all. */
export function decodeInstallParameters(received: Uint8Array): InstallParameters {
  const what = 'install parameters';
  const nodes = decodeGPTLV(received, what);
  requireUniqueTags(nodes, what);
  let applicationSpecific: Uint8Array | undefined;
  let systemSpecific: SystemSpecificParameters | undefined;
  const other: TLVNode[] = [];
  for (const node of nodes) {
    if (node.tag === GPTag.APPLICATION_SPECIFIC_PARAMETERS) applicationSpecific = primitiveValue(node, what);
    else if (node.tag === GPTag.SYSTEM_SPECIFIC_PARAMETERS) systemSpecific = decodeSystemSpecific(node);
    else other.push(node);
  }
  return {
    ...(applicationSpecific === undefined ? {} : { applicationSpecific }),
    ...(systemSpecific === undefined ? {} : { systemSpecific }),
    other,
  };
}
