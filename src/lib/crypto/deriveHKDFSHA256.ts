import { concatBytes } from '../bytes.js';
import { requireBytes, requireIntegerInRange, requireMessage } from './checks.js';
import { computeHMACSHA256, HMAC_OUTPUT_BYTES } from './computeHMAC.js';
import { HKDF_SHA256_OUTPUT_BYTES_MAX, HMAC_KEY_BYTES_MAX } from './limits.js';

const SHA256_BYTES = HMAC_OUTPUT_BYTES.sha256;

/**
 * HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM). An absent (empty) salt is, per the
 * RFC, a string of HashLen zeros; it is substituted explicitly since computeHMAC refuses empty keys.
 */
export function extractHKDFSHA256(salt: Uint8Array, inputKeyMaterial: Uint8Array): Uint8Array {
  requireBytes(salt, 'HKDF salt');
  requireMessage(inputKeyMaterial, 'input key material');
  return computeHMACSHA256(salt.length === 0 ? new Uint8Array(SHA256_BYTES) : salt, inputKeyMaterial);
}

/**
 * HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC-Hash(PRK, T(i-1) || info || i), i from 1 to
 * ceil(L / HashLen) <= 255; OKM = the first L bytes of T(1) || T(2) || ...
 */
export function expandHKDFSHA256(pseudorandomKey: Uint8Array, info: Uint8Array, lengthBytes: number): Uint8Array {
  requireBytes(pseudorandomKey, 'HKDF pseudorandom key');
  // RFC 5869 §2.3: PRK is at least HashLen bytes.
  requireIntegerInRange(pseudorandomKey.length, SHA256_BYTES, HMAC_KEY_BYTES_MAX, 'HKDF pseudorandom key length in bytes');
  requireMessage(info, 'HKDF info');
  requireIntegerInRange(lengthBytes, 1, HKDF_SHA256_OUTPUT_BYTES_MAX, 'HKDF output length in bytes');
  const blockCount = Math.ceil(lengthBytes / SHA256_BYTES);
  const output = new Uint8Array(blockCount * SHA256_BYTES);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= blockCount; i++) {
    previous = computeHMACSHA256(pseudorandomKey, concatBytes(previous, info, Uint8Array.of(i)));
    output.set(previous, (i - 1) * SHA256_BYTES);
  }
  const okm = output.slice(0, lengthBytes);
  output.fill(0);
  return okm;
}

/** HKDF with SHA-256 (RFC 5869 §2): Extract then Expand. */
export function deriveHKDFSHA256(
  inputKeyMaterial: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  lengthBytes: number,
): Uint8Array {
  const pseudorandomKey = extractHKDFSHA256(salt, inputKeyMaterial);
  const okm = expandHKDFSHA256(pseudorandomKey, info, lengthBytes);
  pseudorandomKey.fill(0);
  return okm;
}
