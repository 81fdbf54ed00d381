import { concatBytes, utf8 } from '../../lib/bytes.js';
import { importECP256PublicKey, signECDSAP256 } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { callerOf, requireGranted } from './acl.js';
import { isBCD, unpackDigits } from './bcd.js';
import { ACL_OPERATION, CRYPTO_SE_TAG, ECIES_PAYMENT_INFO, PAYMENT_CVM, UNPREDICTABLE_NUMBER_BYTES, VERIFICATION_METHOD } from './constants.js';
import { encodeCredential, isCredentialSlot, requireUsableCredential, type PaymentCredential } from './credentials.js';
import { sealECIES } from './ecies.js';
import { requireDeviceKey } from './keys.js';
import { decodeCommandTLV, notAllowed, onlyTags, refuse, requiredValue } from './refusal.js';
import { encodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * AUTHORIZE PAYMENT (seed 000 [0064]-[0069]): after a user verification, the Crypto SE builds the
 * secure payment message — the credential encrypted to the payment recipient (ECIES, ecies.ts),
 * the amount, the terminal's unpredictable number, the card's transaction counter and clock — and
 * signs it with the device key. README.md "AUTHORIZE PAYMENT" gives the layout.
 */

const AMOUNT_BYTES = 6;
const CURRENCY_BYTES = 2;
const TRANSACTION_COUNTER_MAX = 0xffff_ffff_ffff_ffffn;

/** Which verification methods each CVM requirement (P1) needs (AUTHORIZE PAYMENT and GENERATE AC). */
export const REQUIRED_METHODS: ReadonlyMap<number, (methods: number) => boolean> = new Map([
  [PAYMENT_CVM.either, (methods: number) => methods !== 0],
  [PAYMENT_CVM.pin, (methods: number) => (methods & VERIFICATION_METHOD.pin) !== 0],
  [PAYMENT_CVM.biometric, (methods: number) => (methods & VERIFICATION_METHOD.biometric) !== 0],
  [PAYMENT_CVM.pinAndBiometric, (methods: number) => (methods & VERIFICATION_METHOD.pin) !== 0 && (methods & VERIFICATION_METHOD.biometric) !== 0],
]);

function requireNumeric(value: Uint8Array, length: number, name: string): Uint8Array {
  if (value.length !== length || !isBCD(value)) refuse(StatusWord.incorrectData, `${name} is ${length} BCD bytes`);
  return value.slice();
}

/** YYMMDD of the card clock, as BCD digits in a string, to compare with '5F24'. */
function cardDate(nowMs: number): string {
  const date = new Date(nowMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

function expiryDigits(credential: PaymentCredential): string {
  return unpackDigits(credential.expiry);
}

export function authorizePayment(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  const isMet = REQUIRED_METHODS.get(command.p1);
  if (isMet === undefined || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.caller, CRYPTO_SE_TAG.credentialSlot, CRYPTO_SE_TAG.amountAuthorized, CRYPTO_SE_TAG.currencyCode, CRYPTO_SE_TAG.unpredictableNumber]);
  requireGranted(store, callerOf(nodes), ACL_OPERATION.authorizePayment);
  const slotField = requiredValue(nodes, CRYPTO_SE_TAG.credentialSlot);
  const slot = slotField[0] ?? 0;
  if (slotField.length !== 1 || !isCredentialSlot(slot)) return { sw: StatusWord.incorrectData };
  const amount = requireNumeric(requiredValue(nodes, CRYPTO_SE_TAG.amountAuthorized), AMOUNT_BYTES, 'amount');
  const currency = requireNumeric(requiredValue(nodes, CRYPTO_SE_TAG.currencyCode), CURRENCY_BYTES, 'currency');
  const unpredictableNumber = requiredValue(nodes, CRYPTO_SE_TAG.unpredictableNumber).slice();
  if (unpredictableNumber.length !== UNPREDICTABLE_NUMBER_BYTES) return { sw: StatusWord.incorrectData };

  const credential = requireUsableCredential(store, slot);
  const now = store.now();
  if (expiryDigits(credential) < cardDate(now)) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const recipientPoint = store.get(STORE.paymentRecipientPublicKey);
  if (recipientPoint === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const device = requireDeviceKey(store);
  if (!isMet(store.verifiedMethods())) return notAllowed('the payment needs a user verification');
  store.consumeVerification();
  const transactionCounter = store.counter(STORE.transactionCounter) + 1n;
  if (transactionCounter > TRANSACTION_COUNTER_MAX) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  store.setCounter(STORE.transactionCounter, transactionCounter);

  const counterBytes = encodeCounter(transactionCounter);
  const timeBytes = encodeCounter(BigInt(now));
  const additionalData = paymentAdditionalData(counterBytes, timeBytes, amount, currency, unpredictableNumber);
  const encryptedCredential = sealECIES(importECP256PublicKey(recipientPoint), encodeCredential(credential, false), ECIES_PAYMENT_INFO, additionalData, store.random);
  const record = encodeTLV([constructedNode(CRYPTO_SE_TAG.paymentRecord, [
    primitiveNode(CRYPTO_SE_TAG.amountAuthorized, amount),
    primitiveNode(CRYPTO_SE_TAG.currencyCode, currency),
    primitiveNode(CRYPTO_SE_TAG.unpredictableNumber, unpredictableNumber),
    primitiveNode(CRYPTO_SE_TAG.credentialSlot, Uint8Array.of(slot)),
    primitiveNode(CRYPTO_SE_TAG.transactionCounter, counterBytes),
    primitiveNode(CRYPTO_SE_TAG.cardTime, timeBytes),
    primitiveNode(CRYPTO_SE_TAG.panLastFour, utf8(credential.pan.slice(-4))),
    primitiveNode(CRYPTO_SE_TAG.encryptedCredential, encryptedCredential),
  ])]);
  const signature = signECDSAP256(device.privateKey, record, 'der');
  return { data: concatBytes(record, encodeTLV([primitiveNode(CRYPTO_SE_TAG.signature, signature)])), sw: StatusWord.noError };
}

/** The ECIES additional data of a payment's encrypted credential: counter ‖ time ‖ amount ‖ currency ‖ UN. */
export function paymentAdditionalData(counter: Uint8Array, time: Uint8Array, amount: Uint8Array, currency: Uint8Array, unpredictableNumber: Uint8Array): Uint8Array {
  return concatBytes(counter, time, amount, currency, unpredictableNumber);
}
