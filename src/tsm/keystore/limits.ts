/** Bounds of the keystore (TIGER_STYLE: a limit on everything, unit last). */

/** The key-encryption key: AES-256 strength (SP 800-57 Part 1 Rev. 5 §5.6.1: 256-bit security for keys that protect other keys long-term). */
export const KEK_BYTES = 32;
/** Per-purpose subkeys for AES-256-GCM. */
export const SUBKEY_BYTES = 32;
/** Derived subkeys a store keeps, one per (KEK version, purpose); beyond this they are derived per use. */
export const SUBKEYS_CACHED_MAX = 64;
/** Largest secret sealed: SD keysets are 3 × 32 bytes, a P-256 PKCS#8 PEM about 250 characters. */
export const KEYSTORE_PLAINTEXT_BYTES_MAX = 4096;
/** A purpose is a short fixed name from the code. */
export const PURPOSE_CHARACTERS_MAX = 64;
/** A binding names a row: `cin/sdAid/kvn` and the like. */
export const BINDING_CHARACTERS_MAX = 256;
/** KEK versions are one byte in the sealed format; 0 is never used, so an all-zero buffer is not a valid seal. */
export const KEK_VERSION_MIN = 1;
export const KEK_VERSION_MAX = 255;
/** A store can open under the current KEK and this many retired ones while a rotation is in progress. */
export const KEK_VERSIONS_MAX = 8;
