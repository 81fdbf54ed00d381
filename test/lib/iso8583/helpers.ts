import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TesseraError } from '../../../src/lib/errors.js';

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/iso8583/${name}`, import.meta.url), 'utf8')) as T;
}

/** Asserts that `action` throws a TesseraError with `code`, and optionally `details.field` / `details.offset`. */
export function throwsISO8583(action: () => unknown, code: string, expected: { field?: number; offset?: number } = {}): TesseraError {
  let caught: TesseraError | undefined;
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (expected.field !== undefined) {
      assert.equal(error.details?.['field'], expected.field, error.message);
      assert.match(error.message, new RegExp(`field ${expected.field}\\b`));
    }
    if (expected.offset !== undefined) assert.equal(error.details?.['offset'], expected.offset, error.message);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}
