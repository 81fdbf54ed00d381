import assert from 'node:assert/strict';
import { concatBytes, utf8 } from '../../lib/bytes.js';
import { deriveHKDFSHA256, openAESGCM, sealAESGCM } from '../../lib/crypto/index.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { KeyStoreErrorCode } from './errors.js';
import { KEK_BYTES, KEK_VERSIONS_MAX, KEYSTORE_PLAINTEXT_BYTES_MAX, SUBKEY_BYTES, SUBKEYS_CACHED_MAX } from './limits.js';
import {
  SEALED_BYTES_MAX,
  SEALED_BYTES_MIN,
  SEALED_HEADER_BYTES,
  SUBKEY_INFO_PREFIX,
  additionalData,
  requireBinding,
  requireKEKVersion,
  requirePurpose,
} from './sealedFormat.js';
import type { KeyStore } from './types.js';

export interface VersionedKEK {
  /** 1-255, written as the first byte of everything sealed under this KEK. */
  readonly version: number;
  /** 32 bytes; copied, so the caller may wipe its buffer. */
  readonly kek: Uint8Array;
}

export interface VersionedKeyStoreOptions {
  /** Every KEK the store can open with, at most KEK_VERSIONS_MAX. */
  readonly keks: readonly VersionedKEK[];
  /** The version new seals use; it must be among `keks`. */
  readonly sealingVersion: number;
  /** IVs come from here. */
  readonly random: RandomSource;
}

/** One message for every failure to open: no oracle telling a wrong binding from a flipped bit. */
const OPEN_FAILED_MESSAGE = 'sealed key could not be opened';

function openFailed(cause: unknown): TesseraError {
  return new TesseraError(KeyStoreErrorCode.openFailed, OPEN_FAILED_MESSAGE, { cause });
}

function deriveSubkey(kek: Uint8Array, purpose: string): Uint8Array {
  return deriveHKDFSHA256(kek, new Uint8Array(0), utf8(`${SUBKEY_INFO_PREFIX}${purpose}`), SUBKEY_BYTES);
}

/**
 * The keystore over a set of versioned KEKs (format in sealedFormat.ts): seals under
 * `sealingVersion`, opens under whichever version the sealed value names. Holding an old and a new
 * KEK at once is what a rotation needs (README.md, "Rotating the KEK").
 */
export function createVersionedKeyStore(options: VersionedKeyStoreOptions): KeyStore {
  assert.ok(options.keks.length >= 1 && options.keks.length <= KEK_VERSIONS_MAX, `a keystore holds 1-${KEK_VERSIONS_MAX} KEKs`);
  const keks = new Map<number, Uint8Array>();
  for (const { version, kek } of options.keks) {
    requireKEKVersion(version);
    assert.ok(kek instanceof Uint8Array && kek.length === KEK_BYTES, `a KEK is ${KEK_BYTES} bytes`);
    assert.ok(!keks.has(version), 'KEK versions must be distinct');
    keks.set(version, new Uint8Array(kek));
  }
  const sealingKEK = keks.get(options.sealingVersion);
  assert.ok(sealingKEK !== undefined, 'the sealing KEK version must be one of the KEKs');
  const sealingVersion = options.sealingVersion;
  const random = options.random;
  // Each (KEK version, purpose) subkey is derived once: HKDF cost more than the AES-GCM it keys,
  // on every seal and open. A subkey reveals no more than the KEK it comes from, which the store
  // holds for its lifetime anyway. Purposes are names fixed in the code, so the cache stays small;
  // it is bounded all the same.
  const subkeys = new Map<string, Uint8Array>();
  const withSubkey = <T>(version: number, kek: Uint8Array, purpose: string, use: (key: Uint8Array) => T): T => {
    const name = `${version}/${purpose}`;
    const cached = subkeys.get(name);
    if (cached !== undefined) return use(cached);
    const derived = deriveSubkey(kek, purpose);
    if (subkeys.size < SUBKEYS_CACHED_MAX) {
      subkeys.set(name, derived);
      return use(derived);
    }
    try {
      return use(derived);
    } finally {
      derived.fill(0);
    }
  };

  return {
    seal(purpose: string, plaintext: Uint8Array, binding: string): Uint8Array {
      requirePurpose(purpose);
      requireBinding(binding);
      assert.ok(plaintext instanceof Uint8Array && plaintext.length >= 1 && plaintext.length <= KEYSTORE_PLAINTEXT_BYTES_MAX, `plaintext must be 1-${KEYSTORE_PLAINTEXT_BYTES_MAX} bytes`);
      const body = withSubkey(sealingVersion, sealingKEK, purpose, (key) => sealAESGCM(key, plaintext, additionalData(sealingVersion, purpose, binding), random));
      return concatBytes(Uint8Array.of(sealingVersion), body);
    },

    open(purpose: string, sealed: Uint8Array, binding: string): Uint8Array {
      requirePurpose(purpose);
      requireBinding(binding);
      assert.ok(sealed instanceof Uint8Array, 'sealed must be a Uint8Array');
      if (sealed.length < SEALED_BYTES_MIN || sealed.length > SEALED_BYTES_MAX) {
        throw openFailed(new Error(`sealed length ${sealed.length} outside ${SEALED_BYTES_MIN}-${SEALED_BYTES_MAX}`));
      }
      // Copied first: the caller's buffer could change between the checks and the decryption.
      const received = new Uint8Array(sealed);
      const version = received[0] ?? 0;
      const kek = keks.get(version);
      if (kek === undefined) throw openFailed(new Error(`no KEK with version ${version}`));
      try {
        return withSubkey(version, kek, purpose, (key) => openAESGCM(key, received.subarray(SEALED_HEADER_BYTES), additionalData(version, purpose, binding)));
      } catch (error) {
        throw openFailed(error);
      }
    },
  };
}
