import { LibErrorCode, TesseraError } from '../errors.js';
import { SCP03_AID_BYTES_MAX, SCP03_AID_BYTES_MIN, SCP03_KEY_VERSION_MAX } from './limits.js';
import { scp03ChallengeBytes, type SCP03Mode, type SCP03StaticKeys } from './types.js';

/**
 * Input checks shared by the SCP03 functions. They name what was expected and what was received,
 * never echoing key material (only lengths, which are public).
 */

const AES_KEY_LENGTHS_BYTES: readonly number[] = [16, 24, 32];

export function requireAESKey(key: unknown, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || !AES_KEY_LENGTHS_BYTES.includes(key.length)) {
    const received = key instanceof Uint8Array ? `${key.length} bytes` : 'no bytes';
    throw new TesseraError(LibErrorCode.cryptoInput, `expected ${name} as an AES-128, AES-192 or AES-256 key, received ${received}`);
  }
}

export function requireStaticKeys(keys: SCP03StaticKeys): void {
  requireKeyVersion(keys.keyVersion, 1);
  requireAESKey(keys.enc, 'K-ENC');
  requireAESKey(keys.mac, 'K-MAC');
  requireAESKey(keys.dek, 'K-DEK');
}

/** Key version numbers '01'-'FF' name a keyset; '00' (minimum 0) only appears as "any" in INITIALIZE UPDATE P1. */
export function requireKeyVersion(value: unknown, minimum: 0 | 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > SCP03_KEY_VERSION_MAX) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected a key version from ${minimum} to ${SCP03_KEY_VERSION_MAX}, received ${String(value)}`);
  }
}

export function requireChallenge(value: unknown, mode: SCP03Mode, name: string): asserts value is Uint8Array {
  const expected = scp03ChallengeBytes(mode);
  if (!(value instanceof Uint8Array) || value.length !== expected) {
    const received = value instanceof Uint8Array ? `${value.length} bytes` : 'no bytes';
    throw new TesseraError(LibErrorCode.lengthInvalid, `expected a ${mode} ${name} of ${expected} bytes, received ${received}`);
  }
}

export function requireAID(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < SCP03_AID_BYTES_MIN || value.length > SCP03_AID_BYTES_MAX) {
    const received = value instanceof Uint8Array ? `${value.length} bytes` : 'no bytes';
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected ${name} of ${SCP03_AID_BYTES_MIN} to ${SCP03_AID_BYTES_MAX} bytes, received ${received}`,
    );
  }
}

export function requireMode(value: unknown): asserts value is SCP03Mode {
  if (value !== 'S8' && value !== 'S16') {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected SCP03 mode S8 or S16, received ${String(value)}`);
  }
}

/** The one failure every MAC and cryptogram check reports (same code, same message: no oracle). */
export function scp03VerificationFailure(): TesseraError {
  return new TesseraError(LibErrorCode.cryptoVerify, 'verification failed');
}
