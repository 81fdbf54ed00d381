import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  computeHMACSHA256,
  computeHMACSHA512,
  deriveHKDFSHA256,
  expandHKDFSHA256,
  extractHKDFSHA256,
  truncateMAC,
  verifyHMAC,
} from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, loadFixture } from './fixtures.js';

interface HMACVector {
  readonly source: string;
  readonly key: string;
  readonly data: string;
  readonly truncatedLengthBytes?: number;
  readonly sha256: string;
  readonly sha512: string;
}
interface HKDFVector {
  readonly source: string;
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly lengthBytes: number;
  readonly prk: string;
  readonly okm: string;
}

const hmacFixture = loadFixture<Fixture<HMACVector>>('hmac-rfc4231.json');
const hkdfFixture = loadFixture<Fixture<HKDFVector>>('hkdf-rfc5869.json');

describe('HMAC-SHA-256 and HMAC-SHA-512 (RFC 4231)', () => {
  for (const vector of hmacFixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const key = fromHex(vector.key);
      const data = fromHex(vector.data);
      const expected256 = fromHex(vector.sha256);
      const expected512 = fromHex(vector.sha512);
      const length256 = vector.truncatedLengthBytes ?? 32;
      const length512 = vector.truncatedLengthBytes ?? 64;
      assert.equal(toHex(truncateMAC(computeHMACSHA256(key, data), length256)), toHex(expected256));
      assert.equal(toHex(truncateMAC(computeHMACSHA512(key, data), length512)), toHex(expected512));
      assert.equal(verifyHMAC('sha256', key, data, expected256, length256), true);
      assert.equal(verifyHMAC('sha512', key, data, expected512, length512), true);
    });
  }

  it('rejects tampered data or MACs and MACs of another length with the same false', () => {
    const vector = hmacFixture.vectors[1];
    assert.ok(vector !== undefined);
    const key = fromHex(vector.key);
    const data = fromHex(vector.data);
    const mac = fromHex(vector.sha256);
    const flipped = mac.slice();
    flipped[31] = (flipped[31] as number) ^ 0x01;
    assert.equal(verifyHMAC('sha256', key, data, flipped, 32), false);
    assert.equal(verifyHMAC('sha256', key, data.subarray(1), mac, 32), false);
    assert.equal(verifyHMAC('sha256', key, data, mac.subarray(0, 16), 32), false);
    assert.equal(verifyHMAC('sha512', key, data, mac, 32), false);
  });

  it('refuses empty keys and impossible MAC lengths', () => {
    assert.throws(() => computeHMACSHA256(new Uint8Array(0), new Uint8Array(1)), isCryptoInputError);
    assert.throws(() => verifyHMAC('sha256', new Uint8Array(16), new Uint8Array(1), new Uint8Array(33), 33), isCryptoInputError);
    assert.throws(() => verifyHMAC('sha256', new Uint8Array(16), new Uint8Array(1), new Uint8Array(2), 2), isCryptoInputError);
  });
});

describe('HKDF-SHA-256 (RFC 5869)', () => {
  for (const vector of hkdfFixture.vectors) {
    it(`matches ${vector.source}`, () => {
      const ikm = fromHex(vector.ikm);
      const salt = fromHex(vector.salt);
      const info = fromHex(vector.info);
      const prk = extractHKDFSHA256(salt, ikm);
      assert.equal(toHex(prk), toHex(fromHex(vector.prk)));
      assert.equal(toHex(expandHKDFSHA256(prk, info, vector.lengthBytes)), toHex(fromHex(vector.okm)));
      assert.equal(toHex(deriveHKDFSHA256(ikm, salt, info, vector.lengthBytes)), toHex(fromHex(vector.okm)));
    });
  }

  it('refuses output lengths outside 1 .. 255 * HashLen and short pseudorandom keys', () => {
    const prk = new Uint8Array(32);
    assert.equal(expandHKDFSHA256(prk, new Uint8Array(0), 255 * 32).length, 255 * 32);
    assert.throws(() => expandHKDFSHA256(prk, new Uint8Array(0), 255 * 32 + 1), isCryptoInputError);
    assert.throws(() => expandHKDFSHA256(prk, new Uint8Array(0), 0), isCryptoInputError);
    assert.throws(() => expandHKDFSHA256(new Uint8Array(16), new Uint8Array(0), 32), isCryptoInputError);
  });
});
