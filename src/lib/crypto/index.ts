/**
 * Crypto building blocks over node:crypto (no JavaScript crypto libraries). Bytes are Uint8Array,
 * keys for asymmetric operations are KeyObjects, every option is explicit, and every check of a
 * MAC, padding or signature fails the same way (LibErrorCode.cryptoVerify or `false`).
 */

// AES block modes without padding (SP 800-38A §6.1, §6.2).
export { encryptAESECB } from './encryptAESECB.js';
export { decryptAESECB } from './decryptAESECB.js';
export { encryptAESCBC } from './encryptAESCBC.js';
export { decryptAESCBC } from './decryptAESCBC.js';

// AES-CMAC (RFC 4493, SP 800-38B) and MAC truncation.
export { computeAESCMAC } from './computeAESCMAC.js';
export { AESCMACContext } from './AESCMACContext.js';
export { verifyAESCMAC } from './verifyAESCMAC.js';
export { truncateMAC } from './truncateMAC.js';

// SP 800-108r1 KDF in counter mode with AES-CMAC.
export { deriveKeyCounterMode } from './deriveKeyCounterMode.js';
export type { CounterLengthBits, CounterLocation, CounterModeParameters } from './deriveKeyCounterMode.js';

// ISO/IEC 9797-1 padding methods 1 and 2.
export { padISO9797Method1 } from './padISO9797Method1.js';
export { padISO9797Method2 } from './padISO9797Method2.js';
export { unpadISO9797Method1 } from './unpadISO9797Method1.js';
export { unpadISO9797Method2 } from './unpadISO9797Method2.js';
export type { ISO9797PaddingMethod, PaddingBlockLengthBytes } from './iso9797Padding.js';

// Triple DES (SP 800-67 Rev. 2) and ISO/IEC 9797-1 MAC algorithm 3, for EMV legacy.
export { encryptTDESECB } from './encryptTDESECB.js';
export { decryptTDESECB } from './decryptTDESECB.js';
export { encryptTDESCBC } from './encryptTDESCBC.js';
export { decryptTDESCBC } from './decryptTDESCBC.js';
export { computeRetailMAC } from './computeRetailMAC.js';
export { verifyRetailMAC } from './verifyRetailMAC.js';

// P-256 keys, ECDSA with SHA-256, and ECDH.
export { importECP256PublicKey } from './importECP256PublicKey.js';
export { importECP256PrivateKey } from './importECP256PrivateKey.js';
export { exportECP256PublicKey } from './exportECP256PublicKey.js';
export { generateECP256KeyPair } from './generateECP256KeyPair.js';
export type { ECP256KeyPair } from './generateECP256KeyPair.js';
export { signECDSAP256 } from './signECDSAP256.js';
export { verifyECDSAP256 } from './verifyECDSAP256.js';
export type { ECDSASignatureEncoding } from './ecdsaSignatureEncoding.js';
export { encodeECDSASignatureDER } from './encodeECDSASignatureDER.js';
export { decodeECDSASignatureDER } from './decodeECDSASignatureDER.js';
export { deriveECDHP256SharedSecret } from './deriveECDHP256SharedSecret.js';

// HMAC (RFC 2104 / RFC 4231) and HKDF (RFC 5869).
export { computeHMAC, computeHMACSHA256, computeHMACSHA512 } from './computeHMAC.js';
export type { HMACHash } from './computeHMAC.js';
export { verifyHMAC } from './verifyHMAC.js';
export { deriveHKDFSHA256, expandHKDFSHA256, extractHKDFSHA256 } from './deriveHKDFSHA256.js';

// Randomness, injectable.
export { createSystemRandomSource } from './randomSource.js';
export type { RandomSource } from './randomSource.js';
export { createDeterministicRandomSource } from './createDeterministicRandomSource.js';

// Sizes and limits callers need.
export {
  AES_BLOCK_BYTES,
  CRYPTO_MESSAGE_BYTES_MAX,
  DES_BLOCK_BYTES,
  MAC_TRUNCATED_BYTES_MIN,
  P256_RAW_SIGNATURE_BYTES,
  P256_UNCOMPRESSED_POINT_BYTES,
  RANDOM_BYTES_MAX,
} from './limits.js';

// Authenticated encryption for data at rest.
export { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, openAESGCM, sealAESGCM } from './sealAESGCM.js';
