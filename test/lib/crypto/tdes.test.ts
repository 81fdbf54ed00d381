import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { decryptTDESCBC, decryptTDESECB, encryptTDESCBC, encryptTDESECB } from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, isLengthInvalidError, loadFixture } from './fixtures.js';

interface TDESVector {
  readonly source: string;
  readonly mode: 'ecb' | 'cbc';
  readonly key: string;
  readonly iv?: string;
  readonly plaintext: string;
  readonly ciphertext: string;
}

const fixture = loadFixture<Fixture<TDESVector>>('tdes.json');

describe('Triple DES, ECB and CBC without padding (SP 800-67 Rev. 2)', () => {
  for (const vector of fixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(vector.key);
      const plaintext = fromHex(vector.plaintext);
      const ciphertext = fromHex(vector.ciphertext);
      if (vector.mode === 'ecb') {
        assert.equal(toHex(encryptTDESECB(key, plaintext)), toHex(ciphertext));
        assert.equal(toHex(decryptTDESECB(key, ciphertext)), toHex(plaintext));
      } else {
        const iv = fromHex(vector.iv ?? '');
        assert.equal(toHex(encryptTDESCBC(key, iv, plaintext)), toHex(ciphertext));
        assert.equal(toHex(decryptTDESCBC(key, iv, ciphertext)), toHex(plaintext));
      }
    });
  }

  it('treats a 16-byte key as keying option 2: K1 || K2 equals K1 || K2 || K1', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 32 }).filter((bytes) => bytes.length % 8 === 0),
        (twoKey, iv, plaintext) => {
          const threeKey = concatBytes(twoKey, twoKey.subarray(0, 8));
          assert.deepEqual(encryptTDESECB(twoKey, plaintext), encryptTDESECB(threeKey, plaintext));
          assert.deepEqual(encryptTDESCBC(twoKey, iv, plaintext), encryptTDESCBC(threeKey, iv, plaintext));
          assert.deepEqual(decryptTDESCBC(twoKey, iv, encryptTDESCBC(twoKey, iv, plaintext)), plaintext);
        },
      ),
    );
  });

  it('refuses keys of other lengths, partial blocks and bad IVs with typed errors', () => {
    for (const length of [0, 8, 15, 17, 23, 25, 32]) {
      assert.throws(() => encryptTDESECB(new Uint8Array(length), new Uint8Array(8)), isCryptoInputError);
    }
    for (const length of [1, 7, 9, 15]) {
      assert.throws(() => encryptTDESECB(new Uint8Array(16), new Uint8Array(length)), isLengthInvalidError);
      assert.throws(() => decryptTDESCBC(new Uint8Array(24), new Uint8Array(8), new Uint8Array(length)), isLengthInvalidError);
    }
    assert.throws(() => encryptTDESCBC(new Uint8Array(16), new Uint8Array(16), new Uint8Array(8)), isLengthInvalidError);
  });
});
