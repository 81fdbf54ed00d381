import { encodeCommandAPDU } from '../../lib/apdu.js';
import { concatBytes, utf8 } from '../../lib/bytes.js';
import { TesseraError } from '../../lib/errors.js';
import { constructedNode, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import {
  BLOCK_LAST, BLOCKS_MAX, CERTIFICATE_BYTES_MAX, CERTIFICATE_READ_CHUNK_BYTES, CRYPTO_SE_CLA, CRYPTO_SE_INS, CRYPTO_SE_TAG, DEVICE_KEY_SLOT,
  PAYMENT_CVM, SIGN_PURPOSE, TO_BE_SIGNED_BYTES_MAX, TSM_REQUEST_DIGEST_BYTES, UNPREDICTABLE_NUMBER_BYTES,
} from './constants.js';
import { packDigits } from './bcd.js';
import { CryptoSEErrorCode } from './errors.js';

/**
 * Host-side builders of the Crypto SE's command APDUs (README.md lists each command). They check
 * what they can so that a mistake shows up as a typed error on the host instead of a status word.
 */

/** An App SE application as the ACL knows it: its AID and the id of the TSM key that signed it. */
export interface CallerIdentity {
  readonly aid: Uint8Array;
  readonly keyId: Uint8Array;
}

/** Command data per APDU the helpers aim for: under the card's 255 with room for a TLV header. */
const COMMAND_DATA_BYTES_TARGET = 240;
const AMOUNT_MINOR_MAX = 999_999_999_999;

function invalid(message: string): TesseraError {
  return new TesseraError(CryptoSEErrorCode.input, message);
}

function command(ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0), le?: number): Uint8Array {
  return encodeCommandAPDU({ cla: CRYPTO_SE_CLA, ins, p1, p2, data, ...(le === undefined ? {} : { le }) });
}

function callerNode(caller: CallerIdentity): TLVNode {
  return constructedNode(CRYPTO_SE_TAG.caller, [primitiveNode(CRYPTO_SE_TAG.callerAID, caller.aid), primitiveNode(CRYPTO_SE_TAG.callerKeyId, caller.keyId)]);
}

/** VERIFY PIN with a keypad blob; without one it asks for the PIN state (9000 / 63CX / 6983). */
export function verifyPINCommand(keypadBlob?: Uint8Array): Uint8Array {
  return command(CRYPTO_SE_INS.verifyPIN, 0x00, 0x00, keypadBlob ?? new Uint8Array(0));
}

export function verifyBiometricCommand(sensorBlob: Uint8Array): Uint8Array {
  return command(CRYPTO_SE_INS.verifyBiometric, 0x00, 0x00, sensorBlob, 1);
}

/** CHANGE PIN: the blob has '81' old + '82' new; with `initial`, only '82' (no PIN set yet). */
export function changePINCommand(keypadBlob: Uint8Array, options: { readonly initial?: boolean } = {}): Uint8Array {
  return command(CRYPTO_SE_INS.changePIN, options.initial === true ? 0x01 : 0x00, 0x00, keypadBlob);
}

export function getChallengeCommand(): Uint8Array {
  return command(CRYPTO_SE_INS.getChallenge, 0x00, 0x00, undefined, 16);
}

/** UNBLOCK PIN: the TSM's DER signature over unblockMessage(challenge), and optionally a keypad blob with '82'. */
export function unblockPINCommand(signature: Uint8Array, newPINKeypadBlob?: Uint8Array): Uint8Array {
  const nodes = [primitiveNode(CRYPTO_SE_TAG.signature, signature)];
  if (newPINKeypadBlob !== undefined) nodes.push(primitiveNode(CRYPTO_SE_TAG.keypadBlob, newPINKeypadBlob));
  return command(CRYPTO_SE_INS.unblockPIN, 0x00, 0x00, encodeTLV(nodes));
}

export function enrolFingerCommand(fingerSlot: number, firstSensorBlob: Uint8Array, secondSensorBlob: Uint8Array): Uint8Array {
  return command(CRYPTO_SE_INS.enrolFinger, fingerSlot, 0x00, encodeTLV([
    primitiveNode(CRYPTO_SE_TAG.firstSample, firstSensorBlob),
    primitiveNode(CRYPTO_SE_TAG.secondSample, secondSensorBlob),
  ]));
}

export function generateKeyCommand(): Uint8Array {
  return command(CRYPTO_SE_INS.generateKey, DEVICE_KEY_SLOT, 0x00, undefined, 256);
}

export function getPublicKeyCommand(keySlot: number = DEVICE_KEY_SLOT): Uint8Array {
  return command(CRYPTO_SE_INS.getPublicKey, keySlot, 0x00, undefined, 256);
}

export function beginRegistrationCommand(): Uint8Array {
  return command(CRYPTO_SE_INS.beginRegistration, 0x00, 0x00, undefined, 8);
}

/**
 * SIGN in as many blocks as the data needs. `purpose` 'application' needs `caller` (ACL 'sign');
 * 'certification-request' must have none. `keySlot` exists to show that other keys are refused.
 */
export function signCommands(
  purpose: 'application' | 'certification-request',
  toBeSigned: Uint8Array,
  options: { readonly caller?: CallerIdentity; readonly keySlot?: number } = {},
): Uint8Array[] {
  if (toBeSigned.length === 0 || toBeSigned.length > TO_BE_SIGNED_BYTES_MAX) throw invalid(`SIGN takes 1-${TO_BE_SIGNED_BYTES_MAX} bytes`);
  const p1 = purpose === 'application' ? SIGN_PURPOSE.application : SIGN_PURPOSE.certificationRequest;
  const firstExtras: TLVNode[] = [];
  if (options.caller !== undefined) firstExtras.push(callerNode(options.caller));
  if (options.keySlot !== undefined) firstExtras.push(primitiveNode(CRYPTO_SE_TAG.keySlot, Uint8Array.of(options.keySlot)));
  const commands: Uint8Array[] = [];
  let offset = 0;
  for (let block = 0; offset < toBeSigned.length; block++) {
    if (block >= BLOCKS_MAX) throw invalid('too many SIGN blocks');
    const extras = block === 0 ? encodeTLV(firstExtras) : new Uint8Array(0);
    // Three bytes for the 'C1' tag and a two-byte length ('81 LL').
    const room = COMMAND_DATA_BYTES_TARGET - extras.length - 3;
    const part = toBeSigned.subarray(offset, offset + room);
    offset += part.length;
    const last = offset >= toBeSigned.length;
    commands.push(command(CRYPTO_SE_INS.sign, p1, block | (last ? BLOCK_LAST : 0), concatBytes(extras, encodeTLV([primitiveNode(CRYPTO_SE_TAG.toBeSigned, part)])), last ? 256 : undefined));
  }
  return commands;
}

/** STORE CERTIFICATE (slot 01-07) in blocks. */
export function storeCertificateCommands(slot: number, der: Uint8Array): Uint8Array[] {
  if (der.length === 0 || der.length > CERTIFICATE_BYTES_MAX) throw invalid(`a certificate is 1-${CERTIFICATE_BYTES_MAX} bytes`);
  const commands: Uint8Array[] = [];
  for (let offset = 0, block = 0; offset < der.length; offset += COMMAND_DATA_BYTES_TARGET, block++) {
    const last = offset + COMMAND_DATA_BYTES_TARGET >= der.length;
    commands.push(command(CRYPTO_SE_INS.storeCertificate, slot, block | (last ? BLOCK_LAST : 0), der.subarray(offset, offset + COMMAND_DATA_BYTES_TARGET)));
  }
  return commands;
}

export function readCertificateCommand(slot: number, offset: number): Uint8Array {
  return command(CRYPTO_SE_INS.readCertificate, slot, 0x00, Uint8Array.of(offset >> 8, offset & 0xff), CERTIFICATE_READ_CHUNK_BYTES);
}

/** Reads a whole certificate over `transmit` (one APDU in, one response APDU out); undefined if the slot is empty. */
export function readCertificate(transmit: (apdu: Uint8Array) => Uint8Array, slot: number): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset <= CERTIFICATE_BYTES_MAX;) {
    const response = transmit(readCertificateCommand(slot, offset));
    const sw = ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
    if (sw === 0x6a88) return undefined;
    if (sw !== 0x9000) throw new TesseraError(CryptoSEErrorCode.response, `READ CERTIFICATE answered ${sw.toString(16).toUpperCase()}`);
    const chunk = response.subarray(0, response.length - 2);
    parts.push(chunk);
    offset += chunk.length;
    if (chunk.length < CERTIFICATE_READ_CHUNK_BYTES) return concatBytes(...parts);
  }
  throw new TesseraError(CryptoSEErrorCode.response, 'certificate longer than the card allows');
}

export function storeCredentialPackageCommand(credentialPackage: Uint8Array): Uint8Array {
  return command(CRYPTO_SE_INS.storeCredentialPackage, 0x00, 0x00, credentialPackage);
}

export function keyInCardNumberCommand(credentialSlot: number, keypadBlob: Uint8Array): Uint8Array {
  return command(CRYPTO_SE_INS.keyInCardNumber, credentialSlot, 0x00, keypadBlob);
}

export function readMaskedPANCommand(credentialSlot: number, caller: CallerIdentity): Uint8Array {
  return command(CRYPTO_SE_INS.readMaskedPAN, credentialSlot, 0x00, encodeTLV([callerNode(caller)]), 4);
}

export function deleteCredentialCommand(credentialSlot: number): Uint8Array {
  return command(CRYPTO_SE_INS.deleteCredential, credentialSlot, 0x00);
}

/** n12 (EMV '9F02'): an amount in minor units as 6 BCD bytes. */
export function encodeAmountField(amountMinor: number): Uint8Array {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0 || amountMinor > AMOUNT_MINOR_MAX) throw invalid('an amount is 0-999999999999 minor units');
  return packDigits(String(amountMinor).padStart(12, '0'));
}

/** n3 (EMV '5F2A'): an ISO 4217 numeric code as 2 BCD bytes, e.g. '978' → 09 78. */
export function encodeCurrencyField(currencyNumeric: string): Uint8Array {
  if (!/^[0-9]{3}$/.test(currencyNumeric)) throw invalid('an ISO 4217 numeric code is three digits');
  return packDigits(`0${currencyNumeric}`);
}


export interface AuthorizePaymentRequest {
  /** Which user verification the payment needs (debit: 'pin-and-biometric'). */
  readonly cvm: 'either' | 'pin' | 'biometric' | 'pin-and-biometric';
  readonly caller: CallerIdentity;
  readonly credentialSlot: number;
  readonly amountMinor: number;
  readonly currencyNumeric: string;
  /** From the terminal or the payment platform: 4 bytes (EMV '9F37'). */
  readonly unpredictableNumber: Uint8Array;
}

const CVM_CODES = { 'either': PAYMENT_CVM.either, 'pin': PAYMENT_CVM.pin, 'biometric': PAYMENT_CVM.biometric, 'pin-and-biometric': PAYMENT_CVM.pinAndBiometric } as const;

export function authorizePaymentCommand(request: AuthorizePaymentRequest): Uint8Array {
  if (request.unpredictableNumber.length !== UNPREDICTABLE_NUMBER_BYTES) throw invalid('an unpredictable number is 4 bytes');
  return command(CRYPTO_SE_INS.authorizePayment, CVM_CODES[request.cvm], 0x00, encodeTLV([
    callerNode(request.caller),
    primitiveNode(CRYPTO_SE_TAG.credentialSlot, Uint8Array.of(request.credentialSlot)),
    primitiveNode(CRYPTO_SE_TAG.amountAuthorized, encodeAmountField(request.amountMinor)),
    primitiveNode(CRYPTO_SE_TAG.currencyCode, encodeCurrencyField(request.currencyNumeric)),
    primitiveNode(CRYPTO_SE_TAG.unpredictableNumber, request.unpredictableNumber),
  ]), 256);
}

/** GET PAYMENT ATTESTATION: the host reads, once, the attestation the last GENERATE AC of this session made. */
export function getPaymentAttestationCommand(): Uint8Array {
  return command(CRYPTO_SE_INS.getPaymentAttestation, 0x00, 0x00, undefined, 256);
}

/** SIGN TSM REQUEST: the device key signs the label and this SHA-256 digest of a canonical TSM request (tsmRequestDigest). */
export function signTsmRequestCommand(digest: Uint8Array): Uint8Array {
  if (digest.length !== TSM_REQUEST_DIGEST_BYTES) throw invalid(`a TSM request digest is ${TSM_REQUEST_DIGEST_BYTES} bytes`);
  return command(CRYPTO_SE_INS.signTsmRequest, 0x00, 0x00, digest, 256);
}

export function getDataCommand(tag: number): Uint8Array {
  return command(CRYPTO_SE_INS.getData, tag >> 8, tag & 0xff, undefined, 256);
}

/** What the keypad seals: the fields the user typed, as ASCII digits (README.md "Keypad input"). */
export interface KeypadInput {
  readonly pin?: string;
  readonly newPIN?: string;
  readonly pan?: string;
  /** YYMM. */
  readonly expiry?: string;
  readonly cvv?: string;
}

export function encodeKeypadInput(input: KeypadInput): Uint8Array {
  const fields: [string | undefined, number][] = [
    [input.pin, CRYPTO_SE_TAG.keypadPIN],
    [input.newPIN, CRYPTO_SE_TAG.keypadNewPIN],
    [input.pan, CRYPTO_SE_TAG.keypadPAN],
    [input.expiry, CRYPTO_SE_TAG.keypadExpiry],
    [input.cvv, CRYPTO_SE_TAG.keypadCVV],
  ];
  const nodes: TLVNode[] = [];
  for (const [value, tag] of fields) if (value !== undefined) nodes.push(primitiveNode(tag, utf8(value)));
  return encodeTLV(nodes);
}
