import { toHex } from '../../lib/bytes.js';
import { decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { tsmError, TsmErrorCode } from '../errors.js';

/** Largest certification request the device endpoint reads (a P-256 request is about 300 bytes). */
export const CERTIFICATION_REQUEST_BYTES_MAX = 2048;
/** A request's structure is shallow: request → info → attributes → attribute → set → value. */
const REQUEST_DEPTH_MAX = 8;

const OID_CHALLENGE_PASSWORD = '2A864886F70D010907';
const OID_EC_PUBLIC_KEY = '2A8648CE3D0201';
const OID_PRIME256V1 = '2A8648CE3D030107';
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OID = 0x06;
const TAG_BIT_STRING = 0x03;
const TAG_ATTRIBUTES = 0xa0;
const PRINTABLE_OR_UTF8 = new Set([0x13, 0x0c]);
const REGISTRATION_COUNTER_PATTERN = /^[0-9A-F]{16}$/;

/** What the TSM reads from a device's PKCS#10 request before the CA verifies it (RFC 2986 §4.1). */
export interface CertificationRequestFacts {
  /** The subject key as an uncompressed P-256 point, upper-case hex. */
  readonly publicKeyHex: string;
  /** The Crypto SE's registration counter from the challengePassword attribute (16 hex digits). */
  readonly registrationCounter: string;
}

function refuse(message: string): Error {
  return tsmError(TsmErrorCode.invalid, message);
}

function childrenOf(node: TLVNode | undefined, tag: number, what: string): readonly TLVNode[] {
  if (node?.tag !== tag || !node.constructed) throw refuse(`expected ${what} in the certification request`);
  return node.children;
}

function publicKeyOf(info: readonly TLVNode[]): string {
  const spki = childrenOf(info[2], TAG_SEQUENCE, 'a subjectPublicKeyInfo');
  const algorithm = childrenOf(spki[0], TAG_SEQUENCE, 'a key algorithm');
  const [kind, curve] = algorithm;
  if (kind?.tag !== TAG_OID || toHex(kind.value) !== OID_EC_PUBLIC_KEY || curve?.tag !== TAG_OID || toHex(curve.value) !== OID_PRIME256V1) {
    throw refuse('expected a P-256 public key in the certification request');
  }
  const bits = spki[1];
  if (bits?.tag !== TAG_BIT_STRING || bits.constructed || bits.value.length !== 66 || bits.value[0] !== 0 || bits.value[1] !== 0x04) {
    throw refuse('expected an uncompressed P-256 point in the certification request');
  }
  return toHex(bits.value.subarray(1));
}

function challengePasswordOf(info: readonly TLVNode[]): string {
  const attributes = info.find((node) => node.tag === TAG_ATTRIBUTES);
  const found: string[] = [];
  for (const attribute of childrenOf(attributes, TAG_ATTRIBUTES, 'attributes')) {
    const [type, values] = childrenOf(attribute, TAG_SEQUENCE, 'an attribute');
    if (type?.tag !== TAG_OID || toHex(type.value) !== OID_CHALLENGE_PASSWORD) continue;
    for (const value of childrenOf(values, TAG_SET, 'attribute values')) {
      if (!value.constructed && PRINTABLE_OR_UTF8.has(value.tag)) found.push(new TextDecoder('utf-8', { fatal: true }).decode(value.value));
    }
  }
  const [counter] = found;
  if (found.length !== 1 || counter === undefined || !REGISTRATION_COUNTER_PATTERN.test(counter)) {
    throw refuse('expected exactly one registration counter (16 hex digits) as the challengePassword');
  }
  return counter;
}

/**
 * The subject key and the registration counter of a request, read from the DER without trusting
 * it: the signature is checked afterwards by the CA (issueCertificateFromCSR), and the key must be
 * the one the device's maker reported for its Crypto SE.
 */
export function certificationRequestFacts(der: Uint8Array): CertificationRequestFacts {
  if (der.length === 0 || der.length > CERTIFICATION_REQUEST_BYTES_MAX) throw refuse(`expected a certification request of 1-${CERTIFICATION_REQUEST_BYTES_MAX} bytes`);
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(der, { padding: 'reject', lengths: 'minimal', depthMax: REQUEST_DEPTH_MAX });
  } catch {
    throw refuse('expected a DER certification request');
  }
  if (nodes.length !== 1) throw refuse('expected exactly one certification request');
  const request = childrenOf(nodes[0], TAG_SEQUENCE, 'a CertificationRequest');
  const info = childrenOf(request[0], TAG_SEQUENCE, 'a CertificationRequestInfo');
  return { publicKeyHex: publicKeyOf(info), registrationCounter: challengePasswordOf(info) };
}
