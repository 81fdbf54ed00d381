import { bytesEqual, concatBytes } from '../bytes.js';
import { constructedNode, encodeTLV, primitiveNode } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GetDataTag, GPTag } from './constants.js';
import { decodeGPTLV, isByte, primitiveValue, requireBytes } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { SECURE_CHANNEL_PROTOCOLS_MAX } from './limits.js';
import { decodeObjectIdentifier, encodeObjectIdentifier, objectIdentifierFromString, objectIdentifierToString } from './objectIdentifier.js';

/**
 * Card Recognition Data (GP 2.3 Annex H; GET DATA '66' answers it inside Card Data, and an
 * ISD's SELECT response carries the '73' template too):
 *
 *   66 L 73 L
 *     06 L {globalPlatform 1}                      1.2.840.114283.1, Card Recognition Data
 *     60 L 06 L {globalPlatform 2 v1 v2 [v3]}      card management type and version: "2.3.1"
 *     63 L 06 L {globalPlatform 3}                 card identification scheme
 *     64 L 06 L {globalPlatform 4 scp i}           a secure channel protocol of the ISD, repeated
 *     65 L …                                       card configuration details (kept as bytes)
 *     66 L …                                       card / chip details (kept as bytes)
 *
 * The SCP entries are read as bytes, not as OID arcs: real cards write the SCP and 'i' bytes
 * as they are, so SCP80 with i '00' comes out as '80 00', which is not a valid OID arc (see the
 * GlobalPlatformPro and kaoh/globalplatform vectors in test/fixtures/gp). Both readings agree on
 * every value below '80', which covers SCP02 and SCP03.
 */

export interface SecureChannelProtocolInformation {
  /** '02', '03', '80', … */
  readonly protocol: number;
  /** The bytes after the protocol: the 'i' parameter, one byte on every card seen ('70' for SCP03 i=70). */
  readonly implementation: Uint8Array;
}

export interface CardRecognitionData {
  /** GlobalPlatform version from '60', "2.1.1", "2.2.3", "2.3.1". */
  readonly gpVersion: string;
  /** Dotted OID from '63'; absent when the card sends none. */
  readonly cardIdentificationScheme?: string;
  readonly secureChannelProtocols: readonly SecureChannelProtocolInformation[];
  /** Contents of '65'. */
  readonly cardConfigurationDetails?: Uint8Array;
  /** Contents of '66' inside '73'. */
  readonly cardChipDetails?: Uint8Array;
}

const WHAT = "Card Recognition Data ('73')";
/** {iso(1) member-body(2) us(840) globalPlatform(114283)} */
const GLOBAL_PLATFORM_ARCS: readonly number[] = [1, 2, 840, 114283];
const RECOGNITION_DATA_ARC = 1;
const MANAGEMENT_VERSION_ARC = 2;
const SCP_ARC = 4;
const SCP_PREFIX = encodeObjectIdentifier([...GLOBAL_PLATFORM_ARCS, SCP_ARC]);

function oidNode(arcs: readonly number[]): TLVNode {
  return primitiveNode(GPTag.OBJECT_IDENTIFIER, encodeObjectIdentifier(arcs));
}

function versionArcs(version: string): number[] {
  if (!/^\d{1,3}(\.\d{1,3}){1,3}$/.test(version)) throw gpMalformed(`${WHAT}: expected a version such as 2.3.1, received ${version}`);
  return version.split('.').map(Number);
}

function scpNode(scp: SecureChannelProtocolInformation): TLVNode {
  if (!isByte(scp.protocol)) throw gpMalformed(`${WHAT}: an SCP identifier is one byte`);
  const implementation = requireBytes(scp.implementation, 'SCP implementation');
  if (implementation.length === 0 || implementation.length > 4) throw gpMalformed(`${WHAT}: an SCP 'i' parameter has 1 to 4 bytes`);
  return constructedNode(GPTag.SECURE_CHANNEL_PROTOCOL, [
    primitiveNode(GPTag.OBJECT_IDENTIFIER, concatBytes(SCP_PREFIX, Uint8Array.of(scp.protocol), implementation)),
  ]);
}

function rawConstructed(tag: number, contents: Uint8Array, name: string): TLVNode {
  return constructedNode(tag, decodeGPTLV(requireBytes(contents, name), name));
}

/** The '73' template. */
export function encodeCardRecognitionData(data: CardRecognitionData): Uint8Array {
  if (data.secureChannelProtocols.length > SECURE_CHANNEL_PROTOCOLS_MAX) throw gpLimit(`${WHAT}: at most ${SECURE_CHANNEL_PROTOCOLS_MAX} SCP entries`);
  const children: TLVNode[] = [
    oidNode([...GLOBAL_PLATFORM_ARCS, RECOGNITION_DATA_ARC]),
    constructedNode(GPTag.CARD_MANAGEMENT_TYPE_AND_VERSION, [oidNode([...GLOBAL_PLATFORM_ARCS, MANAGEMENT_VERSION_ARC, ...versionArcs(data.gpVersion)])]),
  ];
  if (data.cardIdentificationScheme !== undefined) {
    children.push(constructedNode(GPTag.CARD_IDENTIFICATION_SCHEME, [oidNode(objectIdentifierFromString(data.cardIdentificationScheme))]));
  }
  children.push(...data.secureChannelProtocols.map(scpNode));
  if (data.cardConfigurationDetails !== undefined) {
    children.push(rawConstructed(GPTag.CARD_CONFIGURATION_DETAILS, data.cardConfigurationDetails, 'card configuration details'));
  }
  if (data.cardChipDetails !== undefined) children.push(rawConstructed(GPTag.CARD_CHIP_DETAILS, data.cardChipDetails, 'card chip details'));
  return encodeTLV([constructedNode(GPTag.CARD_RECOGNITION_DATA, children)]);
}

/** The GET DATA '66' response: Card Data wrapping the '73' template. */
export function encodeCardData(data: CardRecognitionData): Uint8Array {
  return encodeTLV([constructedNode(GetDataTag.cardData, decodeGPTLV(encodeCardRecognitionData(data), WHAT))]);
}

/** The single OID inside a '60'/'63'/'64' wrapper. */
function wrappedOID(node: TLVNode, name: string): Uint8Array {
  const [oid, extra] = node.constructed ? node.children : [];
  if (oid?.tag !== GPTag.OBJECT_IDENTIFIER || extra !== undefined) throw gpMalformed(`${WHAT}: ${name} must hold exactly one '06'`);
  return primitiveValue(oid, WHAT);
}

function startsWithArcs(arcs: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((arc, index) => arcs[index] === arc);
}

function decodeVersion(node: TLVNode): string {
  const arcs = decodeObjectIdentifier(wrappedOID(node, "card management type and version ('60')"));
  const prefix = [...GLOBAL_PLATFORM_ARCS, MANAGEMENT_VERSION_ARC];
  if (!startsWithArcs(arcs, prefix) || arcs.length === prefix.length) throw gpMalformed(`${WHAT}: '60' is not {globalPlatform 2 version}`);
  return arcs.slice(prefix.length).join('.');
}

function decodeSCP(node: TLVNode): SecureChannelProtocolInformation {
  const oid = wrappedOID(node, "secure channel protocol ('64')");
  const rest = oid.subarray(SCP_PREFIX.length);
  const protocol = rest[0];
  if (!bytesEqual(oid.subarray(0, SCP_PREFIX.length), SCP_PREFIX) || protocol === undefined || rest.length < 2 || rest.length > 5) {
    throw gpMalformed(`${WHAT}: '64' is not {globalPlatform 4 scp i}`);
  }
  return { protocol, implementation: rest.subarray(1) };
}

/** Decodes the '73' template (from GET DATA '66' after unwrapping, or from an ISD's FCI). */
export function decodeCardRecognitionData(received: Uint8Array): CardRecognitionData {
  const [template, extra] = decodeGPTLV(received, WHAT);
  if (template?.tag !== GPTag.CARD_RECOGNITION_DATA || !template.constructed || extra !== undefined) {
    throw gpMalformed(`${WHAT}: expected one constructed '73' data object`);
  }
  let recognized = false;
  let gpVersion: string | undefined;
  let cardIdentificationScheme: string | undefined;
  let cardConfigurationDetails: Uint8Array | undefined;
  let cardChipDetails: Uint8Array | undefined;
  const secureChannelProtocols: SecureChannelProtocolInformation[] = [];
  const once = (present: unknown, name: string): void => {
    if (present !== undefined) throw gpMalformed(`${WHAT}: ${name} appears twice`);
  };
  for (const child of template.children) {
    if (child.tag === GPTag.OBJECT_IDENTIFIER) {
      const arcs = decodeObjectIdentifier(primitiveValue(child, WHAT));
      recognized = objectIdentifierToString(arcs) === objectIdentifierToString([...GLOBAL_PLATFORM_ARCS, RECOGNITION_DATA_ARC]);
    } else if (child.tag === GPTag.CARD_MANAGEMENT_TYPE_AND_VERSION) {
      once(gpVersion, "'60'");
      gpVersion = decodeVersion(child);
    } else if (child.tag === GPTag.CARD_IDENTIFICATION_SCHEME) {
      once(cardIdentificationScheme, "'63'");
      cardIdentificationScheme = objectIdentifierToString(decodeObjectIdentifier(wrappedOID(child, "'63'")));
    } else if (child.tag === GPTag.SECURE_CHANNEL_PROTOCOL) {
      if (secureChannelProtocols.length === SECURE_CHANNEL_PROTOCOLS_MAX) throw gpLimit(`${WHAT}: too many SCP entries`);
      secureChannelProtocols.push(decodeSCP(child));
    } else if (child.tag === GPTag.CARD_CONFIGURATION_DETAILS) {
      once(cardConfigurationDetails, "'65'");
      cardConfigurationDetails = child.value;
    } else if (child.tag === GPTag.CARD_CHIP_DETAILS) {
      once(cardChipDetails, "'66'");
      cardChipDetails = child.value;
    }
  }
  if (!recognized) throw gpMalformed(`${WHAT}: the Card Recognition Data OID 1.2.840.114283.1 is missing`);
  if (gpVersion === undefined) throw gpMalformed(`${WHAT}: '60' (card management type and version) is missing`);
  return {
    gpVersion,
    ...(cardIdentificationScheme === undefined ? {} : { cardIdentificationScheme }),
    secureChannelProtocols,
    ...(cardConfigurationDetails === undefined ? {} : { cardConfigurationDetails }),
    ...(cardChipDetails === undefined ? {} : { cardChipDetails }),
  };
}

/** Decodes the GET DATA '66' response: Card Data holding the '73' template. */
export function decodeCardData(received: Uint8Array): CardRecognitionData {
  const [cardData, extra] = decodeGPTLV(received, "Card Data ('66')");
  if (cardData?.tag !== GetDataTag.cardData || !cardData.constructed || extra !== undefined) {
    throw gpMalformed("Card Data ('66'): expected one constructed '66' data object");
  }
  return decodeCardRecognitionData(cardData.value);
}
