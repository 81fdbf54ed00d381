import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  computeRetailMAC,
  decryptTDESECB,
  encryptTDESCBC,
  encryptTDESECB,
  type ISO9797PaddingMethod,
  padISO9797Method2,
  truncateMAC,
  verifyRetailMAC,
} from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, loadFixture } from './fixtures.js';

interface RetailMACVector {
  readonly source: string;
  readonly key: string;
  readonly padding: ISO9797PaddingMethod;
  readonly message: string;
  readonly mac: string;
}

const fixture = loadFixture<Fixture<RetailMACVector>>('retail-mac-iso9797-alg3.json');

describe('ISO/IEC 9797-1 MAC algorithm 3 (retail MAC)', () => {
  for (const vector of fixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(vector.key);
      const message = fromHex(vector.message);
      assert.equal(toHex(computeRetailMAC(key, message, vector.padding)), toHex(fromHex(vector.mac)));
      assert.equal(verifyRetailMAC(key, message, vector.padding, fromHex(vector.mac), 8), true);
    });
  }

  it('equals its definition: H_q by single-DES CBC with K, then G = e_K(d_K\'(H_q)) (ISO/IEC 9797-1 MAC algorithm 3, output transformation 3)', () => {
    // Single DES is TDEA keying option 3 (K1 = K2 = K3), since OpenSSL 3 keeps DES in its legacy provider.
    const singleDESKey = (key: Uint8Array): Uint8Array => concatBytes(key, key, key);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 40 }), (key, message) => {
        const keyLeft = key.subarray(0, 8);
        const keyRight = key.subarray(8);
        const chain = encryptTDESCBC(singleDESKey(keyLeft), new Uint8Array(8), padISO9797Method2(message, 8));
        const lastChainBlock = chain.subarray(chain.length - 8);
        const expected = encryptTDESECB(singleDESKey(keyLeft), decryptTDESECB(singleDESKey(keyRight), lastChainBlock));
        assert.equal(toHex(computeRetailMAC(key, message, 2)), toHex(expected));
      }),
    );
  });

  it('rejects a tampered message or MAC and a MAC of another length with the same false', () => {
    const vector = fixture.vectors[0];
    assert.ok(vector !== undefined);
    const key = fromHex(vector.key);
    const message = fromHex(vector.message);
    const mac = fromHex(vector.mac);
    const tampered = message.slice();
    tampered[5] = (tampered[5] as number) ^ 0x40;
    assert.equal(verifyRetailMAC(key, tampered, 2, mac, 8), false);
    const flipped = mac.slice();
    flipped[0] = (flipped[0] as number) ^ 0x01;
    assert.equal(verifyRetailMAC(key, message, 2, flipped, 8), false);
    assert.equal(verifyRetailMAC(key, message, 2, truncateMAC(mac, 4), 8), false);
    assert.equal(verifyRetailMAC(key, message, 2, truncateMAC(mac, 4), 4), true);
  });

  it('refuses keys other than K || K\' and unknown padding methods', () => {
    assert.throws(() => computeRetailMAC(new Uint8Array(8), new Uint8Array(8), 2), isCryptoInputError);
    assert.throws(() => computeRetailMAC(new Uint8Array(24), new Uint8Array(8), 2), isCryptoInputError);
    assert.throws(() => computeRetailMAC(new Uint8Array(16), new Uint8Array(8), 3 as ISO9797PaddingMethod), isCryptoInputError);
  });
});
