import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { TesseraError } from '../../../src/lib/errors.js';

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/gp/${name}`, import.meta.url), 'utf8')) as T;
}

/** Asserts a TesseraError with `code` and, when given, the status word a card would answer. */
export function throwsTessera(action: () => unknown, code: string, statusWord?: number): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (statusWord !== undefined) assert.equal(error.details?.['statusWord'], statusWord, error.message);
    return true;
  });
}

/** Runs `decode` on random bytes: it may return or throw a TesseraError, nothing else. */
export function onlyTesseraErrors(decode: (bytes: Uint8Array) => unknown, maxLength = 300): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength }), (bytes) => {
      try {
        decode(bytes);
      } catch (error) {
        if (!(error instanceof TesseraError)) throw error;
      }
    }),
    { numRuns: 2000 },
  );
}

export const aidArbitrary = fc.uint8Array({ minLength: 5, maxLength: 16 });
export const optionalAIDArbitrary = fc.oneof(fc.constant(new Uint8Array(0)), aidArbitrary);
