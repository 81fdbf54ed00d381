import assert from 'node:assert/strict';
import { concatBytes, utf8 } from '../../lib/bytes.js';
import { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES } from '../../lib/crypto/index.js';
import { BINDING_CHARACTERS_MAX, KEK_VERSION_MAX, KEK_VERSION_MIN, KEYSTORE_PLAINTEXT_BYTES_MAX, PURPOSE_CHARACTERS_MAX } from './limits.js';

/**
 * Sealed format, version byte first so the key-encryption key can be rotated:
 *
 *   kekVersion (1 byte, 1-255) ‖ IV (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)
 *
 * The cipher key is HKDF-SHA256(KEK[kekVersion], info = SUBKEY_INFO_PREFIX ‖ purpose) (RFC 5869), so
 * each purpose has its own key (DESIGN.md §1.3: each key has exactly one purpose). The additional
 * data is ADDITIONAL_DATA_LABEL ‖ kekVersion ‖ len(purpose) ‖ purpose ‖ binding: the version byte
 * cannot be changed without breaking the tag, and a sealed value moved to another row does not open.
 */
export const SEALED_HEADER_BYTES = 1;
export const SEALED_BYTES_MIN = SEALED_HEADER_BYTES + AES_GCM_IV_BYTES + 1 + AES_GCM_TAG_BYTES;
export const SEALED_BYTES_MAX = SEALED_HEADER_BYTES + AES_GCM_IV_BYTES + KEYSTORE_PLAINTEXT_BYTES_MAX + AES_GCM_TAG_BYTES;
export const SUBKEY_INFO_PREFIX = 'tessera/tsm/keystore/v1/';
const ADDITIONAL_DATA_LABEL = 'tessera/tsm/keystore/v1';

/** Purposes are names fixed in the code: lower case, digits, hyphens, dots. */
const PURPOSE_PATTERN = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
/** Bindings are printable ASCII: identifiers joined by slashes. */
const BINDING_PATTERN = /^[\x20-\x7e]+$/;

export function requirePurpose(purpose: string): void {
  assert.ok(typeof purpose === 'string' && purpose.length <= PURPOSE_CHARACTERS_MAX && PURPOSE_PATTERN.test(purpose), 'keystore purpose must be a short lower-case name');
}

export function requireBinding(binding: string): void {
  assert.ok(typeof binding === 'string' && binding.length <= BINDING_CHARACTERS_MAX && BINDING_PATTERN.test(binding), 'keystore binding must be 1-256 printable ASCII characters');
}

export function requireKEKVersion(version: number): void {
  assert.ok(Number.isSafeInteger(version) && version >= KEK_VERSION_MIN && version <= KEK_VERSION_MAX, 'KEK version must be an integer from 1 to 255');
}

export function additionalData(kekVersion: number, purpose: string, binding: string): Uint8Array {
  const purposeBytes = utf8(purpose);
  return concatBytes(utf8(ADDITIONAL_DATA_LABEL), Uint8Array.of(kekVersion, purposeBytes.length), purposeBytes, utf8(binding));
}

/**
 * The KEK version a sealed value was made under, or undefined if it is too short to be one. A
 * rotation job uses it to find the rows still sealed under a retired KEK.
 */
export function kekVersionOf(sealed: Uint8Array): number | undefined {
  return sealed.length >= SEALED_BYTES_MIN ? sealed[0] : undefined;
}
