import { constructedNode, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GPTag } from './constants.js';
import { decodeGPTLV, primitiveValue, requireAID, requireBytes, requireUniqueTags } from './fields.js';
import { gpMalformed } from './gpError.js';
import { INSTALL_FIELD_BYTES_MAX } from './limits.js';

/**
 * DELETE data field (GP 2.3 §11.2.2.3). Two forms:
 *
 * - card content: '4F' the AID of an Executable Load File or an Application (mandatory, first),
 *   then optionally 'B6' the control reference template for a digital signature (what a Delete
 *   Token signs: SD provider, image number, token identifier — kept as its data objects) and
 *   '9E' the Delete Token;
 * - a key: 'D0' key identifier and/or 'D2' key version number, one byte each.
 *
 * P2 '80' deletes the object and its related objects (an ELF and its applications); that is the
 * command's business, not the data field's. The card answers '00' when no receipt is asked for.
 */

export interface DeleteCardContent {
  readonly kind: 'card-content';
  readonly aid: Uint8Array;
  /** The data objects inside 'B6', in order; absent when there is no 'B6'. */
  readonly controlReferenceTemplate?: readonly TLVNode[];
  /** '9E'; absent when there is no token. */
  readonly deleteToken?: Uint8Array;
}

export interface DeleteKey {
  readonly kind: 'key';
  readonly keyIdentifier?: number;
  readonly keyVersionNumber?: number;
}

export type DeleteCommandData = DeleteCardContent | DeleteKey;

const WHAT = 'DELETE data';
const KEY_IDENTIFIER_MAX = 0x7f;

/** The response data field of a DELETE answered without a receipt (GP 2.3 §11.2.3). */
export const DELETE_RESPONSE_WITHOUT_RECEIPT: Uint8Array = Uint8Array.of(0x00);

function requireKeyNumber(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw gpMalformed(`expected ${name} from 0 to ${max}, received ${String(value)}`);
  return value;
}

export function encodeDeleteCommandData(command: DeleteCommandData): Uint8Array {
  if (command.kind === 'key') {
    const nodes: TLVNode[] = [];
    if (command.keyIdentifier !== undefined) {
      nodes.push(primitiveNode(GPTag.KEY_IDENTIFIER, Uint8Array.of(requireKeyNumber(command.keyIdentifier, KEY_IDENTIFIER_MAX, 'key identifier'))));
    }
    if (command.keyVersionNumber !== undefined) {
      nodes.push(primitiveNode(GPTag.KEY_VERSION_NUMBER, Uint8Array.of(requireKeyNumber(command.keyVersionNumber, 0xff, 'key version number'))));
    }
    if (nodes.length === 0) throw gpMalformed(`${WHAT}: a key deletion names a key identifier, a key version number or both`);
    return encodeTLV(nodes);
  }
  const nodes: TLVNode[] = [primitiveNode(GPTag.AID, requireAID(command.aid, 'AID to delete'))];
  if (command.controlReferenceTemplate !== undefined) {
    nodes.push(constructedNode(GPTag.CONTROL_REFERENCE_TEMPLATE_DIGITAL_SIGNATURE, command.controlReferenceTemplate));
  }
  if (command.deleteToken !== undefined) {
    const token = requireBytes(command.deleteToken, 'Delete Token');
    if (token.length === 0 || token.length > INSTALL_FIELD_BYTES_MAX) throw gpMalformed(`${WHAT}: a Delete Token has 1 to ${INSTALL_FIELD_BYTES_MAX} bytes`);
    nodes.push(primitiveNode(GPTag.DELETE_TOKEN, token));
  }
  return encodeTLV(nodes);
}

function decodeKeyDeletion(nodes: readonly TLVNode[]): DeleteKey {
  let keyIdentifier: number | undefined;
  let keyVersionNumber: number | undefined;
  for (const node of nodes) {
    const value = primitiveValue(node, WHAT);
    if (value.length !== 1) throw gpMalformed(`${WHAT}: '${tagToHex(node.tag)}' must be one byte, received ${value.length}`);
    const byte = value[0] as number;
    if (node.tag === GPTag.KEY_IDENTIFIER) keyIdentifier = requireKeyNumber(byte, KEY_IDENTIFIER_MAX, 'key identifier');
    else if (node.tag === GPTag.KEY_VERSION_NUMBER) keyVersionNumber = byte;
    else throw gpMalformed(`${WHAT}: tag ${tagToHex(node.tag)} cannot appear in a key deletion`);
  }
  return {
    kind: 'key',
    ...(keyIdentifier === undefined ? {} : { keyIdentifier }),
    ...(keyVersionNumber === undefined ? {} : { keyVersionNumber }),
  };
}

function decodeCardContentDeletion(nodes: readonly TLVNode[]): DeleteCardContent {
  const [aidNode, ...rest] = nodes;
  if (aidNode === undefined) throw gpMalformed(`${WHAT} is empty`);
  const aid = requireAID(primitiveValue(aidNode, WHAT), 'AID to delete');
  let controlReferenceTemplate: readonly TLVNode[] | undefined;
  let deleteToken: Uint8Array | undefined;
  for (const node of rest) {
    if (node.tag === GPTag.CONTROL_REFERENCE_TEMPLATE_DIGITAL_SIGNATURE && node.constructed && deleteToken === undefined) {
      controlReferenceTemplate = node.children;
    } else if (node.tag === GPTag.DELETE_TOKEN && !node.constructed && node.value.length > 0) {
      deleteToken = node.value;
    } else {
      throw gpMalformed(`${WHAT}: tag ${tagToHex(node.tag)} is out of place after '4F' (expected 'B6' then '9E')`);
    }
  }
  return {
    kind: 'card-content',
    aid,
    ...(controlReferenceTemplate === undefined ? {} : { controlReferenceTemplate }),
    ...(deleteToken === undefined ? {} : { deleteToken }),
  };
}

export function decodeDeleteCommandData(received: Uint8Array): DeleteCommandData {
  const nodes = decodeGPTLV(received, WHAT);
  requireUniqueTags(nodes, WHAT);
  const first = nodes[0];
  if (first === undefined) throw gpMalformed(`${WHAT} is empty`);
  if (first.tag === GPTag.AID) return decodeCardContentDeletion(nodes);
  if (first.tag === GPTag.KEY_IDENTIFIER || first.tag === GPTag.KEY_VERSION_NUMBER) return decodeKeyDeletion(nodes);
  throw gpMalformed(`${WHAT} must start with '4F' (card content) or 'D0'/'D2' (a key), received ${tagToHex(first.tag)}`);
}
