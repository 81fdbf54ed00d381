import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../lib/crypto/index.js';
import { SmscLimits } from './limits.js';

/**
 * ESME passwords and handset secrets are stored as scrypt hashes (RFC 7914), never in clear
 * (DESIGN.md §1.3): `scrypt$N$r$p$salt$hash`, salt and hash base64url.
 */
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** scrypt needs 128·N·r bytes; this leaves room for the configured cost. */
const SCRYPT_MEMORY_BYTES_MAX = 64 * 1024 * 1024;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, HASH_BYTES, { N: n, r, p, maxmem: SCRYPT_MEMORY_BYTES_MAX }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

export async function hashSecret(secret: string, random: RandomSource): Promise<string> {
  const salt = Buffer.from(random.bytes(SALT_BYTES));
  const { SCRYPT_N: n, SCRYPT_R: r, SCRYPT_P: p } = SmscLimits;
  const hash = await derive(secret, salt, n, r, p);
  return `scrypt$${n}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** A hash of nothing anyone knows: verifying against it costs what a real check costs (no timing oracle). */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomBytes(16).toString('hex'), { bytes: (length) => new Uint8Array(randomBytes(length)) });
  return decoy;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((value) => Number.isInteger(value) && value > 0) || 128 * n * r > SCRYPT_MEMORY_BYTES_MAX) return false;
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  const received = await derive(secret, Buffer.from(parts[4] ?? '', 'base64url'), n, r, p);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
