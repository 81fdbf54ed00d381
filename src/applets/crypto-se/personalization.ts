import { importECP256PrivateKey, importECP256PublicKey, P256_UNCOMPRESSED_POINT_BYTES } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import type { TLVNode } from '../../lib/tlv/index.js';
import { personalizeACLEntry } from './acl.js';
import { enrolledFingerBits } from './biometric.js';
import { personalizeCertificateChunk } from './certificates.js';
import {
  PAIRING_KEY_BYTES, PERSONALIZATION_TAG, PIN_TRY_LIMIT_MAX, PRELOADED_KEY_SLOT_MAX, PRELOADED_KEY_SLOT_MIN, TUNNEL_SOURCE,
} from './constants.js';
import { personalizePreloadedCredential } from './credentials.js';
import { storeKeyPair } from './keys.js';
import { setPIN } from './pin.js';
import { decodeCommandTLV, onlyTags, refuse, requiredValue } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';

/**
 * Personalization (GP 2.3 §11.11 STORE DATA after INSTALL [for personalization]): what the TSM,
 * over its SCP03 secure channel, or the factory writes into the Crypto SE. Each STORE DATA block is
 * complete BER-TLV (README.md "Personalization" lists the data objects); a block is applied whole
 * or not at all. Personalization is the only way to set the ACL, the TSM key and pairing keys.
 */

const SCALAR_BYTES = 32;
const OFFSET_BYTES = 2;
const OPTIONS_BYTES = 1;

function requirePoint(value: Uint8Array): Uint8Array {
  if (value.length !== P256_UNCOMPRESSED_POINT_BYTES) refuse(StatusWord.incorrectData, 'a public key is an uncompressed P-256 point');
  try {
    importECP256PublicKey(value);
  } catch {
    refuse(StatusWord.incorrectData, 'not a point on P-256');
  }
  return value.slice();
}

function requireTryLimit(value: Uint8Array): number {
  const limit = value[0] ?? 0;
  if (value.length !== 1 || limit < 1 || limit > PIN_TRY_LIMIT_MAX) refuse(StatusWord.incorrectData, `a try limit is 1-${PIN_TRY_LIMIT_MAX}`);
  return limit;
}

function setPairingKey(store: CryptoSEStore, source: number, key: Uint8Array): void {
  if (key.length !== PAIRING_KEY_BYTES) refuse(StatusWord.incorrectData, `a pairing key is ${PAIRING_KEY_BYTES} bytes`);
  store.setSealed(STORE.pairingKey(source), key);
  // A new pairing starts a new counter sequence at the peripheral.
  store.delete(STORE.tunnelCounter(source));
}

function personalizePreloadedKey(store: CryptoSEStore, children: readonly TLVNode[]): void {
  onlyTags(children, [PERSONALIZATION_TAG.slot, PERSONALIZATION_TAG.scalar]);
  const slotField = requiredValue(children, PERSONALIZATION_TAG.slot);
  const slot = slotField[0] ?? 0;
  if (slotField.length !== 1 || slot < PRELOADED_KEY_SLOT_MIN || slot > PRELOADED_KEY_SLOT_MAX) refuse(StatusWord.incorrectData, 'preloaded keys use slots 10-1F');
  const scalar = requiredValue(children, PERSONALIZATION_TAG.scalar);
  if (scalar.length !== SCALAR_BYTES) refuse(StatusWord.incorrectData, 'a P-256 private key is a 32-byte scalar');
  let privateKey;
  try {
    privateKey = importECP256PrivateKey(scalar);
  } catch {
    return refuse(StatusWord.incorrectData, 'not a P-256 private scalar');
  } finally {
    scalar.fill(0);
  }
  storeKeyPair(store, slot, privateKey);
}

function personalizeCertificate(store: CryptoSEStore, children: readonly TLVNode[]): void {
  onlyTags(children, [PERSONALIZATION_TAG.slot, PERSONALIZATION_TAG.offset, PERSONALIZATION_TAG.chunk]);
  const slotField = requiredValue(children, PERSONALIZATION_TAG.slot);
  const offsetField = requiredValue(children, PERSONALIZATION_TAG.offset);
  if (slotField.length !== 1 || offsetField.length !== OFFSET_BYTES) refuse(StatusWord.incorrectData, 'slot is 1 byte, offset 2');
  const offset = ((offsetField[0] ?? 0) << 8) | (offsetField[1] ?? 0);
  personalizeCertificateChunk(store, slotField[0] ?? 0, offset, requiredValue(children, PERSONALIZATION_TAG.chunk));
}

function applyPrimitive(store: CryptoSEStore, tag: number, value: Uint8Array): void {
  switch (tag) {
    case PERSONALIZATION_TAG.pin:
      setPIN(store, value);
      return;
    case PERSONALIZATION_TAG.pinTryLimit: {
      const limit = requireTryLimit(value);
      store.setByte(STORE.pinTryLimit, limit);
      store.setByte(STORE.pinTriesLeft, limit);
      return;
    }
    case PERSONALIZATION_TAG.biometricTryLimit: {
      const limit = requireTryLimit(value);
      store.setByte(STORE.biometricTryLimit, limit);
      store.setByte(STORE.biometricTriesLeft, limit);
      return;
    }
    case PERSONALIZATION_TAG.tsmPublicKey:
      store.set(STORE.tsmPublicKey, requirePoint(value));
      return;
    case PERSONALIZATION_TAG.paymentRecipientPublicKey:
      store.set(STORE.paymentRecipientPublicKey, requirePoint(value));
      return;
    case PERSONALIZATION_TAG.keypadPairingKey:
      setPairingKey(store, TUNNEL_SOURCE.keypad, value);
      return;
    case PERSONALIZATION_TAG.sensorPairingKey:
      setPairingKey(store, TUNNEL_SOURCE.sensor, value);
      return;
    case PERSONALIZATION_TAG.options:
      if (value.length !== OPTIONS_BYTES) refuse(StatusWord.incorrectData, 'options is one byte');
      store.set(STORE.options, value.slice());
      return;
    default:
      refuse(StatusWord.incorrectData, `unknown personalization data object ${tag.toString(16)}`);
  }
}

function applyTemplate(store: CryptoSEStore, tag: number, children: readonly TLVNode[]): void {
  switch (tag) {
    case PERSONALIZATION_TAG.aclEntry:
      personalizeACLEntry(store, children);
      return;
    case PERSONALIZATION_TAG.preloadedKey:
      personalizePreloadedKey(store, children);
      return;
    case PERSONALIZATION_TAG.certificateChunk:
      personalizeCertificate(store, children);
      return;
    case PERSONALIZATION_TAG.preloadedCredential:
      personalizePreloadedCredential(store, children, enrolledFingerBits(store) === 0);
      return;
    default:
      refuse(StatusWord.incorrectData, `unknown personalization template ${tag.toString(16)}`);
  }
}

/** Applies one STORE DATA block; refusals unwind to the dispatcher, which answers their SW. */
export function personalize(store: CryptoSEStore, data: Uint8Array): void {
  for (const node of decodeCommandTLV(data)) {
    if (node.constructed) applyTemplate(store, node.tag, node.children);
    else applyPrimitive(store, node.tag, node.value);
  }
}
