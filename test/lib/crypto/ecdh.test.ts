import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  createDeterministicRandomSource,
  deriveECDHP256SharedSecret,
  exportECP256PublicKey,
  generateECP256KeyPair,
  importECP256PrivateKey,
  importECP256PublicKey,
} from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, loadFixture } from './fixtures.js';

interface ECDHVector {
  readonly source: string;
  readonly privateKey: string;
  readonly publicKeyX: string;
  readonly publicKeyY: string;
  readonly peerPrivateKey?: string;
  readonly peerPublicKeyX: string;
  readonly peerPublicKeyY: string;
  readonly sharedSecret: string;
}

const fixture = loadFixture<Fixture<ECDHVector>>('ecdh-p256.json');

function point(x: string, y: string): Uint8Array {
  return concatBytes(fromHex('04'), fromHex(x), fromHex(y));
}

describe('ECDH P-256 (SP 800-56A Rev. 3 §5.7.1.2)', () => {
  for (const vector of fixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const privateKey = importECP256PrivateKey(fromHex(vector.privateKey));
      // The published own public key must be the one the scalar gives.
      assert.equal(toHex(exportECP256PublicKey(createPublicKey(privateKey))), toHex(point(vector.publicKeyX, vector.publicKeyY)));
      const peerPublicKey = importECP256PublicKey(point(vector.peerPublicKeyX, vector.peerPublicKeyY));
      assert.equal(toHex(deriveECDHP256SharedSecret(privateKey, peerPublicKey)), toHex(fromHex(vector.sharedSecret)));
      if (vector.peerPrivateKey !== undefined) {
        const peerPrivateKey = importECP256PrivateKey(fromHex(vector.peerPrivateKey));
        const ownPublicKey = importECP256PublicKey(point(vector.publicKeyX, vector.publicKeyY));
        assert.equal(toHex(deriveECDHP256SharedSecret(peerPrivateKey, ownPublicKey)), toHex(fromHex(vector.sharedSecret)));
      }
    });
  }

  it('agrees on both sides for generated key pairs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (seed) => {
        const random = createDeterministicRandomSource(seed);
        const alice = generateECP256KeyPair(random);
        const bob = generateECP256KeyPair(random);
        const fromAlice = deriveECDHP256SharedSecret(alice.privateKey, importECP256PublicKey(exportECP256PublicKey(bob.publicKey)));
        const fromBob = deriveECDHP256SharedSecret(bob.privateKey, alice.publicKey);
        assert.equal(fromAlice.length, 32);
        assert.deepEqual(fromAlice, fromBob);
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a peer point off the curve before any agreement (invalid-curve attack)', () => {
    const vector = fixture.vectors[0];
    assert.ok(vector !== undefined);
    const valid = point(vector.peerPublicKeyX, vector.peerPublicKeyY);
    const offCurve = valid.slice();
    offCurve[64] = (offCurve[64] as number) ^ 0x01;
    assert.throws(() => importECP256PublicKey(offCurve), isCryptoInputError);
    assert.throws(() => importECP256PublicKey(new Uint8Array(65).fill(0, 1).fill(4, 0, 1)), isCryptoInputError);
  });

  it('refuses keys of the wrong kind or curve with typed errors', () => {
    const own = generateECP256KeyPair(createDeterministicRandomSource(fromHex('01')));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.throws(() => deriveECDHP256SharedSecret(own.publicKey, own.publicKey), isCryptoInputError);
    assert.throws(() => deriveECDHP256SharedSecret(own.privateKey, own.privateKey), isCryptoInputError);
    assert.throws(() => deriveECDHP256SharedSecret(own.privateKey, p384.publicKey), isCryptoInputError);
    assert.throws(() => deriveECDHP256SharedSecret(p384.privateKey, own.publicKey), isCryptoInputError);
  });
});
