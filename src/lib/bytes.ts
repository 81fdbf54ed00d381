import { timingSafeEqual } from 'node:crypto';
import { LibErrorCode, TesseraError } from './errors.js';

/**
 * Byte helpers. Bytes are Uint8Array everywhere; Buffer appears only at I/O edges.
 * Hex output is upper case, as APDUs are written in ISO 7816 and GlobalPlatform.
 */

const HEX_PAIR = /^(?:[0-9a-fA-F]{2})*$/;

/** Parses hex; spaces, tabs and newlines between digits are ignored (as in specification listings). */
export function fromHex(hex: string): Uint8Array {
  const compact = hex.replace(/[\s]/g, '');
  if (!HEX_PAIR.test(compact)) {
    throw new TesseraError(LibErrorCode.hexInvalid, 'expected an even number of hex digits');
  }
  return new Uint8Array(Buffer.from(compact, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A fresh copy, so that verification never runs on memory the caller can still change. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Byte-for-byte equality for non-secret data (tags, AIDs). Use `constantTimeEqual` for secrets. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Constant-time comparison for MACs, cryptograms and codes. The length check leaks only the
 * length, which for every caller here is public (a MAC's length is fixed by the protocol).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `xor of ${a.length} and ${b.length} bytes`);
  }
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** Big-endian unsigned integer of `length` bytes. */
export function uintToBytes(value: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || length < 1 || length > 6 || value >= 2 ** (8 * length)) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `${value} does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** Big-endian unsigned integer from up to 6 bytes. */
export function bytesToUint(bytes: Uint8Array): number {
  if (bytes.length > 6) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `${bytes.length} bytes exceed a safe integer`);
  }
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
