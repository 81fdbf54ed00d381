import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  type PaddingBlockLengthBytes,
  padISO9797Method1,
  padISO9797Method2,
  unpadISO9797Method1,
  unpadISO9797Method2,
} from '../../../src/lib/crypto/index.js';
import { VERIFICATION_FAILED_MESSAGE } from '../../../src/lib/crypto/checks.js';
import { type Fixture, isCryptoInputError, isVerificationError, loadFixture } from './fixtures.js';

interface PaddingVector {
  readonly source: string;
  readonly method: 2;
  readonly blockLengthBytes: PaddingBlockLengthBytes;
  readonly data: string;
  readonly padded: string;
}

const fixture = loadFixture<Fixture<PaddingVector>>('iso9797-padding.json');

function failureOf(action: () => unknown): TesseraError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof TesseraError);
    return error;
  }
  assert.fail('expected a failure');
}

describe('ISO/IEC 9797-1 padding methods 1 and 2', () => {
  for (const vector of fixture.vectors) {
    it(`pads and unpads as in ${vector.source}`, () => {
      const padded = padISO9797Method2(fromHex(vector.data), vector.blockLengthBytes);
      assert.equal(toHex(padded), toHex(fromHex(vector.padded)));
      assert.equal(toHex(unpadISO9797Method2(padded, vector.blockLengthBytes)), toHex(fromHex(vector.data)));
    });
  }

  it('method 2 always adds 1 to n bytes: a whole block gains a whole block (§6.1.2)', () => {
    assert.equal(toHex(padISO9797Method2(fromHex('1122334455667788'), 8)), '11223344556677888000000000000000');
    assert.equal(toHex(padISO9797Method2(new Uint8Array(0), 16)), '80000000000000000000000000000000');
    assert.equal(toHex(padISO9797Method2(fromHex('00112233445566778899AABBCCDDEE'), 16)), '00112233445566778899AABBCCDDEE80');
  });

  it('method 1 pads with zeros to a positive multiple, so only empty data gains a block (§6.1.1)', () => {
    assert.equal(toHex(padISO9797Method1(new Uint8Array(0), 8)), '0000000000000000');
    assert.equal(toHex(padISO9797Method1(fromHex('0102'), 8)), '0102000000000000');
    assert.equal(toHex(padISO9797Method1(fromHex('1122334455667788'), 8)), '1122334455667788');
    assert.equal(toHex(unpadISO9797Method1(fromHex('0102000000000000'), 2, 8)), '0102');
    assert.equal(toHex(unpadISO9797Method1(fromHex('0000000000000000'), 0, 8)), '');
  });

  it('rejects every malformed method 2 padding with one identical error', () => {
    const cases = [
      '0000000000000000', // no 0x80 at all
      '0102030405060780'.slice(0, 14) + '81', // last non-zero byte is not 0x80
      '0102038000000001', // a non-zero byte after the marker
      '0102030405060708', // data ends the block, padding missing
      '80000000000000', // not a whole block
      '', // empty
      '1122334455667788' + '0000000000000000', // marker must be in the last block
    ];
    const failures = cases.map((hex) => failureOf(() => unpadISO9797Method2(fromHex(hex), 8)));
    for (const failure of failures) {
      assert.ok(isVerificationError(failure));
      assert.equal(failure.message, VERIFICATION_FAILED_MESSAGE);
    }
  });

  it('rejects method 1 padding whose length or zero tail does not match the stated data length', () => {
    assert.throws(() => unpadISO9797Method1(fromHex('0102000000000001'), 2, 8), isVerificationError);
    assert.throws(() => unpadISO9797Method1(fromHex('01020000000000000000000000000000'), 2, 8), isVerificationError);
    assert.throws(() => unpadISO9797Method1(fromHex('0102000000000000'), 9, 8), isVerificationError);
  });

  it('refuses block lengths other than 8 and 16', () => {
    assert.throws(() => padISO9797Method2(new Uint8Array(1), 4 as PaddingBlockLengthBytes), isCryptoInputError);
    assert.throws(() => padISO9797Method1(new Uint8Array(1), 32 as PaddingBlockLengthBytes), isCryptoInputError);
  });

  it('round-trips any data (property) and never throws anything but the verification error on random input', () => {
    const blockLength = fc.constantFrom<PaddingBlockLengthBytes>(8, 16);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), blockLength, (data, n) => {
        assert.deepEqual(unpadISO9797Method2(padISO9797Method2(data, n), n), data);
        assert.deepEqual(unpadISO9797Method1(padISO9797Method1(data, n), data.length, n), data);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), blockLength, (bytes, n) => {
        try {
          unpadISO9797Method2(bytes, n);
        } catch (error) {
          assert.ok(isVerificationError(error));
        }
      }),
    );
  });
});
