import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bytesToUint, concatBytes, constantTimeEqual, fromHex, toHex, uintToBytes, xorBytes,
} from '../../src/lib/bytes.js';
import { TesseraError } from '../../src/lib/errors.js';

describe('bytes', () => {
  it('round-trips hex in upper case and ignores spacing', () => {
    assert.equal(toHex(fromHex('00a4 0400\n08')), '00A4040008');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(fromHex(toHex(bytes)), bytes);
    }));
  });

  it('rejects odd-length and non-hex input with a typed error', () => {
    for (const bad of ['0', 'ABC', 'GG', '0x00']) {
      assert.throws(() => fromHex(bad), (error: unknown) => error instanceof TesseraError && error.code === 'ERR_HEX_INVALID');
    }
  });

  it('compares in constant time only equal-length values', () => {
    assert.equal(constantTimeEqual(fromHex('0102'), fromHex('0102')), true);
    assert.equal(constantTimeEqual(fromHex('0102'), fromHex('0103')), false);
    assert.equal(constantTimeEqual(fromHex('0102'), fromHex('010203')), false);
  });

  it('encodes big-endian integers and refuses overflow', () => {
    assert.equal(toHex(uintToBytes(0x1234, 2)), '1234');
    assert.equal(bytesToUint(fromHex('00012345')), 0x12345);
    assert.throws(() => uintToBytes(256, 1), TesseraError);
    assert.throws(() => uintToBytes(-1, 2), TesseraError);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (value) => {
      assert.equal(bytesToUint(uintToBytes(value, 4)), value);
    }));
  });

  it('concatenates and xors', () => {
    assert.equal(toHex(concatBytes(fromHex('01'), new Uint8Array(0), fromHex('0203'))), '010203');
    assert.equal(toHex(xorBytes(fromHex('FF00'), fromHex('0F0F'))), 'F00F');
    assert.throws(() => xorBytes(fromHex('00'), fromHex('0000')), TesseraError);
  });
});
