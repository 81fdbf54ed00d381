import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LibErrorCode, TesseraError } from '../../../src/lib/errors.js';

/** Every fixture names where its vectors were published; a file without a source is refused. */
export interface Fixture<Vector> {
  readonly source: string;
  readonly vectors: readonly Vector[];
}

export function loadFixture<Document extends { readonly source: string }>(fileName: string): Document {
  const text = readFileSync(new URL(`../../fixtures/crypto/${fileName}`, import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  assert.ok(typeof parsed === 'object' && parsed !== null, `${fileName} is a JSON object`);
  const source: unknown = (parsed as { source?: unknown }).source;
  assert.ok(typeof source === 'string' && source.length > 0, `${fileName} names its source`);
  return parsed as Document;
}

/** node:assert predicate: a TesseraError with the given code. */
export function isTesseraErrorWithCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof TesseraError && error.code === code;
}

export const isCryptoInputError = isTesseraErrorWithCode(LibErrorCode.cryptoInput);
export const isLengthInvalidError = isTesseraErrorWithCode(LibErrorCode.lengthInvalid);
export const isVerificationError = isTesseraErrorWithCode(LibErrorCode.cryptoVerify);
export const isDERMalformedError = isTesseraErrorWithCode(LibErrorCode.derMalformed);
