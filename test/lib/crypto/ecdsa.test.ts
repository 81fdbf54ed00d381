import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  createDeterministicRandomSource,
  decodeECDSASignatureDER,
  encodeECDSASignatureDER,
  exportECP256PublicKey,
  generateECP256KeyPair,
  importECP256PrivateKey,
  importECP256PublicKey,
  signECDSAP256,
  verifyECDSAP256,
  type ECDSASignatureEncoding,
} from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, isDERMalformedError, loadFixture } from './fixtures.js';

interface ECDSAVector {
  readonly source: string;
  readonly message: string;
  readonly r: string;
  readonly s: string;
}
interface ECDSAFixture extends Fixture<ECDSAVector> {
  readonly privateKey: string;
  readonly publicKeyX: string;
  readonly publicKeyY: string;
}

const fixture = loadFixture<ECDSAFixture>('ecdsa-p256-rfc6979.json');
const publishedPoint = concatBytes(fromHex('04'), fromHex(fixture.publicKeyX), fromHex(fixture.publicKeyY));
const publicKey = importECP256PublicKey(publishedPoint);
const privateKey = importECP256PrivateKey(fromHex(fixture.privateKey));
const otherKeys = generateECP256KeyPair(createDeterministicRandomSource(utf8('ecdsa test: another key')));

/** The P-256 group order n, to build out-of-range signature halves. */
const P256_ORDER_HEX = 'FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551';

function vectorAt(index: number): ECDSAVector {
  const vector = fixture.vectors[index];
  assert.ok(vector !== undefined);
  return vector;
}
function rawOf(vector: ECDSAVector): Uint8Array {
  return concatBytes(fromHex(vector.r), fromHex(vector.s));
}
function flipBit(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] as number) ^ mask;
  return copy;
}

const sampleRaw = rawOf(vectorAt(0));
const sampleDER = encodeECDSASignatureDER(sampleRaw);
const sampleMessage = fromHex(vectorAt(0).message);

describe('ECDSA P-256 with SHA-256', () => {
  it('imports the RFC 6979 A.2.5 key pair: the private scalar yields the published public point', () => {
    assert.equal(toHex(exportECP256PublicKey(createPublicKey(privateKey))), toHex(publishedPoint));
    assert.equal(toHex(exportECP256PublicKey(publicKey)), toHex(publishedPoint));
  });

  for (const vector of fixture.vectors) {
    it(`verifies ${vector.source} in raw and DER form`, () => {
      const message = fromHex(vector.message);
      const raw = rawOf(vector);
      assert.equal(verifyECDSAP256(publicKey, message, raw, 'raw'), true);
      assert.equal(verifyECDSAP256(publicKey, message, encodeECDSASignatureDER(raw), 'der'), true);
    });
  }

  it('encodes the RFC 6979 "test" signature in minimal DER: a sign byte before r, none before s', () => {
    // r starts with 0xF1 (high bit set, so 00 is prepended); s starts with 0x01 (no padding).
    const vector = vectorAt(1);
    const der = encodeECDSASignatureDER(rawOf(vector));
    assert.equal(toHex(der), `3045022100${vector.r}0220${vector.s}`.toUpperCase());
    assert.equal(toHex(decodeECDSASignatureDER(der)), toHex(rawOf(vector)));
  });

  it('signs and verifies in both encodings', () => {
    for (const encoding of ['raw', 'der'] as const) {
      const signature = signECDSAP256(privateKey, sampleMessage, encoding);
      assert.equal(verifyECDSAP256(publicKey, sampleMessage, signature, encoding), true);
      if (encoding === 'raw') assert.equal(signature.length, 64);
    }
  });

  it('returns false, never throws, for a tampered message, a tampered signature or the wrong key', () => {
    assert.equal(verifyECDSAP256(publicKey, utf8('samplf'), sampleRaw, 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, new Uint8Array(0), sampleRaw, 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, flipBit(sampleRaw, 0), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, flipBit(sampleRaw, 63, 0x80), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, flipBit(sampleDER, sampleDER.length - 1), 'der'), false);
    assert.equal(verifyECDSAP256(otherKeys.publicKey, sampleMessage, sampleRaw, 'raw'), false);
  });

  it('returns false for a signature in the other encoding, of the wrong length, or with r or s out of [1, n-1]', () => {
    const order = fromHex(P256_ORDER_HEX);
    const zero = new Uint8Array(32);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, sampleDER, 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, sampleRaw, 'der'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, sampleRaw.subarray(0, 63), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, concatBytes(sampleRaw, fromHex('00')), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, concatBytes(zero, sampleRaw.subarray(32)), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, concatBytes(sampleRaw.subarray(0, 32), zero), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, concatBytes(order, sampleRaw.subarray(32)), 'raw'), false);
    assert.equal(verifyECDSAP256(publicKey, sampleMessage, concatBytes(sampleRaw.subarray(0, 32), order), 'raw'), false);
  });

  it('parses DER strictly: every non-canonical or malformed encoding is refused with ERR_DER_MALFORMED', () => {
    const r = fromHex(vectorAt(0).r); // starts with 0xEF, so its INTEGER carries a 00 sign byte
    const s = fromHex(vectorAt(1).s); // starts with 0x01, so its INTEGER carries none
    const integer = (body: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x02, body.length), body);
    const sequence = (body: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x30, body.length), body);
    const validBody = concatBytes(integer(concatBytes(fromHex('00'), r)), integer(s));
    assert.equal(decodeECDSASignatureDER(sequence(validBody)).length, 64);

    const malformed: Record<string, Uint8Array> = {
      'long-form SEQUENCE length': concatBytes(Uint8Array.of(0x30, 0x81, validBody.length), validBody),
      'trailing byte after the SEQUENCE': concatBytes(sequence(validBody), fromHex('00')),
      'SEQUENCE length shorter than its content': concatBytes(Uint8Array.of(0x30, validBody.length - 1), validBody),
      'SEQUENCE length past the end': concatBytes(Uint8Array.of(0x30, validBody.length + 1), validBody),
      'wrong outer tag (SET)': concatBytes(Uint8Array.of(0x31, validBody.length), validBody),
      'wrong inner tag (BIT STRING)': sequence(concatBytes(Uint8Array.of(0x03, 33, 0x00), r, integer(s))),
      'negative r (sign byte dropped)': sequence(concatBytes(integer(r), integer(s))),
      'non-minimal s (extra leading zero)': sequence(concatBytes(integer(concatBytes(fromHex('00'), r)), integer(concatBytes(fromHex('00'), s)))),
      'non-minimal r (two leading zeros)': sequence(concatBytes(integer(concatBytes(fromHex('0000'), r)), integer(s))),
      'r is zero': sequence(concatBytes(integer(fromHex('00')), integer(s))),
      'empty r': sequence(concatBytes(Uint8Array.of(0x02, 0x00), integer(s))),
      'r wider than 256 bits': sequence(concatBytes(integer(concatBytes(fromHex('01'), r)), integer(s))),
      'long-form INTEGER length': sequence(concatBytes(Uint8Array.of(0x02, 0x81, 33, 0x00), r, integer(s))),
      'a third INTEGER': sequence(concatBytes(validBody, integer(fromHex('01')))),
      'only r': sequence(integer(concatBytes(fromHex('00'), r))),
      'truncated': sequence(validBody).subarray(0, 40),
      'empty input': new Uint8Array(0),
      'a bare header': Uint8Array.of(0x30),
    };
    for (const [name, der] of Object.entries(malformed)) {
      assert.throws(() => decodeECDSASignatureDER(der), isDERMalformedError, name);
      assert.equal(verifyECDSAP256(publicKey, sampleMessage, der, 'der'), false, name);
    }
  });

  it('round-trips raw and DER for every non-zero r and s (property)', () => {
    const half = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((bytes) => bytes.some((byte) => byte !== 0));
    fc.assert(
      fc.property(half, half, (r, s) => {
        const raw = concatBytes(r, s);
        const der = encodeECDSASignatureDER(raw);
        assert.ok(der.length >= 8 && der.length <= 72);
        assert.deepEqual(decodeECDSASignatureDER(der), raw);
      }),
    );
  });

  it('throws nothing but TesseraError on random bytes, and verification only ever answers a boolean (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          assert.equal(decodeECDSASignatureDER(bytes).length, 64);
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
        try {
          encodeECDSASignatureDER(bytes);
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
        for (const encoding of ['raw', 'der'] as const) {
          assert.equal(typeof verifyECDSAP256(publicKey, sampleMessage, bytes, encoding), 'boolean');
        }
      }),
      { numRuns: 300 },
    );
    // Near-valid DER: a valid signature with one random byte changed.
    fc.assert(
      fc.property(fc.nat(sampleDER.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const mutated = flipBit(sampleDER, index, mask);
        try {
          decodeECDSASignatureDER(mutated);
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
        assert.equal(verifyECDSAP256(publicKey, sampleMessage, mutated, 'der'), false);
      }),
    );
  });

  it('refuses the wrong kind of key, curve or encoding with typed errors', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.throws(() => signECDSAP256(createPublicKey(privateKey), sampleMessage, 'der'), isCryptoInputError);
    assert.throws(() => verifyECDSAP256(privateKey, sampleMessage, sampleRaw, 'raw'), isCryptoInputError);
    assert.throws(() => signECDSAP256(p384.privateKey, sampleMessage, 'der'), isCryptoInputError);
    assert.throws(() => verifyECDSAP256(p384.publicKey, sampleMessage, sampleDER, 'der'), isCryptoInputError);
    assert.throws(() => signECDSAP256(privateKey, sampleMessage, 'pem' as ECDSASignatureEncoding), isCryptoInputError);
    assert.throws(() => verifyECDSAP256(publicKey, sampleMessage, sampleDER, 'pem' as ECDSASignatureEncoding), isCryptoInputError);
    assert.throws(() => encodeECDSASignatureDER(concatBytes(new Uint8Array(32), sampleRaw.subarray(32))), isCryptoInputError);
  });

  it('refuses points that are not uncompressed P-256 points and scalars outside [1, n-1]', () => {
    assert.throws(() => importECP256PublicKey(publishedPoint.subarray(1)), isTesseraLengthOrInput);
    assert.throws(() => importECP256PublicKey(concatBytes(fromHex('02'), publishedPoint.subarray(1))), isCryptoInputError);
    assert.throws(() => importECP256PublicKey(flipBit(publishedPoint, 64)), isCryptoInputError);
    assert.throws(() => importECP256PrivateKey(new Uint8Array(32)), isCryptoInputError);
    assert.throws(() => importECP256PrivateKey(fromHex(P256_ORDER_HEX)), isCryptoInputError);
    assert.throws(() => importECP256PrivateKey(new Uint8Array(31)), isTesseraLengthOrInput);
  });
});

function isTesseraLengthOrInput(error: unknown): boolean {
  return error instanceof TesseraError && (error.code === 'ERR_LENGTH_INVALID' || error.code === 'ERR_CRYPTO_INPUT');
}
