import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { decryptAESCBC, decryptAESECB, encryptAESCBC, encryptAESECB } from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, isLengthInvalidError, loadFixture } from './fixtures.js';

interface AESVector {
  readonly source: string;
  readonly mode: 'ecb' | 'cbc';
  readonly key: string;
  readonly iv?: string;
  readonly plaintext: string;
  readonly ciphertext: string;
}

const fixture = loadFixture<Fixture<AESVector>>('aes-sp800-38a.json');

describe('AES-ECB and AES-CBC without padding (SP 800-38A)', () => {
  for (const vector of fixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(vector.key);
      const plaintext = fromHex(vector.plaintext);
      const ciphertext = fromHex(vector.ciphertext);
      if (vector.mode === 'ecb') {
        assert.equal(toHex(encryptAESECB(key, plaintext)), toHex(ciphertext));
        assert.equal(toHex(decryptAESECB(key, ciphertext)), toHex(plaintext));
      } else {
        const iv = fromHex(vector.iv ?? '');
        assert.equal(toHex(encryptAESCBC(key, iv, plaintext)), toHex(ciphertext));
        assert.equal(toHex(decryptAESCBC(key, iv, ciphertext)), toHex(plaintext));
      }
    });
  }

  it('covers AES-128, AES-192 and AES-256 in both modes', () => {
    const seen = new Set(fixture.vectors.map((vector) => `${vector.mode}-${vector.key.length * 4}`));
    assert.deepEqual([...seen].sort(), ['cbc-128', 'cbc-192', 'cbc-256', 'ecb-128', 'ecb-192', 'ecb-256']);
  });

  it('refuses input that is not whole 16-byte blocks, with a typed error', () => {
    const key = new Uint8Array(16);
    const iv = new Uint8Array(16);
    for (const length of [1, 15, 17, 31]) {
      assert.throws(() => encryptAESECB(key, new Uint8Array(length)), isLengthInvalidError);
      assert.throws(() => decryptAESECB(key, new Uint8Array(length)), isLengthInvalidError);
      assert.throws(() => encryptAESCBC(key, iv, new Uint8Array(length)), isLengthInvalidError);
      assert.throws(() => decryptAESCBC(key, iv, new Uint8Array(length)), isLengthInvalidError);
    }
  });

  it('refuses keys that are not 16, 24 or 32 bytes and IVs that are not 16 bytes', () => {
    for (const length of [0, 8, 15, 17, 23, 33, 64]) {
      assert.throws(() => encryptAESECB(new Uint8Array(length), new Uint8Array(16)), isCryptoInputError);
    }
    for (const length of [0, 8, 15, 17, 32]) {
      assert.throws(() => encryptAESCBC(new Uint8Array(16), new Uint8Array(length), new Uint8Array(16)), isLengthInvalidError);
    }
  });

  it('round-trips any whole-block plaintext under any key size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((keyLength) => fc.uint8Array({ minLength: keyLength, maxLength: keyLength })),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 8 }).chain((blocks) => fc.uint8Array({ minLength: blocks * 16, maxLength: blocks * 16 })),
        (key, iv, plaintext) => {
          assert.deepEqual(decryptAESECB(key, encryptAESECB(key, plaintext)), plaintext);
          assert.deepEqual(decryptAESCBC(key, iv, encryptAESCBC(key, iv, plaintext)), plaintext);
        },
      ),
    );
  });
});
