import type { RandomSource } from '../lib/crypto/index.js';
import { toHex } from '../lib/bytes.js';

/** A random (version 4) UUID from the injected source. */
export function newId(random: RandomSource): string {
  const bytes = random.bytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = toHex(bytes).toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The business date of an instant: its UTC calendar date. */
export function businessDateOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}
