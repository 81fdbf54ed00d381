import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { computeAESCMAC, encryptAESECB, truncateMAC, verifyAESCMAC } from '../../../src/lib/crypto/index.js';
import { deriveCMACSubkeys } from '../../../src/lib/crypto/deriveCMACSubkeys.js';
import { type Fixture, isCryptoInputError, isLengthInvalidError, loadFixture } from './fixtures.js';

interface CMACVector {
  readonly source: string;
  readonly key?: string;
  readonly message: string;
  readonly mac: string;
}
interface RFC4493Fixture extends Fixture<CMACVector> {
  readonly key: string;
  readonly subkeys: { readonly source: string; readonly l: string; readonly k1: string; readonly k2: string };
}

const rfc4493 = loadFixture<RFC4493Fixture>('aes-cmac-rfc4493.json');
const sp800_38b = loadFixture<Fixture<CMACVector>>('aes-cmac-sp800-38b.json');

describe('AES-CMAC (RFC 4493, SP 800-38B)', () => {
  it(`derives the subkeys of ${rfc4493.subkeys.source}`, () => {
    const l = encryptAESECB(fromHex(rfc4493.key), new Uint8Array(16));
    assert.equal(toHex(l), toHex(fromHex(rfc4493.subkeys.l)));
    const { k1, k2 } = deriveCMACSubkeys(l);
    assert.equal(toHex(k1), toHex(fromHex(rfc4493.subkeys.k1)));
    assert.equal(toHex(k2), toHex(fromHex(rfc4493.subkeys.k2)));
  });

  for (const vector of rfc4493.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(rfc4493.key);
      const message = fromHex(vector.message);
      assert.equal(toHex(computeAESCMAC(key, message)), toHex(fromHex(vector.mac)));
      assert.equal(verifyAESCMAC(key, message, fromHex(vector.mac), 16), true);
    });
  }

  for (const vector of sp800_38b.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(vector.key ?? '');
      assert.equal(toHex(computeAESCMAC(key, fromHex(vector.message))), toHex(fromHex(vector.mac)));
    });
  }

  it('truncates to the leftmost bytes and verifies the truncated tag at the fixed length only', () => {
    const key = fromHex(rfc4493.key);
    const vector = rfc4493.vectors[3];
    assert.ok(vector !== undefined);
    const message = fromHex(vector.message);
    const full = fromHex(vector.mac);
    const eight = truncateMAC(full, 8);
    assert.equal(toHex(eight), toHex(full.subarray(0, 8)));
    assert.equal(verifyAESCMAC(key, message, eight, 8), true);
    // A peer may not choose a shorter tag than the protocol fixes, nor send the full one instead.
    assert.equal(verifyAESCMAC(key, message, truncateMAC(full, 4), 8), false);
    assert.equal(verifyAESCMAC(key, message, full, 8), false);
  });

  it('rejects a tampered message, a tampered tag and a wrong key, all with the same false', () => {
    const key = fromHex(rfc4493.key);
    const vector = rfc4493.vectors[2];
    assert.ok(vector !== undefined);
    const message = fromHex(vector.message);
    const mac = fromHex(vector.mac);
    const tamperedMessage = message.slice();
    tamperedMessage[0] = (tamperedMessage[0] as number) ^ 0x01;
    const tamperedMAC = mac.slice();
    tamperedMAC[15] = (tamperedMAC[15] as number) ^ 0x80;
    const wrongKey = key.slice();
    wrongKey[0] = (wrongKey[0] as number) ^ 0x01;
    assert.equal(verifyAESCMAC(key, tamperedMessage, mac, 16), false);
    assert.equal(verifyAESCMAC(key, message, tamperedMAC, 16), false);
    assert.equal(verifyAESCMAC(wrongKey, message, mac, 16), false);
    assert.equal(verifyAESCMAC(key, message, new Uint8Array(0), 16), false);
  });

  it('refuses bad keys, lengths and truncations with typed errors', () => {
    assert.throws(() => computeAESCMAC(new Uint8Array(15), new Uint8Array(0)), isCryptoInputError);
    assert.throws(() => verifyAESCMAC(new Uint8Array(16), new Uint8Array(0), new Uint8Array(3), 3), isCryptoInputError);
    assert.throws(() => verifyAESCMAC(new Uint8Array(16), new Uint8Array(0), new Uint8Array(17), 17), isCryptoInputError);
    assert.throws(() => truncateMAC(new Uint8Array(16), 3), isCryptoInputError);
    assert.throws(() => truncateMAC(new Uint8Array(16), 17), isCryptoInputError);
    assert.throws(() => truncateMAC(new Uint8Array(2), 2), isLengthInvalidError);
  });

  it('verifies what it computes and rejects any single flipped bit (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(127),
        (key, message, bit) => {
          const mac = computeAESCMAC(key, message);
          assert.equal(verifyAESCMAC(key, message, mac, 16), true);
          const flipped = mac.slice();
          flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
          assert.equal(verifyAESCMAC(key, message, flipped, 16), false);
        },
      ),
    );
  });
});
