import { concatBytes } from '../bytes.js';
import { KeyType, PutKeyP1, PutKeyP2 } from './constants.js';
import { FieldReader, encodeBERLV, encodeLV, isByte, requireBytes } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { KEY_CHECK_VALUE_BYTES_MAX, PUT_KEY_KEYS_MAX } from './limits.js';

/**
 * PUT KEY data field (GP 2.3 §11.8.2.3, basic format Table 11-68) and response (§11.8.3):
 *
 *   new key version number (1)
 *   then per key:  key type (1)   L key data (BER length, §11.8.2.3.1; '80' read as 128)   key data
 *                  L key check value (1)   key check value
 *
 * The key data is the key component enciphered under the DEK: that is the secure channel's job
 * (lib/scp03). For AES keys (type '88', Amendment D) the key data is one byte giving the clear
 * key length (16, 24 or 32) followed by the enciphered key, a whole number of AES blocks; see
 * `encodeAESKeyData`. The extended format (key type 'FF') is not supported.
 *
 * The card answers with the key version number followed by the key check value of each key
 * that had one.
 */

export interface PutKeyComponent {
  readonly keyType: number;
  readonly keyData: Uint8Array;
  /** Empty when no check value is sent. */
  readonly keyCheckValue: Uint8Array;
}

export interface PutKeyData {
  readonly keyVersionNumber: number;
  readonly keys: readonly PutKeyComponent[];
}

const WHAT = 'PUT KEY data';
/** GP 2.3 §11.8.2.2: key version numbers '01'-'7F' (b8 of P1 is "more commands"). */
const KEY_VERSION_MIN = 0x01;
const KEY_VERSION_MAX = 0x7f;
const KEY_DATA_BYTES_MAX = 0xffff;
const AES_BLOCK_BYTES = 16;
const AES_KEY_LENGTHS: readonly number[] = [16, 24, 32];

function requireKeyVersion(value: unknown): number {
  if (!isByte(value) || value < KEY_VERSION_MIN || value > KEY_VERSION_MAX) {
    throw gpMalformed(`${WHAT}: expected a key version number from 01 to 7F, received ${String(value)}`);
  }
  return value;
}

function requireKeyType(value: unknown): number {
  if (!isByte(value)) throw gpMalformed(`${WHAT}: a key type is one byte`);
  if (value === KeyType.EXTENDED_FORMAT) throw gpMalformed(`${WHAT}: the extended key format ('FF') is not supported`);
  return value;
}

function checkAESKeyData(keyData: Uint8Array): void {
  decodeAESKeyData(keyData);
}

export function encodePutKeyData(data: PutKeyData): Uint8Array {
  if (data.keys.length === 0 || data.keys.length > PUT_KEY_KEYS_MAX) {
    throw gpLimit(`${WHAT}: expected 1 to ${PUT_KEY_KEYS_MAX} keys, received ${data.keys.length}`);
  }
  return concatBytes(
    Uint8Array.of(requireKeyVersion(data.keyVersionNumber)),
    ...data.keys.map((key) => {
      const keyType = requireKeyType(key.keyType);
      const keyData = requireBytes(key.keyData, 'key data');
      if (keyData.length === 0 || keyData.length > KEY_DATA_BYTES_MAX) throw gpMalformed(`${WHAT}: key data has 1 to ${KEY_DATA_BYTES_MAX} bytes`);
      if (keyType === KeyType.AES) checkAESKeyData(keyData);
      const kcv = requireBytes(key.keyCheckValue, 'key check value');
      if (kcv.length > KEY_CHECK_VALUE_BYTES_MAX) throw gpMalformed(`${WHAT}: a key check value has at most ${KEY_CHECK_VALUE_BYTES_MAX} bytes`);
      return concatBytes(Uint8Array.of(keyType), encodeBERLV(keyData, 'key data'), encodeLV(kcv, 'key check value'));
    }),
  );
}

export function decodePutKeyData(received: Uint8Array): PutKeyData {
  const reader = new FieldReader(received, WHAT);
  const keyVersionNumber = requireKeyVersion(reader.readByte('new key version number'));
  const keys: PutKeyComponent[] = [];
  while (reader.remaining > 0) {
    if (keys.length === PUT_KEY_KEYS_MAX) throw gpLimit(`${WHAT}: more than ${PUT_KEY_KEYS_MAX} keys`);
    const keyType = requireKeyType(reader.readByte('key type'));
    const keyData = reader.readBERLV('key data', KEY_DATA_BYTES_MAX, true);
    if (keyData.length === 0) throw gpMalformed(`${WHAT}: key data is empty`);
    if (keyType === KeyType.AES) checkAESKeyData(keyData);
    const keyCheckValue = reader.readLV('key check value', KEY_CHECK_VALUE_BYTES_MAX);
    keys.push({ keyType, keyData, keyCheckValue });
  }
  if (keys.length === 0) throw gpMalformed(`${WHAT}: no key after the key version number`);
  return { keyVersionNumber, keys };
}

/** AES key data (Amendment D): clear key length, then the key enciphered under the DEK. */
export interface AESKeyData {
  readonly keyLengthBytes: number;
  readonly encryptedKey: Uint8Array;
}

export function encodeAESKeyData(keyData: AESKeyData): Uint8Array {
  const encrypted = requireBytes(keyData.encryptedKey, 'enciphered key');
  const result = concatBytes(Uint8Array.of(keyData.keyLengthBytes), encrypted);
  decodeAESKeyData(result);
  return result;
}

export function decodeAESKeyData(keyData: Uint8Array): AESKeyData {
  const [keyLengthBytes] = keyData;
  if (keyLengthBytes === undefined || !AES_KEY_LENGTHS.includes(keyLengthBytes)) {
    throw gpMalformed(`${WHAT}: AES key data starts with the key length, 16, 24 or 32`);
  }
  const encryptedKey = keyData.subarray(1);
  if (encryptedKey.length % AES_BLOCK_BYTES !== 0 || encryptedKey.length < keyLengthBytes) {
    throw gpMalformed(`${WHAT}: an enciphered AES-${keyLengthBytes * 8} key is whole AES blocks, at least ${keyLengthBytes} bytes; received ${encryptedKey.length}`);
  }
  return { keyLengthBytes, encryptedKey };
}

/** The response: key version number, then each key check value (GP 2.3 §11.8.3). */
export interface PutKeyResponse {
  readonly keyVersionNumber: number;
  readonly keyCheckValues: readonly Uint8Array[];
}

export function encodePutKeyResponse(response: PutKeyResponse): Uint8Array {
  return concatBytes(Uint8Array.of(requireKeyVersion(response.keyVersionNumber)), ...response.keyCheckValues);
}

/** `checkValueBytes` per key (3 for DES and AES check values); `keyCount` the keys that had one. */
export function decodePutKeyResponse(received: Uint8Array, keyCount: number, checkValueBytes = 3): PutKeyResponse {
  if (!Number.isInteger(keyCount) || keyCount < 0 || keyCount > PUT_KEY_KEYS_MAX) throw gpLimit(`expected 0 to ${PUT_KEY_KEYS_MAX} keys`);
  const reader = new FieldReader(received, 'PUT KEY response');
  const keyVersionNumber = requireKeyVersion(reader.readByte('key version number'));
  const keyCheckValues: Uint8Array[] = [];
  for (let i = 0; i < keyCount; i++) keyCheckValues.push(reader.readBytes(checkValueBytes, `key check value ${i + 1}`));
  reader.expectEnd();
  return { keyVersionNumber, keyCheckValues };
}

/** PUT KEY P1: the version to replace ('00' for a new key set), b8 when more PUT KEY commands follow. */
export function putKeyP1(replacedKeyVersionNumber: number, moreCommands = false): number {
  if (!Number.isInteger(replacedKeyVersionNumber) || replacedKeyVersionNumber < 0 || replacedKeyVersionNumber > KEY_VERSION_MAX) {
    throw gpMalformed(`PUT KEY P1: key version to replace must be 00 to 7F, received ${String(replacedKeyVersionNumber)}`);
  }
  return replacedKeyVersionNumber | (moreCommands ? PutKeyP1.moreCommands : 0);
}

/** PUT KEY P2: the (first) key identifier, b8 when the command carries several keys. */
export function putKeyP2(keyIdentifier: number, multipleKeys: boolean): number {
  if (!Number.isInteger(keyIdentifier) || keyIdentifier < 0 || keyIdentifier > PutKeyP2.keyIdentifierMask) {
    throw gpMalformed(`PUT KEY P2: key identifier must be 00 to 7F, received ${String(keyIdentifier)}`);
  }
  return keyIdentifier | (multipleKeys ? PutKeyP2.multipleKeys : 0);
}
