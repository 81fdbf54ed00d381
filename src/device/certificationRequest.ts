import { concatBytes, fromHex, utf8 } from '../lib/bytes.js';
import { constructedNode, encodeTLV, primitiveNode, type TLVNode } from '../lib/tlv/index.js';

/**
 * A PKCS#10 request (RFC 2986 §4) built around the Crypto SE: the host assembles the
 * CertificationRequestInfo (public facts: a name, the card's public key, the card's registration
 * counter as challengePassword), the card signs it with SIGN [certification request], and the
 * request is the two put together. DER from the platform's BER-TLV encoder (minimal lengths).
 */
const OID_COMMON_NAME = fromHex('550403');
const OID_EC_PUBLIC_KEY = fromHex('2A8648CE3D0201');
const OID_PRIME256V1 = fromHex('2A8648CE3D030107');
const OID_CHALLENGE_PASSWORD = fromHex('2A864886F70D010907');
const OID_ECDSA_WITH_SHA256 = fromHex('2A8648CE3D040302');
const TAG_PRINTABLE_STRING = 0x13;
const TAG_UTF8_STRING = 0x0c;

const sequence = (children: readonly TLVNode[]): TLVNode => constructedNode(0x30, children);
const set = (children: readonly TLVNode[]): TLVNode => constructedNode(0x31, children);

/** The CertificationRequestInfo, DER-encoded: what SIGN [certification request] signs. */
export function encodeCertificationRequestInfo(commonName: string, devicePoint: Uint8Array, challengePassword: string): Uint8Array {
  return encodeTLV([sequence([
    primitiveNode(0x02, Uint8Array.of(0)),
    sequence([set([sequence([primitiveNode(0x06, OID_COMMON_NAME), primitiveNode(TAG_UTF8_STRING, utf8(commonName))])])]),
    sequence([sequence([primitiveNode(0x06, OID_EC_PUBLIC_KEY), primitiveNode(0x06, OID_PRIME256V1)]), primitiveNode(0x03, concatBytes(Uint8Array.of(0), devicePoint))]),
    constructedNode(0xa0, [sequence([primitiveNode(0x06, OID_CHALLENGE_PASSWORD), set([primitiveNode(TAG_PRINTABLE_STRING, utf8(challengePassword))])])]),
  ])]);
}

/** The CertificationRequest: info, ecdsa-with-SHA256, the card's DER signature as a BIT STRING. */
export function encodeCertificationRequest(encodedInfo: Uint8Array, derSignature: Uint8Array): Uint8Array {
  const algorithm = encodeTLV([sequence([primitiveNode(0x06, OID_ECDSA_WITH_SHA256)])]);
  const signature = encodeTLV([primitiveNode(0x03, concatBytes(Uint8Array.of(0), derSignature))]);
  const body = concatBytes(encodedInfo, algorithm, signature);
  return concatBytes(encodeLength(0x30, body.length), body);
}

/** Tag and DER length (X.690 §8.1.3) of a constructed value whose bytes are already encoded. */
function encodeLength(tag: number, length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(tag, length);
  if (length < 0x100) return Uint8Array.of(tag, 0x81, length);
  return Uint8Array.of(tag, 0x82, length >> 8, length & 0xff);
}
