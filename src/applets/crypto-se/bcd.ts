import assert from 'node:assert/strict';

/** Decimal digits, an even number of them, packed two per byte (BCD, EMV 'n' format). */
export function packDigits(digits: string): Uint8Array {
  assert.ok(/^(?:[0-9]{2})*$/.test(digits), 'packDigits takes an even number of decimal digits');
  return Uint8Array.from({ length: digits.length / 2 }, (_, i) => Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16));
}

/** The digits of BCD bytes; a nibble above 9 appears as its hex letter (callers check with isBCD). */
export function unpackDigits(bytes: Uint8Array): string {
  let digits = '';
  for (const byte of bytes) digits += byte.toString(16).padStart(2, '0').toUpperCase();
  return digits;
}

export function isBCD(bytes: Uint8Array): boolean {
  return bytes.every((byte) => (byte >> 4) <= 9 && (byte & 0x0f) <= 9);
}
