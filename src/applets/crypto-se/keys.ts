import type { KeyObject } from 'node:crypto';
import { concatBytes, toHex, utf8 } from '../../lib/bytes.js';
import { generateECP256KeyPair, importECP256PrivateKey, signECDSAP256 } from '../../lib/crypto/index.js';
import { fromBase64URL } from '../../lib/crypto/ecP256Keys.js';
import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, decodeTLV, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { callerOf, requireGranted, type Caller } from './acl.js';
import {
  ACL_OPERATION, APPLICATION_SIGNATURE_LABEL, BLOCK_LAST, BLOCK_NUMBER_MASK, BLOCKS_MAX, COUNTER_BYTES, CRYPTO_SE_TAG, DEVICE_KEY_SLOT,
  OPTION, OPTION_DEFAULTS, PRELOADED_KEY_SLOT_MAX, PRELOADED_KEY_SLOT_MIN, SIGN_PURPOSE, TO_BE_SIGNED_BYTES_MAX,
} from './constants.js';
import { decodeCommandTLV, notAllowed, onlyTags, primitiveValue, refuse } from './refusal.js';
import { containsBytes } from './containsBytes.js';
import { decodeCounter, encodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * Keys: the device (enrolment) key made on the card, preloaded key pairs from personalization,
 * SIGN and the registration counter. Private scalars exist in clear only inside one command: they
 * are sealed at rest (store.ts) and no command answers one.
 */

const P256_SCALAR_BYTES = 32;
/** The registration counter starts at a random 62-bit value, so +1 steps never reach 2^64. */
const REGISTRATION_COUNTER_START_MASK = 0x3fff_ffff_ffff_ffffn;
const REGISTRATION_COUNTER_MAX = 0xffff_ffff_ffff_ffffn;
/** The first byte of a DER SEQUENCE: what every CertificationRequestInfo starts with. */
const ASN1_SEQUENCE_TAG = 0x30;
/** Tags of the SIGN state kept between blocks (private to the card). */
const PENDING = { purpose: 0xc0, nextBlock: 0xc2 } as const;

export function isKeySlot(slot: number): boolean {
  return slot === DEVICE_KEY_SLOT || (slot >= PRELOADED_KEY_SLOT_MIN && slot <= PRELOADED_KEY_SLOT_MAX);
}

/** Seals the private scalar of `privateKey` into `slot` and keeps its public point in clear. */
export function storeKeyPair(store: CryptoSEStore, slot: number, privateKey: KeyObject): Uint8Array {
  // A private JWK carries d and the public coordinates x, y (RFC 7518 §6.2.2), all 32 bytes on P-256.
  const jwk = privateKey.export({ format: 'jwk' });
  const [scalar, x, y] = [jwk.d, jwk.x, jwk.y].map((field) => (typeof field === 'string' ? fromBase64URL(field) : new Uint8Array(0)));
  if (scalar?.length !== P256_SCALAR_BYTES || x?.length !== P256_SCALAR_BYTES || y?.length !== P256_SCALAR_BYTES) {
    throw new Error('a P-256 private key exports 32-byte d, x and y');
  }
  store.setSealed(STORE.privateKey(slot), scalar);
  scalar.fill(0);
  const point = concatBytes(Uint8Array.of(0x04), x, y);
  store.set(STORE.publicKey(slot), point);
  return point;
}

/** The private key of `slot`, unsealed for this command only; undefined when the slot is empty. */
export function loadPrivateKey(store: CryptoSEStore, slot: number): KeyObject | undefined {
  const scalar = store.getSealed(STORE.privateKey(slot));
  if (scalar === undefined) return undefined;
  try {
    return importECP256PrivateKey(scalar);
  } finally {
    scalar.fill(0);
  }
}

export function requireDeviceKey(store: CryptoSEStore): { privateKey: KeyObject; point: Uint8Array } {
  const privateKey = loadPrivateKey(store, DEVICE_KEY_SLOT);
  const point = store.get(STORE.publicKey(DEVICE_KEY_SLOT));
  if (privateKey === undefined || point === undefined) refuse(StatusWord.conditionsOfUseNotSatisfied, 'no device key yet');
  return { privateKey, point };
}

/** GENERATE KEY (P1 = 01): makes the device key pair on the card, once; answers the public point. */
export function generateKey(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== DEVICE_KEY_SLOT || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
  if (store.has(STORE.privateKey(DEVICE_KEY_SLOT))) return { sw: StatusWord.fileAlreadyExists };
  const point = storeKeyPair(store, DEVICE_KEY_SLOT, generateECP256KeyPair(store.random).privateKey);
  const start = decodeCounter(store.random.bytes(COUNTER_BYTES)) & REGISTRATION_COUNTER_START_MASK;
  store.setCounter(STORE.registrationCounter, start);
  return { data: point, sw: StatusWord.noError };
}

/** GET PUBLIC KEY (P1 = key slot): the uncompressed point 04 ‖ X ‖ Y. */
export function getPublicKey(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (!isKeySlot(command.p1) || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const point = store.get(STORE.publicKey(command.p1));
  return point === undefined ? { sw: StatusWord.referencedDataNotFound } : { data: point, sw: StatusWord.noError };
}

/** The registration counter as it must appear in a certification request: 16 upper-case hex digits. */
export function registrationCounterText(counter: Uint8Array): string {
  return toHex(counter);
}

/**
 * BEGIN REGISTRATION: the next value of the registration counter (seed 000 [0058]: "a random
 * counter stored in the Crypto SE for replay protection"). The device puts it in its PKCS#10
 * request (challengePassword); SIGN [certification request] signs only a request that contains it,
 * once; the TSM refuses a counter it has seen.
 */
export function beginRegistration(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  requireDeviceKey(store);
  const next = store.counter(STORE.registrationCounter) + 1n;
  if (next > REGISTRATION_COUNTER_MAX) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const counter = encodeCounter(next);
  store.set(STORE.registrationCounter, counter);
  store.set(STORE.registrationOpen, counter);
  return { data: counter, sw: StatusWord.noError };
}


interface SignRequest {
  readonly purpose: number;
  readonly caller: Caller | undefined;
  readonly keySlot: number;
  readonly toBeSigned: Uint8Array;
}

function encodePending(request: SignRequest, nextBlock: number): Uint8Array {
  const nodes: TLVNode[] = [
    primitiveNode(PENDING.purpose, Uint8Array.of(request.purpose)),
    primitiveNode(PENDING.nextBlock, Uint8Array.of(nextBlock)),
    primitiveNode(CRYPTO_SE_TAG.keySlot, Uint8Array.of(request.keySlot)),
    primitiveNode(CRYPTO_SE_TAG.toBeSigned, request.toBeSigned),
  ];
  if (request.caller !== undefined) {
    nodes.push(constructedNode(CRYPTO_SE_TAG.caller, [
      primitiveNode(CRYPTO_SE_TAG.callerAID, request.caller.aid),
      primitiveNode(CRYPTO_SE_TAG.callerKeyId, request.caller.keyId),
    ]));
  }
  return encodeTLV(nodes);
}

function decodePending(stored: Uint8Array): { request: SignRequest; nextBlock: number } {
  const nodes = decodeTLV(stored);
  return {
    request: {
      purpose: primitiveValue(nodes, PENDING.purpose)?.[0] ?? -1,
      caller: callerOf(nodes),
      keySlot: primitiveValue(nodes, CRYPTO_SE_TAG.keySlot)?.[0] ?? -1,
      toBeSigned: primitiveValue(nodes, CRYPTO_SE_TAG.toBeSigned) ?? new Uint8Array(0),
    },
    nextBlock: primitiveValue(nodes, PENDING.nextBlock)?.[0] ?? -1,
  };
}

/** The request as it stands after this block: block 0 opens it, later blocks append to it. */
function accumulate(store: CryptoSEStore, command: AppletCommand, block: number): SignRequest {
  const nodes = decodeCommandTLV(command.data);
  const part = primitiveValue(nodes, CRYPTO_SE_TAG.toBeSigned) ?? new Uint8Array(0);
  if (block === 0) {
    onlyTags(nodes, [CRYPTO_SE_TAG.toBeSigned, CRYPTO_SE_TAG.caller, CRYPTO_SE_TAG.keySlot]);
    const slotField = primitiveValue(nodes, CRYPTO_SE_TAG.keySlot);
    if (slotField !== undefined && slotField.length !== 1) refuse(StatusWord.incorrectData, 'a key slot is one byte');
    return { purpose: command.p1, caller: callerOf(nodes), keySlot: slotField?.[0] ?? DEVICE_KEY_SLOT, toBeSigned: part };
  }
  onlyTags(nodes, [CRYPTO_SE_TAG.toBeSigned]);
  const stored = store.sessionValue(STORE.signPending);
  const pending = stored === undefined ? undefined : decodePending(stored);
  if (pending === undefined || pending.nextBlock !== block || pending.request.purpose !== command.p1) {
    refuse(StatusWord.incorrectP1P2, 'SIGN block out of sequence');
  }
  const toBeSigned = concatBytes(pending.request.toBeSigned, part);
  return { ...pending.request, toBeSigned };
}

/**
 * SIGN (P1 = purpose, P2 = b8 last block ‖ block number): ECDSA P-256 with SHA-256 over data the
 * host gives, answered as a DER signature. Only the device key signs. README.md "SIGN" has the
 * rules for each purpose; both need a user verification when the option is set (default).
 */
export function sign(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  const block = command.p2 & BLOCK_NUMBER_MASK;
  if ((command.p1 !== SIGN_PURPOSE.application && command.p1 !== SIGN_PURPOSE.certificationRequest) || block >= BLOCKS_MAX) {
    return { sw: StatusWord.incorrectP1P2 };
  }
  store.sessionId();
  const request = accumulate(store, command, block);
  if (request.toBeSigned.length > TO_BE_SIGNED_BYTES_MAX) return { sw: StatusWord.notEnoughMemory };
  if ((command.p2 & BLOCK_LAST) === 0) {
    store.setSessionValue(STORE.signPending, encodePending(request, block + 1));
    return { sw: StatusWord.noError };
  }
  store.delete(STORE.signPending);
  if (request.toBeSigned.length === 0) return { sw: StatusWord.incorrectData };
  return { data: completeSignature(store, request), sw: StatusWord.noError };
}

function completeSignature(store: CryptoSEStore, request: SignRequest): Uint8Array {
  if (request.keySlot !== DEVICE_KEY_SLOT) notAllowed('only the device key signs');
  let message: Uint8Array;
  if (request.purpose === SIGN_PURPOSE.application) {
    const caller = requireGranted(store, request.caller, ACL_OPERATION.sign);
    message = applicationSignatureMessage(caller.aid, request.toBeSigned);
  } else {
    // Registration goes through the Crypto SE only: an App SE identity here is refused outright.
    if (request.caller !== undefined) notAllowed('registration is never requested by an App SE application');
    // A CertificationRequestInfo is a DER SEQUENCE (RFC 2986 §4.1): nothing that starts with one of
    // the card's signature labels (SIGN TSM REQUEST, payment attestation) can be signed this way.
    if (request.toBeSigned[0] !== ASN1_SEQUENCE_TAG) refuse(StatusWord.incorrectData, 'a certification request is a DER SEQUENCE');
    const open = store.get(STORE.registrationOpen);
    if (open === undefined) refuse(StatusWord.conditionsOfUseNotSatisfied, 'no registration in progress');
    if (!containsBytes(request.toBeSigned, utf8(registrationCounterText(open)))) {
      refuse(StatusWord.incorrectData, 'the request does not carry the registration counter');
    }
    store.delete(STORE.registrationOpen);
    message = request.toBeSigned;
  }
  const { privateKey } = requireDeviceKey(store);
  if ((store.byte(STORE.options, OPTION_DEFAULTS) & OPTION.signRequiresUserVerification) !== 0) {
    if (store.verifiedMethods() === 0) notAllowed('SIGN needs a user verification');
    store.consumeVerification();
  }
  return signECDSAP256(privateKey, message, 'der');
}

/**
 * What an App SE application's signature covers: a label, its AID (length-prefixed) and its data.
 * The prefix keeps such a signature from ever being a valid certification request, certificate or
 * payment record signature (those start with an ASN.1 SEQUENCE or the 'F0' record tag).
 */
export function applicationSignatureMessage(aid: Uint8Array, data: Uint8Array): Uint8Array {
  return concatBytes(APPLICATION_SIGNATURE_LABEL, Uint8Array.of(aid.length), aid, data);
}
