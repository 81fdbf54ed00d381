import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireBytes, requireKeyLength } from './checks.js';
import type { RandomSource } from './randomSource.js';

/** NIST SP 800-38D §8.2: a 96-bit IV, fresh for every message under one key. */
export const AES_GCM_IV_BYTES = 12;
/** Full 128-bit tag (SP 800-38D §5.2.1.2): nothing here needs shorter ones. */
export const AES_GCM_TAG_BYTES = 16;

type GCMAlgorithm = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

function gcmAlgorithm(key: Uint8Array): GCMAlgorithm {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

/**
 * AES-GCM authenticated encryption for data at rest: output is IV ‖ ciphertext ‖ tag. The
 * additional data binds a sealed value to where it belongs (for a stored key: the card, the
 * security domain and the key's id), so a sealed value moved elsewhere fails to open.
 */
export function sealAESGCM(key: Uint8Array, plaintext: Uint8Array, additionalData: Uint8Array, random: RandomSource): Uint8Array {
  requireKeyLength(key, [16, 24, 32], 'AES-GCM key');
  requireBytes(plaintext, 'plaintext');
  requireBytes(additionalData, 'additional data');
  const iv = random.bytes(AES_GCM_IV_BYTES);
  const cipher = createCipheriv(gcmAlgorithm(key), key, iv, { authTagLength: AES_GCM_TAG_BYTES });
  cipher.setAAD(additionalData);
  const body = concatBytes(cipher.update(plaintext), cipher.final());
  return concatBytes(iv, body, cipher.getAuthTag());
}

/** Opens what sealAESGCM sealed; any tampering, wrong key or wrong additional data fails the same way. */
export function openAESGCM(key: Uint8Array, sealed: Uint8Array, additionalData: Uint8Array): Uint8Array {
  requireKeyLength(key, [16, 24, 32], 'AES-GCM key');
  requireBytes(sealed, 'sealed data');
  requireBytes(additionalData, 'additional data');
  if (sealed.length < AES_GCM_IV_BYTES + AES_GCM_TAG_BYTES) {
    throw new TesseraError(LibErrorCode.cryptoVerify, 'sealed data could not be opened');
  }
  const iv = sealed.subarray(0, AES_GCM_IV_BYTES);
  const tag = sealed.subarray(sealed.length - AES_GCM_TAG_BYTES);
  const body = sealed.subarray(AES_GCM_IV_BYTES, sealed.length - AES_GCM_TAG_BYTES);
  const decipher = createDecipheriv(gcmAlgorithm(key), key, iv, { authTagLength: AES_GCM_TAG_BYTES });
  decipher.setAAD(additionalData);
  decipher.setAuthTag(tag);
  try {
    return concatBytes(decipher.update(body), decipher.final());
  } catch (error) {
    throw new TesseraError(LibErrorCode.cryptoVerify, 'sealed data could not be opened', { cause: error });
  }
}
