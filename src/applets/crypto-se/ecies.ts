import type { KeyObject } from 'node:crypto';
import { concatBytes } from '../../lib/bytes.js';
import {
  AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, P256_UNCOMPRESSED_POINT_BYTES, deriveECDHP256SharedSecret, deriveHKDFSHA256, exportECP256PublicKey,
  generateECP256KeyPair, importECP256PublicKey, openAESGCM, sealAESGCM, type RandomSource,
} from '../../lib/crypto/index.js';
import { LibErrorCode, TesseraError } from '../../lib/errors.js';

/**
 * ECIES over P-256 as Tessera uses it (SEC 1 v2 §5.1 with these choices):
 *
 *   (e, E)  ephemeral key pair of the sender, E uncompressed (65 bytes)
 *   Z       = ECDH(e, Q) x-coordinate (SP 800-56A Rev. 3 §5.7.1.2), Q the recipient's public key
 *   K       = HKDF-SHA256(IKM = Z, salt = E ‖ Q, info, 32 bytes)          (RFC 5869)
 *   blob    = E ‖ IV (12) ‖ AES-256-GCM(K, IV, AAD = additional data, plaintext) ‖ tag (16)
 *
 * The salt binds the key to both public keys, so a blob made for one recipient cannot be opened
 * by another even if it were handed the same ephemeral point. `info` separates the uses (credential
 * package, payment message), the additional data binds the ciphertext to its envelope.
 */

export const ECIES_OVERHEAD_BYTES = P256_UNCOMPRESSED_POINT_BYTES + AES_GCM_IV_BYTES + AES_GCM_TAG_BYTES;

function eciesKey(sharedSecret: Uint8Array, ephemeralPoint: Uint8Array, recipientPoint: Uint8Array, info: Uint8Array): Uint8Array {
  const key = deriveHKDFSHA256(sharedSecret, concatBytes(ephemeralPoint, recipientPoint), info, 32);
  sharedSecret.fill(0);
  return key;
}

export function sealECIES(recipient: KeyObject, plaintext: Uint8Array, info: Uint8Array, additionalData: Uint8Array, random: RandomSource): Uint8Array {
  const ephemeral = generateECP256KeyPair(random);
  const ephemeralPoint = exportECP256PublicKey(ephemeral.publicKey);
  const key = eciesKey(deriveECDHP256SharedSecret(ephemeral.privateKey, recipient), ephemeralPoint, exportECP256PublicKey(recipient), info);
  const sealed = sealAESGCM(key, plaintext, additionalData, random);
  key.fill(0);
  return concatBytes(ephemeralPoint, sealed);
}

/** Opens an ECIES blob; any failure (bad point, wrong key, tampering) throws ERR_CRYPTO_VERIFY alike. */
export function openECIES(recipientPrivateKey: KeyObject, recipientPoint: Uint8Array, blob: Uint8Array, info: Uint8Array, additionalData: Uint8Array): Uint8Array {
  if (blob.length < ECIES_OVERHEAD_BYTES) throw new TesseraError(LibErrorCode.cryptoVerify, 'ECIES blob could not be opened');
  const ephemeralPoint = blob.subarray(0, P256_UNCOMPRESSED_POINT_BYTES);
  let ephemeralKey: KeyObject;
  try {
    ephemeralKey = importECP256PublicKey(ephemeralPoint);
  } catch (cause) {
    throw new TesseraError(LibErrorCode.cryptoVerify, 'ECIES blob could not be opened', { cause });
  }
  const key = eciesKey(deriveECDHP256SharedSecret(recipientPrivateKey, ephemeralKey), ephemeralPoint, recipientPoint, info);
  try {
    return openAESGCM(key, blob.subarray(P256_UNCOMPRESSED_POINT_BYTES), additionalData);
  } finally {
    key.fill(0);
  }
}
