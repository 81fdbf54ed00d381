import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { AESCMACContext, computeAESCMAC } from '../../../src/lib/crypto/index.js';
import { loadFixture } from './fixtures.js';

interface RFC4493 { source: string; key: string; vectors: { source: string; message: string; mac: string }[] }

describe('AESCMACContext (one key, many messages)', () => {
  it('gives the RFC 4493 tags, in any order and repeatedly', () => {
    const fixture = loadFixture<RFC4493>('aes-cmac-rfc4493.json');
    const context = new AESCMACContext(fromHex(fixture.key));
    for (const vector of [...fixture.vectors, ...[...fixture.vectors].reverse(), ...fixture.vectors]) {
      assert.equal(toHex(context.compute(fromHex(vector.message))), vector.mac.toUpperCase(), vector.source);
    }
    context.destroy();
    assert.throws(() => context.compute(new Uint8Array(0)));
  });

  it('equals the one-shot computeAESCMAC for every key length and message sequence (property)', () => {
    fc.assert(fc.property(
      fc.constantFrom(16, 24, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
      fc.array(fc.uint8Array({ maxLength: 70 }), { minLength: 1, maxLength: 8 }),
      (key, messages) => {
        const context = new AESCMACContext(key);
        for (const message of messages) assert.deepEqual(context.compute(message), computeAESCMAC(key, message));
        context.destroy();
      },
    ), { numRuns: 300 });
  });
});
