import { concatBytes, constantTimeEqual, copyBytes } from '../bytes.js';
import { decryptAESCBC, encryptAESCBC, encryptAESECB } from '../crypto/index.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireAESKey } from './checks.js';
import { SCP03_KEY_CHECK_VALUE_BYTES } from './limits.js';

/**
 * K-DEK helpers for PUT KEY with AES keys (GP Card Specification 2.3 §11.8, key data field; and
 * Amendment D: keys are encrypted with the static K-DEK in AES-CBC with an ICV of zeros, each key
 * on its own).
 */

const AES_BLOCK_BYTES = 16;
/** GP key type coding for AES. */
export const GP_KEY_TYPE_AES = 0x88;
/** The block a key check value is computed over for AES: 16 bytes '01'. */
const KEY_CHECK_VALUE_INPUT = new Uint8Array(AES_BLOCK_BYTES).fill(0x01);
const ZERO_ICV = new Uint8Array(AES_BLOCK_BYTES);
/** BER short form only: every AES key data (at most 33 bytes) fits. */
const SHORT_LENGTH_MAX = 0x7f;

/**
 * Key check value of an AES key: the leftmost 3 bytes of AES-ECB(key, 16 bytes '01')
 * (GP Card Specification 2.3, key check value annex).
 */
export function computeAESKeyCheckValue(key: Uint8Array): Uint8Array {
  requireAESKey(key, 'AES key');
  return encryptAESECB(key, KEY_CHECK_VALUE_INPUT).slice(0, SCP03_KEY_CHECK_VALUE_BYTES);
}

/**
 * The key data for a new AES key: its clear length in one byte (16, 24 or 32), then
 * AES-CBC(K-DEK, zero ICV, key padded to whole blocks). This is the layout GlobalPlatformPro
 * sends to real cards for SCP03 keysets (GPSession.encodeKey: type '88', length = ciphertext + 1,
 * key length, ciphertext) and the one lib/gp/putKey.ts expects. The padding of an AES-192 key
 * is '00' bytes; the receiver reads the length and ignores it.
 */
export function encryptKeyWithDEK(dek: Uint8Array, key: Uint8Array): Uint8Array {
  requireAESKey(dek, 'K-DEK');
  requireAESKey(key, 'key to protect');
  const padded = new Uint8Array(Math.ceil(key.length / AES_BLOCK_BYTES) * AES_BLOCK_BYTES);
  padded.set(key);
  const keyData = concatBytes(Uint8Array.of(key.length), encryptAESCBC(dek, ZERO_ICV, padded));
  padded.fill(0);
  return keyData;
}

/**
 * The card's inverse: the AES key in its key data. Also reads the bare form (ciphertext of a
 * 16- or 32-byte key without the length byte, as osmocom pySim sends whole-block keys): the two
 * cannot be confused, since the prefixed form is always one byte longer than whole blocks.
 * Throws ERR_CRYPTO_INPUT when the bytes are neither.
 */
export function decryptKeyWithDEK(dek: Uint8Array, keyData: Uint8Array): Uint8Array {
  requireAESKey(dek, 'K-DEK');
  const bytes = copyBytes(keyData);
  const prefixed = bytes.length % AES_BLOCK_BYTES === 1;
  const ciphertext = prefixed ? bytes.subarray(1) : bytes;
  const keyLength = prefixed ? (bytes[0] ?? 0) : bytes.length;
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK_BYTES !== 0 || keyLength > ciphertext.length) {
    throw new TesseraError(LibErrorCode.cryptoInput, 'expected AES key data: a length byte and whole AES blocks');
  }
  const padded = decryptAESCBC(dek, ZERO_ICV, ciphertext);
  const key = padded.slice(0, keyLength);
  padded.fill(0);
  requireAESKey(key, 'decrypted key');
  return key;
}

/**
 * One AES key in the PUT KEY data field (GP 2.3 §11.8): '88' || length || key data || '03' || KCV.
 */
export function encodeAESKeyDataField(dek: Uint8Array, key: Uint8Array): Uint8Array {
  const block = encryptKeyWithDEK(dek, key);
  return concatBytes(
    Uint8Array.of(GP_KEY_TYPE_AES, block.length),
    block,
    Uint8Array.of(SCP03_KEY_CHECK_VALUE_BYTES),
    computeAESKeyCheckValue(key),
  );
}

export type DecodeAESKeyDataFieldResult =
  | { readonly ok: true; readonly key: Uint8Array; readonly lengthBytes: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'keyTypeNotAES' | 'keyCheckValueInvalid'; readonly sw: number };

/**
 * Reads one AES key from the start of a PUT KEY key data field (several may follow each other;
 * `lengthBytes` says where the next starts). A key check value is required: Tessera does not
 * accept a key it cannot check. Status words per GP 2.3 §11.8: '6A80' malformed, '9484' algorithm
 * not supported, '9485' invalid key check value.
 */
export function decodeAESKeyDataField(dek: Uint8Array, field: Uint8Array): DecodeAESKeyDataFieldResult {
  const bytes = copyBytes(field);
  const keyType = bytes[0];
  const blockLength = bytes[1];
  if (keyType === undefined || blockLength === undefined || blockLength > SHORT_LENGTH_MAX) return { ok: false, reason: 'malformed', sw: 0x6a80 };
  if (keyType !== GP_KEY_TYPE_AES) return { ok: false, reason: 'keyTypeNotAES', sw: 0x9484 };
  const blockEnd = 2 + blockLength;
  const checkValueLength = bytes[blockEnd];
  const end = blockEnd + 1 + SCP03_KEY_CHECK_VALUE_BYTES;
  if (checkValueLength !== SCP03_KEY_CHECK_VALUE_BYTES || bytes.length < end) return { ok: false, reason: 'malformed', sw: 0x6a80 };
  let key: Uint8Array;
  try {
    key = decryptKeyWithDEK(dek, bytes.subarray(2, blockEnd));
  } catch {
    return { ok: false, reason: 'malformed', sw: 0x6a80 };
  }
  if (!constantTimeEqual(computeAESKeyCheckValue(key), bytes.subarray(blockEnd + 1, end))) {
    key.fill(0);
    return { ok: false, reason: 'keyCheckValueInvalid', sw: 0x9485 };
  }
  return { ok: true, key, lengthBytes: end };
}
