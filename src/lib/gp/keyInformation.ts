import { concatBytes } from '../bytes.js';
import { constructedNode, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import { GPTag, KeyType } from './constants.js';
import { FieldReader, decodeGPTLV, encodeLV, isByte, primitiveValue, requireBytes } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { KEY_COMPONENTS_MAX, KEY_INFORMATION_ENTRIES_MAX } from './limits.js';

/**
 * Key Information Template (GET DATA '00E0', GP 2.3 §11.3.3.1): 'E0' holding one 'C0' per key.
 *
 *   basic format:     key identifier, key version number, then (key type, key length) pairs
 *   extended format:  key identifier, key version number, then per component a key type of
 *                     'FF' followed by the type ('FF88' for AES) and a 2-byte length, then
 *                     L key usage, L key access
 *
 * Both appear on real cards (GlobalPlatformPro's test templates in test/fixtures/gp). One of
 * them writes later components of an extended entry without the 'FF' marker ('A0 0003' after
 * 'FFA1 0080'); such a component decodes with its plain one-byte type, and re-encodes the same.
 * An empty 'C0' (a fresh SD without keys) is skipped, as GlobalPlatformPro does.
 */

export interface KeyComponentInformation {
  /** One byte in the basic format; in the extended format 'FFxx', or 'xx' for an unmarked component. */
  readonly keyType: number;
  readonly lengthBytes: number;
}

export interface KeyInformation {
  readonly keyIdentifier: number;
  readonly keyVersionNumber: number;
  readonly components: readonly KeyComponentInformation[];
  /** Extended format only: key usage and key access bytes. */
  readonly extended?: { readonly keyUsage: Uint8Array; readonly keyAccess: Uint8Array };
}

const WHAT = "Key Information Template ('E0')";
const EXTENDED_TYPE_MIN = 0xff00;

function encodeBasicComponent(component: KeyComponentInformation): Uint8Array {
  if (!isByte(component.keyType) || component.keyType === KeyType.EXTENDED_FORMAT || !isByte(component.lengthBytes)) {
    throw gpMalformed(`${WHAT}: basic format key types are '00'-'FE' and lengths one byte`);
  }
  return Uint8Array.of(component.keyType, component.lengthBytes);
}

function encodeExtendedComponent(component: KeyComponentInformation, index: number): Uint8Array {
  const { keyType, lengthBytes } = component;
  const marked = Number.isInteger(keyType) && keyType >= EXTENDED_TYPE_MIN && keyType <= 0xffff;
  if ((!marked && (index === 0 || !isByte(keyType) || keyType === KeyType.EXTENDED_FORMAT)) || !Number.isInteger(lengthBytes) || lengthBytes < 0 || lengthBytes > 0xffff) {
    throw gpMalformed(`${WHAT}: extended format components are 'FFxx' (the first always) or 'xx', with 2-byte lengths`);
  }
  const type = marked ? Uint8Array.of(KeyType.EXTENDED_FORMAT, keyType & 0xff) : Uint8Array.of(keyType);
  return concatBytes(type, Uint8Array.of(lengthBytes >> 8, lengthBytes & 0xff));
}

function encodeEntry(key: KeyInformation): Uint8Array {
  if (!isByte(key.keyIdentifier) || !isByte(key.keyVersionNumber)) throw gpMalformed(`${WHAT}: identifier and version are one byte each`);
  if (key.components.length === 0 || key.components.length > KEY_COMPONENTS_MAX) {
    throw gpLimit(`${WHAT}: a key has 1 to ${KEY_COMPONENTS_MAX} components`);
  }
  const head = Uint8Array.of(key.keyIdentifier, key.keyVersionNumber);
  if (key.extended === undefined) return concatBytes(head, ...key.components.map(encodeBasicComponent));
  return concatBytes(
    head,
    ...key.components.map(encodeExtendedComponent),
    encodeLV(requireBytes(key.extended.keyUsage, 'key usage'), 'key usage'),
    encodeLV(requireBytes(key.extended.keyAccess, 'key access'), 'key access'),
  );
}

export function encodeKeyInformationTemplate(keys: readonly KeyInformation[]): Uint8Array {
  if (keys.length > KEY_INFORMATION_ENTRIES_MAX) throw gpLimit(`${WHAT}: more than ${KEY_INFORMATION_ENTRIES_MAX} keys`);
  return encodeTLV([
    constructedNode(GPTag.KEY_INFORMATION_TEMPLATE, keys.map((key) => primitiveNode(GPTag.KEY_INFORMATION_DATA, encodeEntry(key)))),
  ]);
}

/** True when `rest` is exactly L key usage, L key access. */
function isUsageAndAccess(rest: Uint8Array): boolean {
  const usageLength = rest[0];
  if (usageLength === undefined) return false;
  const accessLength = rest[1 + usageLength];
  return accessLength !== undefined && rest.length === 2 + usageLength + accessLength;
}

function decodeBasicEntry(reader: FieldReader, keyIdentifier: number, keyVersionNumber: number): KeyInformation {
  const components: KeyComponentInformation[] = [];
  while (reader.remaining > 0) {
    if (components.length === KEY_COMPONENTS_MAX) throw gpLimit(`${WHAT}: more than ${KEY_COMPONENTS_MAX} components`);
    const keyType = reader.readByte('key type');
    const lengthBytes = reader.readByte('key length');
    if (keyType === KeyType.EXTENDED_FORMAT) throw gpMalformed(`${WHAT}: basic and extended components mixed`);
    components.push({ keyType, lengthBytes });
  }
  if (components.length === 0) throw gpMalformed(`${WHAT}: a key lists at least one component`);
  return { keyIdentifier, keyVersionNumber, components };
}

function decodeExtendedEntry(value: Uint8Array, reader: FieldReader, keyIdentifier: number, keyVersionNumber: number): KeyInformation {
  const components: KeyComponentInformation[] = [];
  // Components run until what is left reads exactly as key usage and key access.
  while (components.length === 0 || !isUsageAndAccess(value.subarray(reader.position))) {
    if (components.length === KEY_COMPONENTS_MAX) throw gpLimit(`${WHAT}: more than ${KEY_COMPONENTS_MAX} components`);
    let keyType = reader.readByte('key type');
    if (keyType === KeyType.EXTENDED_FORMAT) keyType = EXTENDED_TYPE_MIN | reader.readByte('key type');
    const lengthBytes = reader.readByte('key length') * 256 + reader.readByte('key length');
    components.push({ keyType, lengthBytes });
  }
  const keyUsage = reader.readLV('key usage', 0xff);
  const keyAccess = reader.readLV('key access', 0xff);
  reader.expectEnd();
  return { keyIdentifier, keyVersionNumber, components, extended: { keyUsage, keyAccess } };
}

/** One 'C0' value; undefined for an empty one. */
export function decodeKeyInformation(value: Uint8Array): KeyInformation | undefined {
  if (value.length === 0) return undefined;
  const reader = new FieldReader(value, "key information ('C0')");
  const keyIdentifier = reader.readByte('key identifier');
  const keyVersionNumber = reader.readByte('key version number');
  if (value[2] === KeyType.EXTENDED_FORMAT) return decodeExtendedEntry(value, reader, keyIdentifier, keyVersionNumber);
  return decodeBasicEntry(reader, keyIdentifier, keyVersionNumber);
}

/** Decodes a GET DATA '00E0' response ('E0' template). Empty 'C0' entries are skipped. */
export function decodeKeyInformationTemplate(received: Uint8Array): KeyInformation[] {
  const nodes = decodeGPTLV(received, WHAT);
  const [template, extra] = nodes;
  if (template?.tag !== GPTag.KEY_INFORMATION_TEMPLATE || !template.constructed || extra !== undefined) {
    throw gpMalformed(`${WHAT}: expected one constructed 'E0' data object`);
  }
  if (template.children.length > KEY_INFORMATION_ENTRIES_MAX) throw gpLimit(`${WHAT}: more than ${KEY_INFORMATION_ENTRIES_MAX} keys`);
  const keys: KeyInformation[] = [];
  for (const child of template.children) {
    if (child.tag !== GPTag.KEY_INFORMATION_DATA) throw gpMalformed(`${WHAT}: expected 'C0' entries, received ${tagToHex(child.tag)}`);
    const key = decodeKeyInformation(primitiveValue(child, WHAT));
    if (key !== undefined) keys.push(key);
  }
  return keys;
}
