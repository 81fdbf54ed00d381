import { utf8 } from '../../lib/bytes.js';
import { TesseraError } from '../../lib/errors.js';
import { constructedNode, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import { packDigits } from './bcd.js';
import { ACL_OPERATION, CRYPTO_SE_TAG, PERSONALIZATION_TAG, type ACLOperationName } from './constants.js';
import { encodePANField } from './credentials.js';
import { CryptoSEErrorCode } from './errors.js';

/**
 * Host side of personalization: the STORE DATA blocks that set up a Crypto SE (README.md
 * "Personalization"). Each block is complete BER-TLV and small enough to travel in one STORE DATA
 * under SCP03 with C-DECRYPTION and C-MAC (255 bytes less MAC and padding).
 */
export const PERSONALIZATION_BLOCK_BYTES_MAX = 224;
const CERTIFICATE_CHUNK_BYTES = 192;

/** EMV keys of a credential: the ICC master key for application cryptograms and the PAN sequence number (0-99). */
export interface CredentialEMVKeys {
  readonly iccMasterKey: Uint8Array;
  readonly panSequenceNumber: number;
}

/** 'DF21' and '5F34' for a credential that makes EMV cryptograms (README.md "EMV card engine"). */
export function emvKeyNodes(emv: CredentialEMVKeys | undefined): TLVNode[] {
  if (emv === undefined) return [];
  if (emv.iccMasterKey.length !== 16 || !Number.isInteger(emv.panSequenceNumber) || emv.panSequenceNumber < 0 || emv.panSequenceNumber > 99) {
    throw new TesseraError(CryptoSEErrorCode.input, 'EMV keys are a 16-byte ICC master key and a PAN sequence number 0-99');
  }
  return [
    primitiveNode(CRYPTO_SE_TAG.iccMasterKey, emv.iccMasterKey),
    primitiveNode(CRYPTO_SE_TAG.panSequenceNumber, packDigits(String(emv.panSequenceNumber).padStart(2, '0'))),
  ];
}

export interface CryptoSEPersonalization {
  readonly pin?: string;
  readonly pinTryLimit?: number;
  readonly biometricTryLimit?: number;
  /** The TSM key (uncompressed point) that signs unblocks, credential packages and certificates. */
  readonly tsmPublicKey?: Uint8Array;
  readonly keypadPairingKey?: Uint8Array;
  readonly sensorPairingKey?: Uint8Array;
  /** Whose key payment messages are encrypted to (uncompressed point). */
  readonly paymentRecipientPublicKey?: Uint8Array;
  /** OPTION bits; absent keeps OPTION_DEFAULTS. */
  readonly options?: number;
  readonly acl?: readonly { readonly aid: Uint8Array; readonly keyId: Uint8Array; readonly operations: readonly ACLOperationName[] }[];
  readonly preloadedKeys?: readonly { readonly slot: number; readonly scalar: Uint8Array }[];
  /** Slot 00 (root CA) and 02-07; DER. */
  readonly certificates?: readonly { readonly slot: number; readonly der: Uint8Array }[];
  readonly preloadedCredentials?: readonly { readonly slot: number; readonly pan: string; readonly expiry: string; readonly cvv?: string; readonly emv?: CredentialEMVKeys }[];
}

function optional(tag: number, value: Uint8Array | undefined): TLVNode[] {
  return value === undefined ? [] : [primitiveNode(tag, value)];
}

function certificateChunks(slot: number, der: Uint8Array): TLVNode[] {
  const nodes: TLVNode[] = [];
  for (let offset = 0; offset < der.length; offset += CERTIFICATE_CHUNK_BYTES) {
    nodes.push(constructedNode(PERSONALIZATION_TAG.certificateChunk, [
      primitiveNode(PERSONALIZATION_TAG.slot, Uint8Array.of(slot)),
      primitiveNode(PERSONALIZATION_TAG.offset, Uint8Array.of(offset >> 8, offset & 0xff)),
      primitiveNode(PERSONALIZATION_TAG.chunk, der.subarray(offset, offset + CERTIFICATE_CHUNK_BYTES)),
    ]));
  }
  return nodes;
}

function dataObjects(data: CryptoSEPersonalization): TLVNode[] {
  return [
    // Limits before the PIN: setting a limit resets the tries, setting the PIN gives the full limit.
    ...optional(PERSONALIZATION_TAG.pinTryLimit, data.pinTryLimit === undefined ? undefined : Uint8Array.of(data.pinTryLimit)),
    ...optional(PERSONALIZATION_TAG.biometricTryLimit, data.biometricTryLimit === undefined ? undefined : Uint8Array.of(data.biometricTryLimit)),
    ...optional(PERSONALIZATION_TAG.pin, data.pin === undefined ? undefined : utf8(data.pin)),
    ...optional(PERSONALIZATION_TAG.tsmPublicKey, data.tsmPublicKey),
    ...optional(PERSONALIZATION_TAG.keypadPairingKey, data.keypadPairingKey),
    ...optional(PERSONALIZATION_TAG.sensorPairingKey, data.sensorPairingKey),
    ...optional(PERSONALIZATION_TAG.paymentRecipientPublicKey, data.paymentRecipientPublicKey),
    ...optional(PERSONALIZATION_TAG.options, data.options === undefined ? undefined : Uint8Array.of(data.options)),
    ...(data.acl ?? []).map((entry) => constructedNode(PERSONALIZATION_TAG.aclEntry, [
      primitiveNode(PERSONALIZATION_TAG.aclAID, entry.aid),
      primitiveNode(PERSONALIZATION_TAG.aclKeyId, entry.keyId),
      primitiveNode(PERSONALIZATION_TAG.operations, Uint8Array.of(entry.operations.reduce((bits, name) => bits | ACL_OPERATION[name], 0))),
    ])),
    ...(data.preloadedKeys ?? []).map((key) => constructedNode(PERSONALIZATION_TAG.preloadedKey, [
      primitiveNode(PERSONALIZATION_TAG.slot, Uint8Array.of(key.slot)),
      primitiveNode(PERSONALIZATION_TAG.scalar, key.scalar),
    ])),
    ...(data.certificates ?? []).flatMap((certificate) => certificateChunks(certificate.slot, certificate.der)),
    ...(data.preloadedCredentials ?? []).map((credential) => constructedNode(PERSONALIZATION_TAG.preloadedCredential, [
      primitiveNode(CRYPTO_SE_TAG.credentialSlot, Uint8Array.of(credential.slot)),
      primitiveNode(CRYPTO_SE_TAG.pan, encodePANField(credential.pan)),
      primitiveNode(CRYPTO_SE_TAG.expiry, packDigits(credential.expiry)),
      ...optional(CRYPTO_SE_TAG.cvv, credential.cvv === undefined ? undefined : utf8(credential.cvv)),
      ...emvKeyNodes(credential.emv),
    ])),
  ];
}

/** The STORE DATA blocks, in order; data objects are packed greedily, never split across blocks. */
export function encodePersonalization(data: CryptoSEPersonalization): Uint8Array[] {
  if (data.pin !== undefined && !/^[0-9]{4,12}$/.test(data.pin)) throw new TesseraError(CryptoSEErrorCode.input, 'a PIN is 4-12 digits');
  if (data.preloadedCredentials?.some((credential) => !/^[0-9]{6}$/.test(credential.expiry)) === true) {
    throw new TesseraError(CryptoSEErrorCode.input, 'a preloaded credential expiry is YYMMDD');
  }
  const blocks: Uint8Array[] = [];
  let current: TLVNode[] = [];
  let currentBytes = 0;
  for (const node of dataObjects(data)) {
    const size = encodeTLV([node]).length;
    if (size > PERSONALIZATION_BLOCK_BYTES_MAX) throw new TesseraError(CryptoSEErrorCode.input, 'a personalization data object does not fit a STORE DATA block');
    if (currentBytes + size > PERSONALIZATION_BLOCK_BYTES_MAX) {
      blocks.push(encodeTLV(current));
      current = [];
      currentBytes = 0;
    }
    current.push(node);
    currentBytes += size;
  }
  if (current.length > 0) blocks.push(encodeTLV(current));
  return blocks;
}
