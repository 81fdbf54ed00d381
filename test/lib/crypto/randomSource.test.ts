import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, toHex, utf8 } from '../../../src/lib/bytes.js';
import {
  createDeterministicRandomSource,
  createSystemRandomSource,
  exportECP256PublicKey,
  generateECP256KeyPair,
  RANDOM_BYTES_MAX,
  type RandomSource,
} from '../../../src/lib/crypto/index.js';
import { isCryptoInputError } from './fixtures.js';

describe('RandomSource', () => {
  it('system source gives the requested number of fresh bytes', () => {
    const random = createSystemRandomSource();
    assert.equal(random.bytes(0).length, 0);
    assert.equal(random.bytes(32).length, 32);
    assert.notEqual(toHex(random.bytes(16)), toHex(random.bytes(16)));
  });

  it('deterministic source replays the same stream for the same seed, however it is split', () => {
    const seed = utf8('tessera test seed');
    const whole = createDeterministicRandomSource(seed).bytes(48);
    const split = createDeterministicRandomSource(seed);
    assert.equal(toHex(concatBytes(split.bytes(5), split.bytes(0), split.bytes(27), split.bytes(16))), toHex(whole));
    assert.notEqual(toHex(createDeterministicRandomSource(utf8('another seed')).bytes(48)), toHex(whole));
  });

  it('pins generated key pairs in tests through injection', () => {
    const generate = (random: RandomSource): string => toHex(exportECP256PublicKey(generateECP256KeyPair(random).publicKey));
    assert.equal(generate(createDeterministicRandomSource(utf8('card 1'))), generate(createDeterministicRandomSource(utf8('card 1'))));
    assert.notEqual(generate(createDeterministicRandomSource(utf8('card 1'))), generate(createDeterministicRandomSource(utf8('card 2'))));
  });

  it('rejects scalars out of range and gives up on a source that only produces them', () => {
    const zeros: RandomSource = { bytes: (length) => new Uint8Array(length) };
    assert.throws(() => generateECP256KeyPair(zeros), isCryptoInputError);
  });

  it('refuses negative, fractional and oversized requests', () => {
    for (const random of [createSystemRandomSource(), createDeterministicRandomSource(utf8('x'))]) {
      assert.throws(() => random.bytes(-1), isCryptoInputError);
      assert.throws(() => random.bytes(1.5), isCryptoInputError);
      assert.throws(() => random.bytes(RANDOM_BYTES_MAX + 1), isCryptoInputError);
    }
  });
});
