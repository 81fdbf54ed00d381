import { concatBytes, constantTimeEqual } from '../../lib/bytes.js';
import { computeHMACSHA256, importECP256PublicKey, verifyECDSAP256 } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import type { TLVNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import {
  BIOMETRIC_TRY_LIMIT_DEFAULT, CHALLENGE_BYTES, CRYPTO_SE_TAG, PIN_DIGITS_MAX, PIN_DIGITS_MIN, PIN_TRY_LIMIT_DEFAULT, TUNNEL_SOURCE,
  UNBLOCK_LABEL, VERIFICATION_METHOD,
} from './constants.js';
import { decodeCommandTLV, notAllowed, onlyTags, primitiveValue, refuse, requiredValue } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';
import { openTunnelInput } from './tunnel.js';

/**
 * The PIN (ISO/IEC 7816-4 §11.5.6 VERIFY, §11.5.7 CHANGE REFERENCE DATA, §11.5.10 RESET RETRY
 * COUNTER semantics). The PIN reaches the card only inside a keypad tunnel blob; the card keeps
 * HMAC-SHA256(PIN key, digits), never the digits.
 */

const DIGITS = /^[0-9]+$/;
const CHANGE_PIN_INITIAL = 0x01;

function pinTryLimit(store: CryptoSEStore): number {
  return store.byte(STORE.pinTryLimit, PIN_TRY_LIMIT_DEFAULT);
}

export function pinTriesLeft(store: CryptoSEStore): number {
  return store.byte(STORE.pinTriesLeft, pinTryLimit(store));
}

function triesLeftStatus(tries: number): number {
  return StatusWord.counterBase | tries;
}

/** PIN digits as ASCII, 4-12 of them; anything else answers 6A80. */
export function requirePINDigits(value: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(value);
  if (value.length < PIN_DIGITS_MIN || value.length > PIN_DIGITS_MAX || !DIGITS.test(text)) {
    refuse(StatusWord.incorrectData, `a PIN is ${PIN_DIGITS_MIN}-${PIN_DIGITS_MAX} ASCII digits`);
  }
  return value;
}

function pinHash(store: CryptoSEStore, digits: Uint8Array): Uint8Array {
  return computeHMACSHA256(store.pinKey(), digits);
}

/** Sets the PIN and gives it its full try limit (personalization, CHANGE PIN, unblock). */
export function setPIN(store: CryptoSEStore, digits: Uint8Array): void {
  store.set(STORE.pinHash, pinHash(store, requirePINDigits(digits)));
  store.setByte(STORE.pinTriesLeft, pinTryLimit(store));
}

/** A correct PIN also clears biometric failures: the PIN is the fallback when the finger fails. */
function resetTryCounters(store: CryptoSEStore): void {
  store.setByte(STORE.pinTriesLeft, pinTryLimit(store));
  store.setByte(STORE.biometricTriesLeft, store.byte(STORE.biometricTryLimit, BIOMETRIC_TRY_LIMIT_DEFAULT));
}

/** The data objects of a keypad blob (README.md "Keypad input"). */
export function openKeypadInput(store: CryptoSEStore, blob: Uint8Array, allowed: readonly number[]): readonly TLVNode[] {
  const fields = decodeCommandTLV(openTunnelInput(store, TUNNEL_SOURCE.keypad, blob));
  onlyTags(fields, allowed);
  return fields;
}

/**
 * The try counter goes down and is written before the comparison, in the same atomic update as
 * the answer: a wrong PIN answers 63CX (a success-class status word, so the card commits the
 * decrement), a right one resets it. No path answers an error after the decrement, so tearing the
 * card or provoking a fault cannot buy an uncounted guess.
 */
function checkPIN(store: CryptoSEStore, expectedHash: Uint8Array, received: Uint8Array): { matched: boolean; triesLeft: number } {
  const digits = requirePINDigits(received);
  const triesLeft = pinTriesLeft(store) - 1;
  store.setByte(STORE.pinTriesLeft, triesLeft);
  const matched = constantTimeEqual(pinHash(store, digits), expectedHash);
  return { matched, triesLeft };
}

function requireUsablePIN(store: CryptoSEStore): Uint8Array {
  const expectedHash = store.get(STORE.pinHash);
  if (expectedHash === undefined) refuse(StatusWord.referenceDataNotUsable, 'no PIN is set');
  if (pinTriesLeft(store) === 0) refuse(StatusWord.authenticationMethodBlocked, 'the PIN is blocked');
  return expectedHash;
}

/** VERIFY PIN: empty data asks for the state (9000 verified, 63CX tries left, 6983 blocked). */
export function verifyPIN(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const expectedHash = requireUsablePIN(store);
  if (command.data.length === 0) {
    const verified = (store.verifiedMethods() & VERIFICATION_METHOD.pin) !== 0;
    return { sw: verified ? StatusWord.noError : triesLeftStatus(pinTriesLeft(store)) };
  }
  const fields = openKeypadInput(store, command.data, [CRYPTO_SE_TAG.keypadPIN]);
  const received = requiredValue(fields, CRYPTO_SE_TAG.keypadPIN);
  const { matched, triesLeft } = checkPIN(store, expectedHash, received);
  if (!matched) return { sw: triesLeftStatus(triesLeft) };
  resetTryCounters(store);
  store.addVerification(VERIFICATION_METHOD.pin);
  return { sw: StatusWord.noError };
}

/**
 * CHANGE PIN: P1 00 with the old PIN ('81') and the new one ('82') in one keypad blob; P1 01 sets
 * the first PIN ('82' only) when none is set yet.
 */
export function changePIN(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if ((command.p1 !== 0x00 && command.p1 !== CHANGE_PIN_INITIAL) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.p1 === CHANGE_PIN_INITIAL) {
    if (store.has(STORE.pinHash)) return { sw: StatusWord.conditionsOfUseNotSatisfied };
    const fields = openKeypadInput(store, command.data, [CRYPTO_SE_TAG.keypadNewPIN]);
    setPIN(store, requiredValue(fields, CRYPTO_SE_TAG.keypadNewPIN));
    return { sw: StatusWord.noError };
  }
  const expectedHash = requireUsablePIN(store);
  const fields = openKeypadInput(store, command.data, [CRYPTO_SE_TAG.keypadPIN, CRYPTO_SE_TAG.keypadNewPIN]);
  const newPIN = requirePINDigits(requiredValue(fields, CRYPTO_SE_TAG.keypadNewPIN));
  const { matched, triesLeft } = checkPIN(store, expectedHash, requiredValue(fields, CRYPTO_SE_TAG.keypadPIN));
  if (!matched) return { sw: triesLeftStatus(triesLeft) };
  setPIN(store, newPIN);
  resetTryCounters(store);
  return { sw: StatusWord.noError };
}

/** GET CHALLENGE: 16 random bytes for the TSM to sign; good for this session, used once. */
export function getChallenge(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
  const challenge = store.random.bytes(CHALLENGE_BYTES);
  store.setSessionValue(STORE.challenge, challenge);
  return { data: challenge, sw: StatusWord.noError };
}

/** The message the TSM signs to unblock the PIN (client.ts exports it for the TSM). */
export function unblockMessage(challenge: Uint8Array): Uint8Array {
  return concatBytes(UNBLOCK_LABEL, challenge);
}

/**
 * UNBLOCK PIN: the TSM's ECDSA P-256 signature over UNBLOCK_LABEL ‖ challenge, verified with the
 * TSM key from personalization. Resets both try counters; a keypad blob may carry a new PIN.
 */
export function unblockPIN(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.signature, CRYPTO_SE_TAG.keypadBlob]);
  const signature = requiredValue(nodes, CRYPTO_SE_TAG.signature);
  const tsmPoint = store.get(STORE.tsmPublicKey);
  if (tsmPoint === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const challenge = store.sessionValue(STORE.challenge);
  if (challenge === undefined) return notAllowed('no challenge in this session');
  if (!verifyECDSAP256(importECP256PublicKey(tsmPoint), unblockMessage(challenge), signature, 'der')) {
    return notAllowed('the unblock signature does not verify');
  }
  store.delete(STORE.challenge);
  const keypadBlob = primitiveValue(nodes, CRYPTO_SE_TAG.keypadBlob);
  if (keypadBlob !== undefined) {
    const fields = openKeypadInput(store, keypadBlob, [CRYPTO_SE_TAG.keypadNewPIN]);
    setPIN(store, requiredValue(fields, CRYPTO_SE_TAG.keypadNewPIN));
  }
  resetTryCounters(store);
  return { sw: StatusWord.noError };
}
