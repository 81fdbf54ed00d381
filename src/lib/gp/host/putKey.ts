import { constantTimeEqual, toHex } from '../../bytes.js';
import { computeAESKeyCheckValue, encryptKeyWithDEK } from '../../scp03/index.js';
import { KeyType } from '../constants.js';
import { decodePutKeyResponse, encodePutKeyData, putKeyP1, putKeyP2 } from '../putKey.js';
import { gpResponseError } from './errors.js';

/**
 * PUT KEY for an SCP03 keyset (GP 2.3 §11.8, Amendment D §7.2): one command carrying K-ENC,
 * K-MAC and K-DEK as key identifiers 1, 2, 3 (P2 '81': first identifier 1, several keys), each
 * enciphered under the static K-DEK of the current secure channel session and followed by its key
 * check value. P1 names the key version to replace, or '00' to add a new keyset.
 */

/** The keys of a keyset to put; each AES-128, AES-192 or AES-256. */
export interface NewKeyset {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

export interface PutKeyRequest {
  /** The key version number to replace; absent adds a new keyset (P1 '00'). */
  readonly replaceVersion?: number;
  /** The new key version number, '01'-'7F'. */
  readonly newVersion: number;
  readonly keys: NewKeyset;
}

export interface PutKeyResult {
  readonly keyVersion: number;
  /** K-ENC, K-MAC, K-DEK key check values as the card computed them (and the host checked), hex. */
  readonly keyCheckValuesHex: readonly string[];
  /** Whether a keyset was replaced (P1 ≠ '00') or added. */
  readonly replaced: boolean;
}

const FIRST_KEY_IDENTIFIER = 1;
const KEY_CHECK_VALUE_BYTES = 3;

export interface PutKeyCommandParts {
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** What the card must answer with, to be compared by `checkPutKeyResponse`. */
  readonly expectedCheckValues: readonly Uint8Array[];
}

/** Builds P1, P2 and the data field; `staticDEK` is the K-DEK of the keyset the current session was opened with. */
export function buildPutKeyCommand(request: PutKeyRequest, staticDEK: Uint8Array): PutKeyCommandParts {
  const ordered = [request.keys.enc, request.keys.mac, request.keys.dek];
  const expectedCheckValues = ordered.map((key) => computeAESKeyCheckValue(key));
  const data = encodePutKeyData({
    keyVersionNumber: request.newVersion,
    keys: ordered.map((key, index) => ({
      keyType: KeyType.AES,
      keyData: encryptKeyWithDEK(staticDEK, key),
      keyCheckValue: expectedCheckValues[index] as Uint8Array,
    })),
  });
  return {
    p1: putKeyP1(request.replaceVersion ?? 0),
    p2: putKeyP2(FIRST_KEY_IDENTIFIER, true),
    data,
    expectedCheckValues,
  };
}

/** GP 2.3 §11.8.3: the card answers the new key version then each key check value; both must match what was sent. */
export function checkPutKeyResponse(request: PutKeyRequest, parts: PutKeyCommandParts, received: Uint8Array): PutKeyResult {
  let response;
  try {
    response = decodePutKeyResponse(received, parts.expectedCheckValues.length, KEY_CHECK_VALUE_BYTES);
  } catch (error) {
    throw gpResponseError('PUT KEY', 'the response is not a key version and three key check values', error);
  }
  if (response.keyVersionNumber !== request.newVersion) {
    throw gpResponseError('PUT KEY', `expected key version ${hex(request.newVersion)} in the response, received ${hex(response.keyVersionNumber)}`);
  }
  parts.expectedCheckValues.forEach((expected, index) => {
    const receivedValue = response.keyCheckValues[index];
    if (receivedValue === undefined || !constantTimeEqual(expected, receivedValue)) {
      throw gpResponseError('PUT KEY', `the card's key check value for key ${index + 1} does not match the key sent`);
    }
  });
  return {
    keyVersion: response.keyVersionNumber,
    keyCheckValuesHex: response.keyCheckValues.map((value) => toHex(value)),
    replaced: request.replaceVersion !== undefined && request.replaceVersion !== 0,
  };
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
