import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RandomSource } from '../lib/crypto/index.js';
import { toHex } from '../lib/bytes.js';
import { AUTHORIZATION_CODE_LENGTH } from './limits.js';

/** A random (version 4) UUID from the injected source. */
export function newId(random: RandomSource): string {
  const bytes = random.bytes(16);
  assert.equal(bytes.length, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = toHex(bytes).toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CODE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Largest multiple of 36 below 256: bytes at or above it are drawn again, so every character is equally likely. */
const CODE_BYTE_LIMIT = 252;

/** ISO 8583 field 38: six upper-case letters and digits, uniformly from the CSPRNG. */
export function newAuthorizationCode(random: RandomSource): string {
  let code = '';
  while (code.length < AUTHORIZATION_CODE_LENGTH) {
    for (const byte of random.bytes(AUTHORIZATION_CODE_LENGTH * 2)) {
      if (byte < CODE_BYTE_LIMIT && code.length < AUTHORIZATION_CODE_LENGTH) code += CODE_ALPHABET[byte % 36] ?? '';
    }
  }
  return code;
}

/** The business date of an instant: its UTC calendar date, YYYY-MM-DD. */
export function businessDateOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

export function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

/** The lookup hash of a token PAN; the PAN itself is a token and is stored too (README). */
export function panHash(pan: string): Uint8Array {
  return sha256(`tessera.bank.pan:${pan}`);
}

/** YYMM is valid through the last instant of that month (EMV Book 3 §A, tag 5F24 YYMMDD with DD the month's last day). */
export function expiryEndMs(expiry: string): number {
  const year = 2000 + Number(expiry.slice(0, 2));
  const month = Number(expiry.slice(2, 4));
  return Date.UTC(year, month, 1) - 1;
}

export const PAN_PATTERN = /^[0-9]{12,19}$/;
export const EXPIRY_PATTERN = /^[0-9]{2}(0[1-9]|1[0-2])$/;
export const STAN_PATTERN = /^[0-9]{6}$/;
export const TERMINAL_ID_PATTERN = /^[ -~]{8}$/;
export const MERCHANT_ID_PATTERN = /^[ -~]{15}$/;
