import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { biometricTriesLeft, enrolledFingerBits } from './biometric.js';
import { CRYPTO_SE_TAG, DEVICE_KEY_SLOT, STATUS_FLAG, TUNNEL_SOURCE } from './constants.js';
import { credentialSummary } from './credentials.js';
import { pinTriesLeft } from './pin.js';
import { encodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * GET DATA (P1-P2 = tag): the status template and the counters. Nothing here is secret: tries
 * left, which fingers and credentials exist, flags — never a PAN digit, a key or a template.
 */

function statusFlags(store: CryptoSEStore): number {
  const flags: [boolean, number][] = [
    [store.has(STORE.pinHash), STATUS_FLAG.pinSet],
    [store.has(STORE.privateKey(DEVICE_KEY_SLOT)), STATUS_FLAG.deviceKeyPresent],
    [store.has(STORE.registered), STATUS_FLAG.registered],
    [store.has(STORE.tsmPublicKey), STATUS_FLAG.tsmKeyPresent],
    [store.has(STORE.pairingKey(TUNNEL_SOURCE.keypad)), STATUS_FLAG.keypadPaired],
    [store.has(STORE.pairingKey(TUNNEL_SOURCE.sensor)), STATUS_FLAG.sensorPaired],
    [store.has(STORE.paymentRecipientPublicKey), STATUS_FLAG.paymentRecipientPresent],
  ];
  return flags.reduce((bits, [set, bit]) => (set ? bits | bit : bits), 0);
}

function statusTemplate(store: CryptoSEStore): Uint8Array {
  return encodeTLV([constructedNode(CRYPTO_SE_TAG.status, [
    primitiveNode(CRYPTO_SE_TAG.statusPINTries, Uint8Array.of(pinTriesLeft(store))),
    primitiveNode(CRYPTO_SE_TAG.statusBiometricTries, Uint8Array.of(biometricTriesLeft(store))),
    primitiveNode(CRYPTO_SE_TAG.statusFingers, Uint8Array.of(enrolledFingerBits(store))),
    primitiveNode(CRYPTO_SE_TAG.statusFlags, Uint8Array.of(statusFlags(store))),
    primitiveNode(CRYPTO_SE_TAG.statusVerified, Uint8Array.of(store.verifiedMethods())),
    primitiveNode(CRYPTO_SE_TAG.statusCredentials, credentialSummary(store)),
  ])]);
}

const COUNTER_OBJECTS: ReadonlyMap<number, (store: CryptoSEStore) => bigint> = new Map([
  [CRYPTO_SE_TAG.transactionCounterObject, (store: CryptoSEStore) => store.counter(STORE.transactionCounter)],
  [CRYPTO_SE_TAG.clockObject, (store: CryptoSEStore) => BigInt(store.now())],
  [CRYPTO_SE_TAG.registrationCounterObject, (store: CryptoSEStore) => store.counter(STORE.registrationCounter)],
  [CRYPTO_SE_TAG.credentialCounterObject, (store: CryptoSEStore) => store.counter(STORE.credentialCounter)],
]);

export function getData(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
  const tag = (command.p1 << 8) | command.p2;
  if (tag === CRYPTO_SE_TAG.status) return { data: statusTemplate(store), sw: StatusWord.noError };
  const read = COUNTER_OBJECTS.get(tag);
  if (read === undefined) return { sw: StatusWord.referencedDataNotFound };
  return { data: encodeTLV([primitiveNode(tag, encodeCounter(read(store)))]), sw: StatusWord.noError };
}
