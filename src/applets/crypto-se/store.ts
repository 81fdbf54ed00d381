import { bytesEqual, concatBytes, utf8 } from '../../lib/bytes.js';
import { deriveHKDFSHA256, openAESGCM, sealAESGCM, type RandomSource } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import type { AppletContext } from '../../card/types.js';
import { COUNTER_BYTES, SESSION_ID_BYTES, VERIFICATION_VALIDITY_MS } from './constants.js';
import { refuse } from './refusal.js';

/**
 * Names of the applet's persistent data objects (the card keeps them in its image, hex). Entries
 * marked "sealed" hold AES-256-GCM ciphertext under the storage key (README.md "At rest").
 */
export const STORE = {
  /** 32 random bytes made on first use: the root of the storage and PIN keys. */
  storageSeed: 'seed',
  /** HMAC-SHA256(PIN key, PIN digits); absent when no PIN is set. */
  pinHash: 'pin',
  pinTriesLeft: 'pin.tries',
  pinTryLimit: 'pin.limit',
  biometricTriesLeft: 'bio.tries',
  biometricTryLimit: 'bio.limit',
  /** Sealed 64-byte template of finger slot N. */
  fingerTemplate: (slot: number) => `bio.${slot}`,
  tsmPublicKey: 'tsm',
  paymentRecipientPublicKey: 'recipient',
  options: 'options',
  /** Sealed AES-256 pairing key of a tunnel source. */
  pairingKey: (source: number) => `pair.${hexByte(source)}`,
  /** Last accepted tunnel counter of a source (8 bytes). */
  tunnelCounter: (source: number) => `tunnel.${hexByte(source)}`,
  /** The ACL: concatenated 'E2' entries. */
  acl: 'acl',
  /** Sealed private scalar and clear public point of a key slot. */
  privateKey: (slot: number) => `key.${hexByte(slot)}`,
  publicKey: (slot: number) => `pub.${hexByte(slot)}`,
  certificate: (slot: number) => `cert.${hexByte(slot)}`,
  certificatePending: 'cert.pending',
  registered: 'registered',
  /** Registration counter: random start, +1 per BEGIN REGISTRATION (8 bytes). */
  registrationCounter: 'registration',
  /** Set by BEGIN REGISTRATION, consumed by SIGN [certification request]. */
  registrationOpen: 'registration.open',
  /** Sealed credential TLV (5A, 5F24, DF20) and its clear origin ‖ locked bytes. */
  credential: (slot: number) => `cred.${slot}`,
  credentialInfo: (slot: number) => `cred.${slot}.info`,
  /** Sealed ICC MK-AC (16 bytes) ‖ PAN sequence number (1 byte) of a credential that can make EMV cryptograms. */
  emvKeys: (slot: number) => `emv.${slot}`,
  /** That credential's application transaction counter (2 bytes). */
  emvATC: (slot: number) => `emv.${slot}.atc`,
  /** Counter of the last accepted credential package (8 bytes). */
  credentialCounter: 'cred.counter',
  /** Application transaction counter of payment authorizations (8 bytes). */
  transactionCounter: 'atc',
  /** Highest card clock value seen (8 bytes, ms): the clock never goes back. */
  clock: 'clock',
  /** The current session (made by SELECT): session-bound entries carry its id first. */
  session: 'session',
  /** session ‖ methods (1) ‖ verified-at ms (8). */
  verification: 'auth',
  /** session ‖ 16-byte challenge for RESET RETRY COUNTER. */
  challenge: 'challenge',
  signPending: 'sign.pending',
  /** Payment attestations made so far (8 bytes): the attestation counter, +1 per GENERATE AC that makes one. */
  attestationCounter: 'attest.counter',
  /** session ‖ made-at ms (8) ‖ record (26) ‖ DER signature: the last payment attestation, readable once in this session. */
  attestationPending: 'attest.pending',
} as const;

/** Store entries that belong to one session and go when a new one starts. */
const SESSION_ENTRIES = [STORE.verification, STORE.challenge, STORE.signPending, STORE.certificatePending, STORE.attestationPending] as const;

const STORAGE_SEED_BYTES = 32;
const STORAGE_KEY_INFO = utf8('tessera.crypto-se/storage-key/v1');
const PIN_KEY_INFO = utf8('tessera.crypto-se/pin-key/v1');
const SEAL_BINDING_PREFIX = utf8('tessera.crypto-se/sealed/');
const COUNTER_MAX = 0xffff_ffff_ffff_ffffn;

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

export function encodeCounter(value: bigint): Uint8Array {
  if (value < 0n || value > COUNTER_MAX) throw new RangeError('counter out of range');
  const bytes = new Uint8Array(COUNTER_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

export function decodeCounter(bytes: Uint8Array): bigint {
  if (bytes.length !== COUNTER_BYTES) refuse(StatusWord.incorrectData, `a counter is ${COUNTER_BYTES} bytes`);
  return new DataView(bytes.buffer, bytes.byteOffset, COUNTER_BYTES).getBigUint64(0);
}

/**
 * The applet's view of one command: its persistent store (transactional, committed by the card
 * with a success status word), the card's random source and a clock that never goes back. Made
 * fresh for every command; keeps nothing between commands.
 */
export class CryptoSEStore {
  readonly random: RandomSource;
  readonly #context: AppletContext;
  #storageKey: Uint8Array | undefined;
  #now: number | undefined;

  constructor(context: AppletContext) {
    this.#context = context;
    this.random = { bytes: (length: number) => context.randomBytes(length) };
  }

  get aid(): Uint8Array {
    return this.#context.aid;
  }

  get(name: string): Uint8Array | undefined {
    return this.#context.store.get(name);
  }

  set(name: string, value: Uint8Array): void {
    this.#context.store.set(name, value);
  }

  delete(name: string): void {
    this.#context.store.delete(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  byte(name: string, fallback: number): number {
    return this.get(name)?.[0] ?? fallback;
  }

  setByte(name: string, value: number): void {
    this.set(name, Uint8Array.of(value));
  }

  counter(name: string): bigint {
    const stored = this.get(name);
    return stored === undefined ? 0n : decodeCounter(stored);
  }

  setCounter(name: string, value: bigint): void {
    this.set(name, encodeCounter(value));
  }

  /**
   * The card clock in ms, never earlier than any time this card has used before (the stored
   * high-water mark): a clock set back cannot revive an expired verification.
   */
  now(): number {
    if (this.#now !== undefined) return this.#now;
    const seen = Number(this.counter(STORE.clock));
    const now = Math.max(Math.floor(this.#context.now()), seen);
    if (now !== seen) this.setCounter(STORE.clock, BigInt(now));
    this.#now = now;
    return now;
  }

  // --- Sealing at rest ----------------------------------------------------------------------

  #seed(): Uint8Array {
    let seed = this.get(STORE.storageSeed);
    if (seed === undefined) {
      seed = this.random.bytes(STORAGE_SEED_BYTES);
      this.set(STORE.storageSeed, seed);
    }
    return seed;
  }

  #key(): Uint8Array {
    this.#storageKey ??= deriveHKDFSHA256(this.#seed(), this.aid, STORAGE_KEY_INFO, 32);
    return this.#storageKey;
  }

  /** Key for the PIN's HMAC (a separate HKDF output: one key, one purpose). */
  pinKey(): Uint8Array {
    return deriveHKDFSHA256(this.#seed(), this.aid, PIN_KEY_INFO, 32);
  }

  /** What a sealed value is bound to: its entry name and this applet instance. */
  #binding(name: string): Uint8Array {
    return concatBytes(SEAL_BINDING_PREFIX, utf8(name), Uint8Array.of(0), this.aid);
  }

  setSealed(name: string, plaintext: Uint8Array): void {
    this.set(name, sealAESGCM(this.#key(), plaintext, this.#binding(name), this.random));
  }

  /** The plaintext of a sealed entry, or undefined when there is none. A broken seal is a card fault. */
  getSealed(name: string): Uint8Array | undefined {
    const sealed = this.get(name);
    if (sealed === undefined) return undefined;
    return openAESGCM(this.#key(), sealed, this.#binding(name));
  }

  // --- Session --------------------------------------------------------------------------------

  /** A SELECT starts a session: a fresh id, and every session-bound entry of the last one is gone. */
  startSession(): void {
    this.set(STORE.session, this.random.bytes(SESSION_ID_BYTES));
    for (const name of SESSION_ENTRIES) this.delete(name);
  }

  sessionId(): Uint8Array {
    const id = this.get(STORE.session);
    if (id === undefined) refuse(StatusWord.conditionsOfUseNotSatisfied, 'no session: select the applet first');
    return id;
  }

  /** The value of a session-bound entry if it belongs to the current session (its id stripped). */
  sessionValue(name: string): Uint8Array | undefined {
    const stored = this.get(name);
    const session = this.get(STORE.session);
    if (stored === undefined || session === undefined || stored.length < SESSION_ID_BYTES) return undefined;
    return bytesEqual(stored.subarray(0, SESSION_ID_BYTES), session) ? stored.subarray(SESSION_ID_BYTES) : undefined;
  }

  setSessionValue(name: string, value: Uint8Array): void {
    this.set(name, concatBytes(this.sessionId(), value));
  }

  /** Methods (VERIFICATION_METHOD bits) verified in this session and still within their validity. */
  verifiedMethods(): number {
    const record = this.sessionValue(STORE.verification);
    if (record === undefined || record.length !== 1 + COUNTER_BYTES) return 0;
    const verifiedAt = Number(decodeCounter(record.subarray(1)));
    return this.now() - verifiedAt <= VERIFICATION_VALIDITY_MS ? (record[0] ?? 0) : 0;
  }

  addVerification(method: number): void {
    const methods = this.verifiedMethods() | method;
    this.setSessionValue(STORE.verification, concatBytes(Uint8Array.of(methods), encodeCounter(BigInt(this.now()))));
  }

  /** A verification authorizes one operation: the operation that uses it removes it. */
  consumeVerification(): void {
    this.delete(STORE.verification);
  }
}
