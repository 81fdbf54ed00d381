import { concatBytes, fromHex, utf8 } from '../../../src/lib/bytes.js';
import { constructedNode, encodeTLV, primitiveNode, type TLVNode } from '../../../src/lib/tlv/index.js';

/**
 * A PKCS#10 request (RFC 2986 §4) built around the Crypto SE: the device makes the
 * CertificationRequestInfo, the card signs it (SIGN [certification request]), and the request is
 * assembled from the two. DER from the platform's BER-TLV encoder, which writes minimal lengths.
 */
const OID_COMMON_NAME = fromHex('550403');
const OID_EC_PUBLIC_KEY = fromHex('2A8648CE3D0201');
const OID_PRIME256V1 = fromHex('2A8648CE3D030107');
const OID_CHALLENGE_PASSWORD = fromHex('2A864886F70D010907');
const OID_ECDSA_WITH_SHA256 = fromHex('2A8648CE3D040302');

const sequence = (children: readonly TLVNode[]): TLVNode => constructedNode(0x30, children);
const set = (children: readonly TLVNode[]): TLVNode => constructedNode(0x31, children);

export function certificationRequestInfo(commonName: string, devicePoint: Uint8Array, challengePassword: string): TLVNode {
  return sequence([
    primitiveNode(0x02, Uint8Array.of(0)),
    sequence([set([sequence([primitiveNode(0x06, OID_COMMON_NAME), primitiveNode(0x0c, utf8(commonName))])])]),
    sequence([sequence([primitiveNode(0x06, OID_EC_PUBLIC_KEY), primitiveNode(0x06, OID_PRIME256V1)]), primitiveNode(0x03, concatBytes(Uint8Array.of(0), devicePoint))]),
    constructedNode(0xa0, [sequence([primitiveNode(0x06, OID_CHALLENGE_PASSWORD), set([primitiveNode(0x13, utf8(challengePassword))])])]),
  ]);
}

export function certificationRequest(info: TLVNode, derSignature: Uint8Array): Uint8Array {
  return encodeTLV([sequence([info, sequence([primitiveNode(0x06, OID_ECDSA_WITH_SHA256)]), primitiveNode(0x03, concatBytes(Uint8Array.of(0), derSignature))])]);
}
