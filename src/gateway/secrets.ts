import { createHash, createHmac, scrypt, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../lib/crypto/index.js';
import {
  OTP_DIGITS, SCRYPT_BLOCK_SIZE, SCRYPT_COST, SCRYPT_MEMORY_BYTES_MAX, SCRYPT_PARALLELIZATION,
} from './limits.js';

const SCRYPT_KEY_BYTES = 32;
const SALT_BYTES = 16;

function scryptAsync(password: string, salt: Buffer, cost: number, blockSize: number, parallelization: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, SCRYPT_KEY_BYTES, { N: cost, r: blockSize, p: parallelization, maxmem: SCRYPT_MEMORY_BYTES_MAX }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string, random: RandomSource): Promise<string> {
  const salt = Buffer.from(random.bytes(SALT_BYTES));
  const key = await scryptAsync(password, salt, SCRYPT_COST, SCRYPT_BLOCK_SIZE, SCRYPT_PARALLELIZATION);
  return `scrypt$${SCRYPT_COST}$${SCRYPT_BLOCK_SIZE}$${SCRYPT_PARALLELIZATION}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash verifying nothing, so an unknown identity costs as much as a wrong password (no oracle). */
export const DUMMY_PASSWORD_HASH = `scrypt$${SCRYPT_COST}$${SCRYPT_BLOCK_SIZE}$${SCRYPT_PARALLELIZATION}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, blockSize, parallelization, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const received = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(cost), Number(blockSize), Number(parallelization));
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** A uniformly random decimal code of OTP_DIGITS digits from the CSPRNG (rejection sampling, no modulo bias). */
export function generateAuthorizationCode(random: RandomSource): string {
  let code = '';
  while (code.length < OTP_DIGITS) {
    for (const byte of random.bytes(OTP_DIGITS * 2)) {
      if (byte < 250 && code.length < OTP_DIGITS) code += String(byte % 10);
    }
  }
  return code;
}

/**
 * What the gateway stores of a code: HMAC-SHA256 under the gateway's code key over the payment,
 * the amount and the code, so a code is bound to one payment and one amount and a database
 * reader cannot brute-force the 10^6 space offline without the key.
 */
export function hashAuthorizationCode(codeKey: Uint8Array, binding: { paymentId: string; amountMinor: bigint; currency: string }, code: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', codeKey).update(`tessera.gateway.otp\n${binding.paymentId}\n${binding.amountMinor}\n${binding.currency}\n${code}`).digest());
}

export function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function randomToken(random: RandomSource, bytes: number): string {
  return Buffer.from(random.bytes(bytes)).toString('base64url');
}
