import { concatBytes, utf8 } from '../../lib/bytes.js';
import { importECP256PublicKey, verifyECDSAP256 } from '../../lib/crypto/index.js';
import { isPlausiblePAN, PAN_DIGITS_MAX } from '../../lib/luhn.js';
import { StatusWord } from '../../lib/status-words.js';
import { encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { callerOf, requireGranted } from './acl.js';
import { isBCD, packDigits, unpackDigits } from './bcd.js';
import {
  ACL_OPERATION, COUNTER_BYTES, CREDENTIAL_ORIGIN, CREDENTIAL_PACKAGE_LABEL, CREDENTIAL_SLOT_MAX, CREDENTIAL_SLOT_MIN, CRYPTO_SE_TAG,
  CVV_DIGITS_MAX, CVV_DIGITS_MIN, ECIES_CREDENTIAL_INFO,
} from './constants.js';
import { openECIES } from './ecies.js';
import { requireDeviceKey } from './keys.js';
import { openKeypadInput } from './pin.js';
import { decodeCommandTLV, notAllowed, onlyTags, primitiveValue, refuse, requiredValue } from './refusal.js';
import { decodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * The payment credential store (seed 000 [0044], [0060]-[0062]): PAN, expiry and CVV in slots 1-4,
 * sealed at rest. A credential arrives preloaded (personalization, locked until the first finger
 * is enrolled), over the air in a TSM-signed ECIES package, or keyed in by the customer through
 * the keypad tunnel after registration. Nothing but the last four digits ever leaves the card in
 * clear; a payment carries the credential encrypted to the payment recipient (payment.ts).
 */

export interface PaymentCredential {
  /** Decimal digits, Luhn-valid, 12-19 of them. */
  readonly pan: string;
  /** EMV '5F24' n6: YYMMDD as three BCD bytes. */
  readonly expiry: Uint8Array;
  /** ASCII digits, or absent. */
  readonly cvv: string | undefined;
}

export interface CredentialInfo {
  readonly origin: number;
  readonly locked: boolean;
}

const DIGITS = /^[0-9]+$/;
const EXPIRY_BYTES = 3;
const SLOT_BYTES = 1;

export function isCredentialSlot(slot: number): boolean {
  return slot >= CREDENTIAL_SLOT_MIN && slot <= CREDENTIAL_SLOT_MAX;
}

/** EMV 'cn' (EMV 4.4 Book 3 §4.3): BCD digits left-justified, padded with one 'F' when odd. */
export function encodePANField(pan: string): Uint8Array {
  if (pan.length % 2 === 0) return packDigits(pan);
  const packed = packDigits(`${pan}0`);
  packed[packed.length - 1] = ((packed[packed.length - 1] ?? 0) & 0xf0) | 0x0f;
  return packed;
}

/** The digits of a 'cn' field; anything not digits (but one trailing F) fails requirePAN later. */
function decodePANField(field: Uint8Array): string {
  const digits = unpackDigits(field);
  return digits.endsWith('F') ? digits.slice(0, -1) : digits;
}

function requirePAN(pan: string): string {
  if (!isPlausiblePAN(pan)) refuse(StatusWord.incorrectData, 'not a Luhn-valid PAN of 12-19 digits');
  return pan;
}

/** '5F24' YYMMDD: BCD digits, month 01-12, day 01 to the month's last day. */
function requireExpiry(expiry: Uint8Array): Uint8Array {
  const digits = unpackDigits(expiry);
  const year = 2000 + Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  const day = Number(digits.slice(4, 6));
  const valid = expiry.length === EXPIRY_BYTES && DIGITS.test(digits) && month >= 1 && month <= 12 && day >= 1 && day <= lastDayOfMonth(year, month);
  if (!valid) refuse(StatusWord.incorrectData, 'an expiry date is YYMMDD in BCD');
  return expiry.slice();
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function requireCVV(cvv: Uint8Array | undefined): string | undefined {
  if (cvv === undefined) return undefined;
  const text = new TextDecoder().decode(cvv);
  if (cvv.length < CVV_DIGITS_MIN || cvv.length > CVV_DIGITS_MAX || !DIGITS.test(text)) refuse(StatusWord.incorrectData, 'a CVV is 3-4 ASCII digits');
  return text;
}

/** A credential from its TLV form ('5A' PAN, '5F24' expiry, optional 'DF20' CVV), checked. */
export function decodeCredential(nodes: readonly TLVNode[]): PaymentCredential {
  const panField = requiredValue(nodes, CRYPTO_SE_TAG.pan);
  if (panField.length > Math.ceil(PAN_DIGITS_MAX / 2)) refuse(StatusWord.incorrectData, 'PAN too long');
  return {
    pan: requirePAN(decodePANField(panField)),
    expiry: requireExpiry(requiredValue(nodes, CRYPTO_SE_TAG.expiry)),
    cvv: requireCVV(primitiveValue(nodes, CRYPTO_SE_TAG.cvv)),
  };
}

export function encodeCredential(credential: PaymentCredential, withCVV = true): Uint8Array {
  const nodes: TLVNode[] = [
    primitiveNode(CRYPTO_SE_TAG.pan, encodePANField(credential.pan)),
    primitiveNode(CRYPTO_SE_TAG.expiry, credential.expiry),
  ];
  if (withCVV && credential.cvv !== undefined) nodes.push(primitiveNode(CRYPTO_SE_TAG.cvv, utf8(credential.cvv)));
  return encodeTLV(nodes);
}

/** The EMV keys a credential may carry: 'DF21' ICC MK-AC (16 bytes) and '5F34' PAN sequence number, both or neither. */
export interface EMVKeys {
  readonly iccMasterKey: Uint8Array;
  readonly panSequenceNumber: number;
}

export const ICC_MASTER_KEY_BYTES = 16;

export function decodeEMVKeys(nodes: readonly TLVNode[]): EMVKeys | undefined {
  const iccMasterKey = primitiveValue(nodes, CRYPTO_SE_TAG.iccMasterKey);
  const sequence = primitiveValue(nodes, CRYPTO_SE_TAG.panSequenceNumber);
  if (iccMasterKey === undefined && sequence === undefined) return undefined;
  if (iccMasterKey?.length !== ICC_MASTER_KEY_BYTES || sequence?.length !== 1 || !isBCD(sequence)) {
    return refuse(StatusWord.incorrectData, 'EMV keys are DF21 (16 bytes) with 5F34 (one BCD byte)');
  }
  return { iccMasterKey: iccMasterKey.slice(), panSequenceNumber: Number(unpackDigits(sequence)) };
}

export function writeCredential(store: CryptoSEStore, slot: number, credential: PaymentCredential, info: CredentialInfo, emv?: EMVKeys): void {
  store.setSealed(STORE.credential(slot), encodeCredential(credential));
  store.set(STORE.credentialInfo(slot), Uint8Array.of(info.origin, info.locked ? 1 : 0));
  // A new credential starts its own transaction counter; one without EMV keys cannot make cryptograms.
  store.delete(STORE.emvATC(slot));
  if (emv === undefined) {
    store.delete(STORE.emvKeys(slot));
  } else {
    store.setSealed(STORE.emvKeys(slot), concatBytes(emv.iccMasterKey, Uint8Array.of(emv.panSequenceNumber)));
  }
}

export function credentialInfo(store: CryptoSEStore, slot: number): CredentialInfo | undefined {
  const info = store.get(STORE.credentialInfo(slot));
  return info === undefined ? undefined : { origin: info[0] ?? 0, locked: info[1] === 1 };
}

/** The credential of `slot`: 6A88 when empty, 6985 while still locked. */
export function requireUsableCredential(store: CryptoSEStore, slot: number): PaymentCredential {
  const info = credentialInfo(store, slot);
  const sealed = store.getSealed(STORE.credential(slot));
  if (info === undefined || sealed === undefined) refuse(StatusWord.referencedDataNotFound, 'no credential in this slot');
  if (info.locked) refuse(StatusWord.conditionsOfUseNotSatisfied, 'the preloaded credential is locked until a finger is enrolled');
  return decodeCredential(decodeCommandTLV(sealed));
}

/** Slot ‖ origin ‖ locked for each stored credential (status 'C6'): no PAN digits. */
export function credentialSummary(store: CryptoSEStore): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let slot = CREDENTIAL_SLOT_MIN; slot <= CREDENTIAL_SLOT_MAX; slot++) {
    const info = credentialInfo(store, slot);
    if (info !== undefined) parts.push(Uint8Array.of(slot, info.origin, info.locked ? 1 : 0));
  }
  return concatBytes(...parts);
}

/** Biometric enrolment unlocks the preloaded credentials (seed 000 [0057]). */
export function unlockPreloadedCredentials(store: CryptoSEStore): void {
  for (let slot = CREDENTIAL_SLOT_MIN; slot <= CREDENTIAL_SLOT_MAX; slot++) {
    const info = credentialInfo(store, slot);
    if (info?.locked === true) store.set(STORE.credentialInfo(slot), Uint8Array.of(info.origin, 0));
  }
}

/** Personalization 'E5' { 'C1' slot, '5A', '5F24', 'DF20' }: a preloaded credential. */
export function personalizePreloadedCredential(store: CryptoSEStore, children: readonly TLVNode[], locked: boolean): void {
  onlyTags(children, [
    CRYPTO_SE_TAG.credentialSlot, CRYPTO_SE_TAG.pan, CRYPTO_SE_TAG.expiry, CRYPTO_SE_TAG.cvv, CRYPTO_SE_TAG.iccMasterKey, CRYPTO_SE_TAG.panSequenceNumber,
  ]);
  const slot = requireSlotField(requiredValue(children, CRYPTO_SE_TAG.credentialSlot));
  writeCredential(store, slot, decodeCredential(children), { origin: CREDENTIAL_ORIGIN.preloaded, locked }, decodeEMVKeys(children));
}

function requireSlotField(field: Uint8Array): number {
  const slot = field[0] ?? 0;
  if (field.length !== SLOT_BYTES || !isCredentialSlot(slot)) refuse(StatusWord.incorrectData, `a credential slot is ${CREDENTIAL_SLOT_MIN}-${CREDENTIAL_SLOT_MAX}`);
  return slot;
}

/** What the TSM signs for a package: the label and the C1 C2 C3 data objects exactly as sent. */
export function credentialPackageMessage(signedPart: Uint8Array): Uint8Array {
  return concatBytes(CREDENTIAL_PACKAGE_LABEL, signedPart);
}

/** The ECIES additional data of a package: counter ‖ slot. */
export function credentialPackageAdditionalData(counter: Uint8Array, slot: number): Uint8Array {
  return concatBytes(counter, Uint8Array.of(slot));
}

/**
 * STORE CREDENTIAL PACKAGE: 'C1' counter (8) ‖ 'C2' slot (1) ‖ 'C3' ECIES blob ‖ '9E' TSM signature,
 * in this order. The signature and the counter are checked before anything is decrypted; every
 * failure of signature, counter or decryption answers 6982 and stores nothing.
 */
export function storeCredentialPackage(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const nodes = decodeCommandTLV(command.data);
  const expectedOrder = [CRYPTO_SE_TAG.packageCounter, CRYPTO_SE_TAG.packageSlot, CRYPTO_SE_TAG.packageCiphertext, CRYPTO_SE_TAG.signature];
  if (nodes.length !== expectedOrder.length || nodes.some((node, i) => node.tag !== expectedOrder[i] || node.constructed)) {
    return { sw: StatusWord.incorrectData };
  }
  const counter = requiredValue(nodes, CRYPTO_SE_TAG.packageCounter);
  const slot = requireSlotField(requiredValue(nodes, CRYPTO_SE_TAG.packageSlot));
  const ciphertext = requiredValue(nodes, CRYPTO_SE_TAG.packageCiphertext);
  const signature = requiredValue(nodes, CRYPTO_SE_TAG.signature);
  if (counter.length !== COUNTER_BYTES) return { sw: StatusWord.incorrectData };
  const tsmPoint = store.get(STORE.tsmPublicKey);
  if (tsmPoint === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const device = requireDeviceKey(store);

  const signedPart = encodeTLV(nodes.slice(0, 3));
  if (!verifyECDSAP256(importECP256PublicKey(tsmPoint), credentialPackageMessage(signedPart), signature, 'der')) {
    return notAllowed('the package is not signed by the TSM');
  }
  const receivedCounter = decodeCounter(counter);
  if (receivedCounter <= store.counter(STORE.credentialCounter)) return notAllowed('package counter replayed or old');
  let plaintext: Uint8Array;
  try {
    plaintext = openECIES(device.privateKey, device.point, ciphertext, ECIES_CREDENTIAL_INFO, credentialPackageAdditionalData(counter, slot));
  } catch {
    return notAllowed('the package does not decrypt');
  }
  const content = decodeCommandTLV(plaintext);
  const credential = decodeCredential(content);
  const emv = decodeEMVKeys(content);
  plaintext.fill(0);
  writeCredential(store, slot, credential, { origin: CREDENTIAL_ORIGIN.overTheAir, locked: false }, emv);
  store.setCounter(STORE.credentialCounter, receivedCounter);
  return { sw: StatusWord.noError };
}

/** Keypad '84' expiry YYMM (ASCII) as '5F24' YYMMDD with the month's last day. */
function keyedExpiry(received: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(received);
  const month = Number(text.slice(2, 4));
  if (received.length !== 4 || !DIGITS.test(text) || month < 1 || month > 12) refuse(StatusWord.incorrectData, 'a keyed expiry is YYMM');
  const day = lastDayOfMonth(2000 + Number(text.slice(0, 2)), month);
  return packDigits(`${text}${String(day).padStart(2, '0')}`);
}

/**
 * KEY IN CARD NUMBER (P1 = slot): after registration, the customer types a known card number on
 * the keypad: '83' PAN, '84' expiry YYMM, optional '85' CVV, all ASCII digits, in a keypad blob.
 * The PAN must pass the Luhn check (ISO/IEC 7812-1 Annex B).
 */
export function keyInCardNumber(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (!isCredentialSlot(command.p1) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (!store.has(STORE.registered)) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  if (store.has(STORE.credentialInfo(command.p1))) return { sw: StatusWord.fileAlreadyExists };
  const fields = openKeypadInput(store, command.data, [CRYPTO_SE_TAG.keypadPAN, CRYPTO_SE_TAG.keypadExpiry, CRYPTO_SE_TAG.keypadCVV]);
  const panText = new TextDecoder().decode(requiredValue(fields, CRYPTO_SE_TAG.keypadPAN));
  const credential: PaymentCredential = {
    pan: requirePAN(panText),
    expiry: keyedExpiry(requiredValue(fields, CRYPTO_SE_TAG.keypadExpiry)),
    cvv: requireCVV(primitiveValue(fields, CRYPTO_SE_TAG.keypadCVV)),
  };
  writeCredential(store, command.p1, credential, { origin: CREDENTIAL_ORIGIN.keyedIn, locked: false });
  return { sw: StatusWord.noError };
}

/** READ MASKED PAN (P1 = slot; data = caller 'E1'): the last four digits, ASCII, for ACL holders. */
export function readMaskedPAN(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (!isCredentialSlot(command.p1) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.caller]);
  requireGranted(store, callerOf(nodes), ACL_OPERATION.readMaskedPAN);
  const credential = requireUsableCredential(store, command.p1);
  return { data: utf8(credential.pan.slice(-4)), sw: StatusWord.noError };
}

/** DELETE CREDENTIAL (P1 = slot): the customer removes a card; needs a user verification, uses it. */
export function deleteCredential(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (!isCredentialSlot(command.p1) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
  store.sessionId();
  if (store.verifiedMethods() === 0) return notAllowed('deleting a credential needs a user verification');
  if (!store.has(STORE.credentialInfo(command.p1))) return { sw: StatusWord.referencedDataNotFound };
  store.consumeVerification();
  store.delete(STORE.credential(command.p1));
  store.delete(STORE.credentialInfo(command.p1));
  store.delete(STORE.emvKeys(command.p1));
  store.delete(STORE.emvATC(command.p1));
  return { sw: StatusWord.noError };
}
