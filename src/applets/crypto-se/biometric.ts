import { StatusWord } from '../../lib/status-words.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import {
  BIOMETRIC_FEATURES_BYTES, BIOMETRIC_TRY_LIMIT_DEFAULT, CRYPTO_SE_TAG, ENROL_SIMILARITY_MIN_PERCENT, FINGER_SLOT_MAX, FINGER_SLOT_MIN,
  MATCH_SIMILARITY_MIN_PERCENT, TUNNEL_SOURCE, VERIFICATION_METHOD,
} from './constants.js';
import { unlockPreloadedCredentials } from './credentials.js';
import { decodeCommandTLV, notAllowed, onlyTags, refuse, requiredValue } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';
import { openTunnelInput } from './tunnel.js';

/**
 * Biometric templates. The modelled sensor gives a fixed-length feature vector of 64 signed bytes
 * (README.md "Biometrics"); two vectors come from the same finger when their cosine similarity is
 * at least a threshold. The card does the arithmetic on integers (BigInt here, a multiply-
 * accumulate unit on a chip): sim ≥ p/100 ⇔ dot > 0 ∧ dot² · 100² ≥ p² · |a|² · |b|².
 */

/** A sensor or template vector: 64 bytes read as two's-complement int8. */
export function toFeatures(bytes: Uint8Array): Int8Array {
  if (bytes.length !== BIOMETRIC_FEATURES_BYTES) refuse(StatusWord.incorrectData, `a feature vector is ${BIOMETRIC_FEATURES_BYTES} bytes`);
  return new Int8Array(bytes.slice().buffer);
}

/** True when cosine(a, b) ≥ percent / 100, in exact integer arithmetic. */
export function isSimilarAtLeast(a: Int8Array, b: Int8Array, percent: number): boolean {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < BIOMETRIC_FEATURES_BYTES; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  if (dot <= 0 || normA === 0 || normB === 0) return false;
  return BigInt(dot) * BigInt(dot) * 10_000n >= BigInt(percent * percent) * BigInt(normA) * BigInt(normB);
}

/** Cosine similarity as a number, for measurement and reports (the card decides with isSimilarAtLeast). */
export function cosineSimilarity(a: Int8Array, b: Int8Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < BIOMETRIC_FEATURES_BYTES; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    normA += (a[i] ?? 0) ** 2;
    normB += (b[i] ?? 0) ** 2;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** The stored template: the element-wise mean of the two enrolment samples, rounded half away from zero. */
export function meanTemplate(a: Int8Array, b: Int8Array): Int8Array {
  const template = new Int8Array(BIOMETRIC_FEATURES_BYTES);
  for (let i = 0; i < BIOMETRIC_FEATURES_BYTES; i++) {
    const sum = (a[i] ?? 0) + (b[i] ?? 0);
    template[i] = Math.sign(sum) * Math.round(Math.abs(sum) / 2);
  }
  return template;
}

function enrolledSlots(store: CryptoSEStore): number[] {
  const slots: number[] = [];
  for (let slot = FINGER_SLOT_MIN; slot <= FINGER_SLOT_MAX; slot++) {
    if (store.has(STORE.fingerTemplate(slot))) slots.push(slot);
  }
  return slots;
}

/** Bit N-1 set for each enrolled finger slot N (status 'C3'). */
export function enrolledFingerBits(store: CryptoSEStore): number {
  return enrolledSlots(store).reduce((bits, slot) => bits | (1 << (slot - 1)), 0);
}

function biometricTryLimit(store: CryptoSEStore): number {
  return store.byte(STORE.biometricTryLimit, BIOMETRIC_TRY_LIMIT_DEFAULT);
}

export function biometricTriesLeft(store: CryptoSEStore): number {
  return store.byte(STORE.biometricTriesLeft, biometricTryLimit(store));
}

function sensorFeatures(store: CryptoSEStore, blob: Uint8Array): Int8Array {
  return toFeatures(openTunnelInput(store, TUNNEL_SOURCE.sensor, blob));
}

/**
 * ENROL FINGER (P1 = finger slot 1-5): the same finger presented twice, as two sensor blobs. The
 * samples must agree (cosine ≥ ENROL_SIMILARITY_MIN_PERCENT) and the template is their mean. The
 * first finger needs nothing else and unlocks the preloaded credentials (seed 000 registration);
 * a further finger needs a user verification in this session.
 */
export function enrolFinger(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  const slot = command.p1;
  if (slot < FINGER_SLOT_MIN || slot > FINGER_SLOT_MAX || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const firstFinger = enrolledSlots(store).length === 0;
  if (!firstFinger && store.verifiedMethods() === 0) return notAllowed('a further finger needs a user verification');
  if (store.has(STORE.fingerTemplate(slot))) return { sw: StatusWord.fileAlreadyExists };
  const nodes = decodeCommandTLV(command.data);
  onlyTags(nodes, [CRYPTO_SE_TAG.firstSample, CRYPTO_SE_TAG.secondSample]);
  const first = sensorFeatures(store, requiredValue(nodes, CRYPTO_SE_TAG.firstSample));
  const second = sensorFeatures(store, requiredValue(nodes, CRYPTO_SE_TAG.secondSample));
  if (!isSimilarAtLeast(first, second, ENROL_SIMILARITY_MIN_PERCENT)) {
    return refuse(StatusWord.incorrectData, 'the two samples are not of the same finger');
  }
  const template = meanTemplate(first, second);
  store.setSealed(STORE.fingerTemplate(slot), new Uint8Array(template.buffer));
  if (firstFinger) {
    store.setByte(STORE.biometricTriesLeft, biometricTryLimit(store));
    unlockPreloadedCredentials(store);
  }
  return { sw: StatusWord.noError };
}

/**
 * VERIFY BIOMETRIC: one sensor blob, compared with every enrolled template. Like the PIN, the try
 * counter is decremented and written before the comparison; a mismatch answers 63CX, zero tries
 * 6983 (a correct PIN or a TSM unblock restores them). A match answers the finger slot.
 */
export function verifyBiometric(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  store.sessionId();
  const slots = enrolledSlots(store);
  if (slots.length === 0) return { sw: StatusWord.referencedDataNotFound };
  const triesLeft = biometricTriesLeft(store);
  if (triesLeft === 0) return { sw: StatusWord.authenticationMethodBlocked };
  const sample = sensorFeatures(store, command.data);
  store.setByte(STORE.biometricTriesLeft, triesLeft - 1);
  let matchedSlot = 0;
  for (const slot of slots) {
    const stored = store.getSealed(STORE.fingerTemplate(slot));
    if (stored !== undefined && matchedSlot === 0 && isSimilarAtLeast(toFeatures(stored), sample, MATCH_SIMILARITY_MIN_PERCENT)) matchedSlot = slot;
  }
  if (matchedSlot === 0) return { sw: StatusWord.counterBase | (triesLeft - 1) };
  store.setByte(STORE.biometricTriesLeft, biometricTryLimit(store));
  store.addVerification(VERIFICATION_METHOD.biometric);
  return { data: Uint8Array.of(matchedSlot), sw: StatusWord.noError };
}
