import { decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { StatusWord } from '../../lib/status-words.js';

/**
 * An expected refusal: a command the card answers with an error status word. Thrown from deep in a
 * handler and turned into the response by the dispatcher, so a handler reads as a run of checks.
 * The message is for tests and debugging only; it never reaches the wire (no oracle) and never
 * names a secret.
 */
export class AppletRefusal extends Error {
  readonly sw: number;

  constructor(sw: number, message: string) {
    super(message);
    this.name = 'AppletRefusal';
    this.sw = sw;
  }
}

export function refuse(sw: number, message: string): never {
  throw new AppletRefusal(sw, message);
}

/**
 * Every failure of an authenticity check (tunnel blob, TSM signature, counter, ACL, missing user
 * verification) answers 6982 and nothing else, so a caller learns only "not allowed".
 */
export function notAllowed(message: string): never {
  return refuse(StatusWord.securityStatusNotSatisfied, message);
}

/** BER-TLV command data; anything malformed answers 6A80. Bounded by the command size (255 bytes). */
export function decodeCommandTLV(data: Uint8Array): TLVNode[] {
  try {
    return decodeTLV(data, { padding: 'reject', lengths: 'minimal', depthMax: 4 });
  } catch {
    return refuse(StatusWord.incorrectData, 'malformed BER-TLV data');
  }
}

/** The value of a primitive child with `tag` among `nodes` (top level only), or undefined. */
export function primitiveValue(nodes: readonly TLVNode[], tag: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  for (const node of nodes) {
    if (node.tag !== tag) continue;
    if (node.constructed || found !== undefined) refuse(StatusWord.incorrectData, `data object ${tag.toString(16)} repeated or constructed`);
    found = node.value;
  }
  return found;
}

export function requiredValue(nodes: readonly TLVNode[], tag: number): Uint8Array {
  const value = primitiveValue(nodes, tag);
  if (value === undefined) refuse(StatusWord.incorrectData, `data object ${tag.toString(16)} missing`);
  return value;
}

/** The children of a constructed child with `tag` (top level only), or undefined. */
export function templateChildren(nodes: readonly TLVNode[], tag: number): readonly TLVNode[] | undefined {
  let found: readonly TLVNode[] | undefined;
  for (const node of nodes) {
    if (node.tag !== tag) continue;
    if (!node.constructed || found !== undefined) refuse(StatusWord.incorrectData, `template ${tag.toString(16)} repeated or primitive`);
    found = node.children;
  }
  return found;
}

/** Refuses data objects other than `allowed` (a typo in a tag is an error, not silently ignored). */
export function onlyTags(nodes: readonly TLVNode[], allowed: readonly number[]): void {
  for (const node of nodes) {
    if (!allowed.includes(node.tag)) refuse(StatusWord.incorrectData, `unexpected data object ${node.tag.toString(16)}`);
  }
}
