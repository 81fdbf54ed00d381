import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { createSystemRandomSource, openAESGCM, sealAESGCM, type RandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';

interface GCMVector { case: number; key: string; iv: string; plaintext: string; aad: string; ciphertext: string; tag: string }
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/crypto/aes-gcm-mcgrew-viega.json', import.meta.url), 'utf8')) as { vectors: GCMVector[] };

/** Hands out the vector's IV, so the sealed output can be compared with the published one. */
function fixedIV(iv: Uint8Array): RandomSource {
  return { bytes: (length) => (assert.equal(length, iv.length), iv.slice()) };
}

describe('AES-GCM seal/open', () => {
  it('matches the published GCM test cases', () => {
    for (const vector of fixture.vectors) {
      const sealed = sealAESGCM(fromHex(vector.key), fromHex(vector.plaintext), fromHex(vector.aad), fixedIV(fromHex(vector.iv)));
      assert.equal(toHex(sealed), vector.iv.toUpperCase() + vector.ciphertext + vector.tag, `case ${vector.case}`);
      assert.equal(toHex(openAESGCM(fromHex(vector.key), sealed, fromHex(vector.aad))), vector.plaintext);
    }
  });

  it('refuses tampering, a wrong key and other additional data, all the same way', () => {
    const random = createSystemRandomSource();
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 16 }), fc.nat(), (key, plaintext, aad, at) => {
      const sealed = sealAESGCM(key, plaintext, aad, random);
      assert.deepEqual(openAESGCM(key, sealed, aad), plaintext);
      const tampered = sealed.slice();
      tampered[at % tampered.length] = (tampered[at % tampered.length] ?? 0) ^ 0x01;
      const otherKey = key.slice();
      otherKey[0] = (otherKey[0] ?? 0) ^ 0x80;
      for (const attempt of [() => openAESGCM(key, tampered, aad), () => openAESGCM(otherKey, sealed, aad), () => openAESGCM(key, sealed, concatBytes(aad, fromHex('00')))]) {
        assert.throws(attempt, (error: unknown) => error instanceof TesseraError && error.code === 'ERR_CRYPTO_VERIFY' && error.message === 'sealed data could not be opened');
      }
    }), { numRuns: 200 });
    assert.throws(() => openAESGCM(new Uint8Array(32), new Uint8Array(10), new Uint8Array(0)), TesseraError);
  });
});
