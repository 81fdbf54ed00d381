import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TesseraError } from '../../../src/lib/errors.js';
import { EMVErrorCode } from '../../../src/lib/emv/index.js';

/** Every fixture names where its vectors were published; a file or vector without a source is refused. */
export interface Fixture<Vector extends { readonly source: string }> {
  readonly source: string;
  readonly vectors: readonly Vector[];
}

export function loadFixture<Vector extends { readonly source: string }>(fileName: string): Fixture<Vector> {
  const text = readFileSync(new URL(`../../fixtures/emv/${fileName}`, import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as Partial<Fixture<Vector>>;
  assert.ok(typeof parsed.source === 'string' && parsed.source.length > 0, `${fileName} names its source`);
  assert.ok(Array.isArray(parsed.vectors) && parsed.vectors.length > 0, `${fileName} has vectors`);
  for (const vector of parsed.vectors as readonly unknown[]) {
    const source: unknown = (vector as { source?: unknown }).source;
    assert.ok(typeof source === 'string' && source.length > 0, `every vector of ${fileName} names its source`);
  }
  return parsed as Fixture<Vector>;
}

export function isEMVError(code: EMVErrorCode): (error: unknown) => boolean {
  return (error: unknown) => error instanceof TesseraError && error.code === code;
}

export const isEMVInputError = isEMVError(EMVErrorCode.input);
export const isARQCInvalid = isEMVError(EMVErrorCode.arqcInvalid);
export const isARPCInvalid = isEMVError(EMVErrorCode.arpcInvalid);

/** A copy of `bytes` with bit `bit` (0 = the most significant bit of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const flipped = bytes.slice();
  const index = Math.floor(bit / 8);
  flipped[index] = (flipped[index] as number) ^ (0x80 >> (bit % 8));
  return flipped;
}
