/**
 * Sizes fixed by the specifications and the limits Tessera puts on every input, in one place so
 * that a reviewer sees every bound at a glance (TIGER_STYLE: a limit on everything, unit last).
 */

/** AES block size: FIPS 197 §3.1 (Nb = 4 words of 32 bits). */
export const AES_BLOCK_BYTES = 16;
/** DES / TDEA block size: 64 bits (SP 800-67 Rev. 2). */
export const DES_BLOCK_BYTES = 8;
/** One DES key; TDEA keys are two (keying option 2) or three (keying option 1) of them. */
export const DES_KEY_BYTES = 8;

/** FIPS 197 §5: AES-128, AES-192 and AES-256 are the only key sizes. */
export const AES_KEY_LENGTHS_BYTES: readonly number[] = [16, 24, 32];
/** SP 800-67 keying option 2 (K1, K2, K3 = K1) and keying option 1 (K1, K2, K3). */
export const TDES_KEY_LENGTHS_BYTES: readonly number[] = [16, 24];

/**
 * Largest message any primitive here accepts. The biggest thing Tessera encrypts, MACs or signs is
 * an applet load file (hundreds of KiB); 16 MiB leaves room while keeping a hostile length from
 * pinning a CPU or exhausting memory.
 */
export const CRYPTO_MESSAGE_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Shortest MAC we let a caller truncate to or verify: 4 bytes, the shortest EMV allows (EMV Book 2
 * Annex A1.2: 4 <= s <= 8). SP 800-38B Appendix A recommends at least 64 bits for most uses, as a
 * shorter tag is easier to guess; protocols that use 4 bytes bound the number of tries instead.
 */
export const MAC_TRUNCATED_BYTES_MIN = 4;

/** HMAC keys longer than a hash block are hashed first (RFC 2104 §2); beyond this they are a bug. */
export const HMAC_KEY_BYTES_MAX = 1024;

/** SP 800-108 output we ever need is a few session keys; a bound keeps the loop short. */
export const KDF_OUTPUT_BYTES_MAX = 1024;

/** RFC 5869 §2.3: L <= 255 * HashLen. For SHA-256, HashLen = 32. */
export const HKDF_SHA256_OUTPUT_BYTES_MAX = 255 * 32;

/** Largest single request to a RandomSource; keys, nonces and challenges are far smaller. */
export const RANDOM_BYTES_MAX = 64 * 1024;

/** P-256 field elements, scalars and signature halves: SEC 1 v2 §2.3.5, 256 bits. */
export const P256_SCALAR_BYTES = 32;
/** SEC 1 v2 §2.3.3: 0x04 || X || Y. */
export const P256_UNCOMPRESSED_POINT_BYTES = 1 + 2 * P256_SCALAR_BYTES;
/** IEEE P1363 signature: r || s, each left-padded to 32 bytes. */
export const P256_RAW_SIGNATURE_BYTES = 2 * P256_SCALAR_BYTES;
