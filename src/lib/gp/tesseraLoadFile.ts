import { bytesEqual } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { constructedNode, decodeTLV, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { isByte, requireAID } from './fields.js';
import { gpLoadFileInvalid } from './gpError.js';

/**
 * The Tessera load file: what a Load File Data Block ('C4') carries on this platform. Tessera
 * cannot run Java Card bytecode, so instead of a CAP file a load file names a package and, per
 * module, the TypeScript applet class built into the card firmware that implements it. The
 * format is defined byte by byte in docs/load-file-format.md:
 *
 *   FE L                              load file template
 *     DF31 01 01                      format version 1
 *     DF32 L package AID              5-16 bytes
 *     DF33 02 major minor             package version
 *     FD L                            module template, 1 to LOAD_FILE_MODULES_MAX times
 *       DF34 L module AID             5-16 bytes
 *       DF35 L firmware class         1-64 bytes: [A-Za-z][A-Za-z0-9._-]*
 *       DF36 L default parameters     optional, 0-255 bytes
 *
 * Decoding is strict: exactly this order, no other tags, no padding, minimal lengths, nothing
 * after the template, distinct AIDs. Every failure is ERR_GP_LOAD_FILE_INVALID.
 */

export interface LoadFileModule {
  readonly aid: Uint8Array;
  /** Name of the built-in applet class the card firmware instantiates for this module. */
  readonly firmwareClass: string;
  /**
   * Application specific install parameters (what a 'C9' carries) the card uses when INSTALL
   * [for install] gives an empty 'C9'. Absent when the module has none.
   */
  readonly defaultInstallParameters?: Uint8Array;
}

export interface LoadFile {
  readonly packageAID: Uint8Array;
  readonly version: { readonly major: number; readonly minor: number };
  readonly modules: readonly LoadFileModule[];
}

/** Private-class tags, chosen clear of GlobalPlatform's own (see docs/load-file-format.md). */
export const LoadFileTag = {
  LOAD_FILE: 0xfe,
  FORMAT_VERSION: 0xdf31,
  PACKAGE_AID: 0xdf32,
  PACKAGE_VERSION: 0xdf33,
  MODULE: 0xfd,
  MODULE_AID: 0xdf34,
  FIRMWARE_CLASS: 0xdf35,
  DEFAULT_INSTALL_PARAMETERS: 0xdf36,
} as const;

export const LOAD_FILE_FORMAT_VERSION = 1;
export const LOAD_FILE_MODULES_MAX = 16;
export const FIRMWARE_CLASS_BYTES_MAX = 64;
export const DEFAULT_INSTALL_PARAMETERS_BYTES_MAX = 255;
/** A load file with 16 modules of 16-byte AIDs, 64-byte class names and 255-byte parameters fits in 6 KiB. */
export const LOAD_FILE_BYTES_MAX = 8 * 1024;

/** ASCII identifier characters, a subset of UTF-8 so every byte is one character. */
const FIRMWARE_CLASS_PATTERN = /^[A-Za-z][A-Za-z0-9._-]*$/;

function invalid(message: string, cause?: unknown): TesseraError {
  return gpLoadFileInvalid(`load file: ${message}`, cause);
}

function checkFirmwareClass(name: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0 || name.length > FIRMWARE_CLASS_BYTES_MAX || !FIRMWARE_CLASS_PATTERN.test(name)) {
    throw invalid(`a firmware class is 1 to ${FIRMWARE_CLASS_BYTES_MAX} characters [A-Za-z][A-Za-z0-9._-]*`);
  }
  return new TextEncoder().encode(name);
}

function checkAID(aid: Uint8Array, name: string): Uint8Array {
  try {
    return requireAID(aid, name);
  } catch (cause) {
    throw invalid(`${name} must be 5 to 16 bytes`, cause);
  }
}

function checkDistinctAIDs(file: LoadFile): void {
  const seen: Uint8Array[] = [file.packageAID];
  for (const module of file.modules) {
    if (seen.some((aid) => bytesEqual(aid, module.aid))) throw invalid('module AIDs must differ from each other and from the package AID');
    seen.push(module.aid);
  }
}

function moduleNode(module: LoadFileModule): TLVNode {
  const children: TLVNode[] = [
    primitiveNode(LoadFileTag.MODULE_AID, checkAID(module.aid, 'module AID')),
    primitiveNode(LoadFileTag.FIRMWARE_CLASS, checkFirmwareClass(module.firmwareClass)),
  ];
  if (module.defaultInstallParameters !== undefined) {
    if (!(module.defaultInstallParameters instanceof Uint8Array) || module.defaultInstallParameters.length > DEFAULT_INSTALL_PARAMETERS_BYTES_MAX) {
      throw invalid(`default install parameters have at most ${DEFAULT_INSTALL_PARAMETERS_BYTES_MAX} bytes`);
    }
    children.push(primitiveNode(LoadFileTag.DEFAULT_INSTALL_PARAMETERS, module.defaultInstallParameters));
  }
  return constructedNode(LoadFileTag.MODULE, children);
}

/** The Load File Data Block bytes of `file`. */
export function encodeLoadFile(file: LoadFile): Uint8Array {
  const { major, minor } = file.version;
  if (!isByte(major) || !isByte(minor)) throw invalid('version major and minor are one byte each');
  if (file.modules.length === 0 || file.modules.length > LOAD_FILE_MODULES_MAX) {
    throw invalid(`a load file has 1 to ${LOAD_FILE_MODULES_MAX} modules, received ${file.modules.length}`);
  }
  checkAID(file.packageAID, 'package AID');
  checkDistinctAIDs(file);
  return encodeTLV([
    constructedNode(LoadFileTag.LOAD_FILE, [
      primitiveNode(LoadFileTag.FORMAT_VERSION, Uint8Array.of(LOAD_FILE_FORMAT_VERSION)),
      primitiveNode(LoadFileTag.PACKAGE_AID, file.packageAID),
      primitiveNode(LoadFileTag.PACKAGE_VERSION, Uint8Array.of(major, minor)),
      ...file.modules.map(moduleNode),
    ]),
  ]);
}

/** Walks children in the fixed order: each call takes the next node, which must have `tag`. */
class Children {
  private index = 0;
  constructor(private readonly nodes: readonly TLVNode[], private readonly where: string) {}

  take(tag: number, constructed: boolean): TLVNode {
    const node = this.nodes[this.index];
    if (node?.tag !== tag || node.constructed !== constructed) throw invalid(`${this.where}: expected tag ${tagToHex(tag)} at position ${this.index + 1}`);
    this.index++;
    return node;
  }

  takeOptional(tag: number): TLVNode | undefined {
    return this.nodes[this.index]?.tag === tag ? this.take(tag, false) : undefined;
  }

  get done(): boolean {
    return this.index === this.nodes.length;
  }

  end(): void {
    const node = this.nodes[this.index];
    if (node !== undefined) throw invalid(`${this.where}: unexpected tag ${tagToHex(node.tag)} at position ${this.index + 1}`);
  }
}

function decodeModule(node: TLVNode): LoadFileModule {
  if (!node.constructed) throw invalid('a module template must be constructed');
  const children = new Children(node.children, 'module template');
  const aid = checkAID(children.take(LoadFileTag.MODULE_AID, false).value, 'module AID');
  const classBytes = children.take(LoadFileTag.FIRMWARE_CLASS, false).value;
  let firmwareClass: string;
  try {
    firmwareClass = new TextDecoder('utf-8', { fatal: true }).decode(classBytes);
  } catch (cause) {
    throw invalid('a firmware class must be UTF-8', cause);
  }
  checkFirmwareClass(firmwareClass);
  const parameters = children.takeOptional(LoadFileTag.DEFAULT_INSTALL_PARAMETERS);
  children.end();
  if (parameters !== undefined && parameters.value.length > DEFAULT_INSTALL_PARAMETERS_BYTES_MAX) {
    throw invalid(`default install parameters have at most ${DEFAULT_INSTALL_PARAMETERS_BYTES_MAX} bytes`);
  }
  return { aid, firmwareClass, ...(parameters === undefined ? {} : { defaultInstallParameters: parameters.value }) };
}

function decodeTree(received: Uint8Array): TLVNode[] {
  if (!(received instanceof Uint8Array)) throw invalid('expected the Load File Data Block as a Uint8Array');
  if (received.length > LOAD_FILE_BYTES_MAX) throw invalid(`${received.length} bytes exceed ${LOAD_FILE_BYTES_MAX}`);
  try {
    return decodeTLV(received, { padding: 'reject', lengths: 'minimal', depthMax: 3, nodesMax: 8 + 4 * LOAD_FILE_MODULES_MAX });
  } catch (cause) {
    if (cause instanceof TesseraError && (cause.code === LibErrorCode.tlvMalformed || cause.code === LibErrorCode.tlvLimit)) {
      throw invalid(`not well-formed TLV (${cause.message})`, cause);
    }
    throw cause;
  }
}

/** Parses and validates a Load File Data Block. */
export function decodeLoadFile(received: Uint8Array): LoadFile {
  const [template, extra] = decodeTree(received);
  if (template?.tag !== LoadFileTag.LOAD_FILE || !template.constructed || extra !== undefined) {
    throw invalid(`expected exactly one load file template ('${tagToHex(LoadFileTag.LOAD_FILE)}')`);
  }
  const children = new Children(template.children, 'load file template');
  const format = children.take(LoadFileTag.FORMAT_VERSION, false).value;
  if (format.length !== 1 || format[0] !== LOAD_FILE_FORMAT_VERSION) throw invalid(`format version must be ${LOAD_FILE_FORMAT_VERSION}`);
  const packageAID = checkAID(children.take(LoadFileTag.PACKAGE_AID, false).value, 'package AID');
  const version = children.take(LoadFileTag.PACKAGE_VERSION, false).value;
  if (version.length !== 2) throw invalid('package version is two bytes, major and minor');
  const modules: LoadFileModule[] = [];
  while (!children.done) {
    if (modules.length === LOAD_FILE_MODULES_MAX) throw invalid(`more than ${LOAD_FILE_MODULES_MAX} modules`);
    modules.push(decodeModule(children.take(LoadFileTag.MODULE, true)));
  }
  if (modules.length === 0) throw invalid('a load file has at least one module');
  const file: LoadFile = { packageAID, version: { major: version[0] as number, minor: version[1] as number }, modules };
  checkDistinctAIDs(file);
  return file;
}
