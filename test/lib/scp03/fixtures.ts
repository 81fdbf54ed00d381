import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../../src/lib/bytes.js';
import type { RandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import type { SCP03StaticKeys } from '../../../src/lib/scp03/index.js';

/** Every fixture names where its vectors were published; a file without a source is refused. */
export function loadFixture<Document>(fileName: string): Document & { readonly source: string } {
  const text = readFileSync(new URL(`../../fixtures/scp03/${fileName}`, import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  assert.ok(typeof parsed === 'object' && parsed !== null, `${fileName} is a JSON object`);
  const source: unknown = (parsed as { source?: unknown }).source;
  assert.ok(typeof source === 'string' && source.length > 0, `${fileName} names its source`);
  return parsed as Document & { readonly source: string };
}

export interface HexKeys {
  readonly keyVersion: number;
  readonly enc: string;
  readonly mac: string;
  readonly dek: string;
}

export function keysFrom(hex: HexKeys): SCP03StaticKeys {
  return { keyVersion: hex.keyVersion, enc: fromHex(hex.enc), mac: fromHex(hex.mac), dek: fromHex(hex.dek) };
}

/** A RandomSource that hands out the given bytes once, for replaying a transcript's challenge. */
export function replayRandom(bytes: Uint8Array): RandomSource {
  let used = false;
  return {
    bytes(lengthBytes: number): Uint8Array {
      assert.ok(!used, 'the replayed challenge is used once');
      assert.equal(lengthBytes, bytes.length, 'the replayed challenge has the requested length');
      used = true;
      return new Uint8Array(bytes);
    },
  };
}

export function isTesseraErrorWithCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof TesseraError && error.code === code;
}
