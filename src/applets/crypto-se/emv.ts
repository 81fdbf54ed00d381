import { concatBytes } from '../../lib/bytes.js';
import { computeARQC, deriveSessionKey } from '../../lib/emv/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { encodeTLV, primitiveNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { callerOf, requireGranted } from './acl.js';
import { packDigits } from './bcd.js';
import { ACL_OPERATION, CRYPTO_SE_TAG, VERIFICATION_METHOD } from './constants.js';
import { REQUIRED_METHODS } from './payment.js';
import { makePaymentAttestation } from './paymentAttestation.js';
import { encodePANField, ICC_MASTER_KEY_BYTES, isCredentialSlot, requireUsableCredential, type EMVKeys } from './credentials.js';
import { decodeCommandTLV, notAllowed, onlyTags, refuse, requiredValue } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';

/**
 * The EMV side of the Crypto SE (README.md "EMV card engine"): the payment application on the App
 * SE holds no key and no card number, so it asks for them here through PERFORM CARD APDU.
 *
 * - READ PAYMENT DATA gives the App SE the card data of one transaction (PAN, expiry, PSN), only
 *   while a user verification of this session stands (it does not use it up).
 * - GENERATE AC computes the application cryptogram with the credential's ICC master key for
 *   application cryptograms (MK-AC): EMV common session key on the ATC, ISO/IEC 9797-1 MAC
 *   algorithm 3 with padding method 2 over CDOL1 data ‖ AIP ‖ ATC ‖ IAD (the Visa CVN 18 layout).
 *   It uses the user verification up and counts the ATC first, and leaves a signed payment
 *   attestation for the host (paymentAttestation.ts).
 */

export const ATC_MAX = 0xffff;
/** Cryptogram version number in the issuer application data: 0x12 (18), the Visa CVN 18 layout. */
export const CRYPTOGRAM_VERSION_NUMBER = 0x12;
export const DERIVATION_KEY_INDEX = 0x01;
/** CDOL1 data the Crypto SE accepts at most (the App SE's personalization allows the same). */
export const CDOL1_DATA_BYTES_MAX = 128;

/** Cryptogram information data / requested type (EMV Book 3 §6.5.5.4). */
const CID = { aac: 0x00, arqc: 0x80 } as const;

function requireEMVKeys(store: CryptoSEStore, slot: number): EMVKeys {
  const sealed = store.getSealed(STORE.emvKeys(slot));
  if (sealed?.length !== ICC_MASTER_KEY_BYTES + 1) return refuse(StatusWord.conditionsOfUseNotSatisfied, 'this credential has no EMV keys');
  return { iccMasterKey: sealed.subarray(0, ICC_MASTER_KEY_BYTES), panSequenceNumber: sealed[ICC_MASTER_KEY_BYTES] ?? 0 };
}

/** PAN sequence number as '5F34' (n2: one BCD byte). */
function panSequenceField(value: number): Uint8Array {
  return packDigits(String(value).padStart(2, '0'));
}

/** READ PAYMENT DATA (P1 = credential slot): '5A' PAN, '5F24' expiry, '5F34' PSN for one transaction. */
export function readPaymentData(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (!isCredentialSlot(command.p1) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.caller]);
  requireGranted(store, callerOf(nodes), ACL_OPERATION.authorizePayment);
  const credential = requireUsableCredential(store, command.p1);
  const keys = requireEMVKeys(store, command.p1);
  if (store.verifiedMethods() === 0) return notAllowed('card data needs a user verification first');
  const data = encodeTLV([
    primitiveNode(CRYPTO_SE_TAG.pan, encodePANField(credential.pan)),
    primitiveNode(CRYPTO_SE_TAG.expiry, credential.expiry),
    primitiveNode(CRYPTO_SE_TAG.panSequenceNumber, panSequenceField(keys.panSequenceNumber)),
  ]);
  return { data, sw: StatusWord.noError };
}

/** Card verification results, 4 bytes in the IAD (README.md "EMV card engine"). */
function cardVerificationResults(cid: number, methods: number): Uint8Array {
  return Uint8Array.of(0x03, cid === CID.arqc ? 0x80 : 0x00, methods & (VERIFICATION_METHOD.pin | VERIFICATION_METHOD.biometric), 0x00);
}

/** GENERATE AC (P1 = CVM requirement): the application cryptogram over the reader's CDOL1 data. */
export function generateApplicationCryptogram(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  const isMet = REQUIRED_METHODS.get(command.p1);
  if (isMet === undefined || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.caller, CRYPTO_SE_TAG.credentialSlot, CRYPTO_SE_TAG.cryptogramData, CRYPTO_SE_TAG.cryptogramType, CRYPTO_SE_TAG.applicationInterchangeProfile]);
  requireGranted(store, callerOf(nodes), ACL_OPERATION.authorizePayment);
  const slotField = requiredValue(nodes, CRYPTO_SE_TAG.credentialSlot);
  const slot = slotField[0] ?? 0;
  if (slotField.length !== 1 || !isCredentialSlot(slot)) return { sw: StatusWord.incorrectData };
  const cdolData = requiredValue(nodes, CRYPTO_SE_TAG.cryptogramData);
  if (cdolData.length === 0 || cdolData.length > CDOL1_DATA_BYTES_MAX) return { sw: StatusWord.incorrectData };
  const requested = requiredValue(nodes, CRYPTO_SE_TAG.cryptogramType);
  if (requested.length !== 1 || (requested[0] !== CID.aac && requested[0] !== CID.arqc)) return { sw: StatusWord.incorrectData };
  const aip = requiredValue(nodes, CRYPTO_SE_TAG.applicationInterchangeProfile);
  if (aip.length !== 2) return { sw: StatusWord.incorrectData };

  const credential = requireUsableCredential(store, slot);
  const keys = requireEMVKeys(store, slot);
  const methods = store.verifiedMethods();
  if (!isMet(methods)) return notAllowed('the cryptogram needs the user verification the application asks for');
  // Count first: a torn or refused command past this point can never reuse the ATC.
  const atc = (store.get(STORE.emvATC(slot)) ?? Uint8Array.of(0, 0)).reduce((value, byte) => value * 256 + byte, 0) + 1;
  if (atc > ATC_MAX) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const atcBytes = Uint8Array.of(atc >> 8, atc & 0xff);
  store.set(STORE.emvATC(slot), atcBytes);
  store.consumeVerification();

  const cid = requested[0] ?? CID.aac;
  const issuerApplicationData = concatBytes(Uint8Array.of(0x06, DERIVATION_KEY_INDEX, CRYPTOGRAM_VERSION_NUMBER), cardVerificationResults(cid, methods));
  const sessionKey = deriveSessionKey({ iccMasterKey: keys.iccMasterKey, atc: atcBytes, method: 'emv-csk' });
  const cryptogram = computeARQC({ sessionKey, data: concatBytes(cdolData, aip, atcBytes, issuerApplicationData) });
  // The fraud feed (seed 000 [0090]): made under this command's verification, read once by the host.
  makePaymentAttestation(store, { lastFour: credential.pan.slice(-4), atc, cryptogram });
  const data = encodeTLV([
    primitiveNode(0x9f27, Uint8Array.of(cid)),
    primitiveNode(0x9f36, atcBytes),
    primitiveNode(0x9f26, cryptogram),
    primitiveNode(0x9f10, issuerApplicationData),
  ]);
  return { data, sw: StatusWord.noError };
}
