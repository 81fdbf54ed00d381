import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  computeAESCMAC,
  type CounterLengthBits,
  type CounterLocation,
  deriveKeyCounterMode,
} from '../../../src/lib/crypto/index.js';
import { type Fixture, isCryptoInputError, loadFixture } from './fixtures.js';

interface KBKDFVector {
  readonly source: string;
  readonly prf: string;
  readonly counterLocation: 'BEFORE_FIXED' | 'AFTER_FIXED' | 'MIDDLE_FIXED';
  readonly counterLengthBits: CounterLengthBits;
  readonly outputLengthBits: number;
  readonly key: string;
  readonly fixedData?: string;
  readonly fixedDataBeforeCounter?: string;
  readonly fixedDataAfterCounter?: string;
  readonly derivedKey: string;
}

const fixture = loadFixture<Fixture<KBKDFVector>>('kbkdf-counter-cmac-aes.json');

function counterLocation(vector: KBKDFVector): CounterLocation {
  switch (vector.counterLocation) {
    case 'BEFORE_FIXED':
      return { location: 'beforeFixedData', fixedData: fromHex(vector.fixedData ?? '') };
    case 'AFTER_FIXED':
      return { location: 'afterFixedData', fixedData: fromHex(vector.fixedData ?? '') };
    case 'MIDDLE_FIXED':
      return {
        location: 'middleOfFixedData',
        fixedDataBeforeCounter: fromHex(vector.fixedDataBeforeCounter ?? ''),
        fixedDataAfterCounter: fromHex(vector.fixedDataAfterCounter ?? ''),
      };
  }
}

describe('SP 800-108r1 KDF in counter mode with AES-CMAC', () => {
  for (const vector of fixture.vectors) {
    it(`matches NIST CAVP ${vector.source}`, () => {
      const derived = deriveKeyCounterMode({
        key: fromHex(vector.key),
        outputLengthBits: vector.outputLengthBits,
        counterLengthBits: vector.counterLengthBits,
        counter: counterLocation(vector),
      });
      assert.equal(toHex(derived), toHex(fromHex(vector.derivedKey)));
    });
  }

  it('is tested on every counter location, several counter lengths and all three AES key sizes', () => {
    const count = (location: string): number => fixture.vectors.filter((vector) => vector.counterLocation === location).length;
    assert.ok(fixture.vectors.length >= 10);
    assert.ok(count('BEFORE_FIXED') >= 3 && count('AFTER_FIXED') >= 3 && count('MIDDLE_FIXED') >= 3);
    assert.deepEqual([...new Set(fixture.vectors.map((vector) => vector.counterLengthBits))].sort(), [16, 24, 32, 8]);
    assert.deepEqual([...new Set(fixture.vectors.map((vector) => vector.prf))].sort(), ['CMAC_AES128', 'CMAC_AES192', 'CMAC_AES256']);
  });

  it('expresses the GlobalPlatform SCP03 layout label || 00 || L || i || context', () => {
    // GlobalPlatform Amendment D (SCP03) data derivation: an 11-byte label ending in the derivation constant, a zero
    // separation byte, L on two bytes, an 8-bit counter, then the context. The expected value is
    // computed here by hand from the layout; the published SCP03 vectors belong to the SCP03 tests.
    const key = fromHex('404142434445464748494A4B4C4D4E4F');
    const label = fromHex('0000000000000000000004');
    const context = fromHex('0102030405060708090A0B0C0D0E0F10');
    const lengthField = fromHex('0100'); // L = 256 bits
    const before = concatBytes(label, fromHex('00'), lengthField);
    const derived = deriveKeyCounterMode({
      key,
      outputLengthBits: 256,
      counterLengthBits: 8,
      counter: { location: 'middleOfFixedData', fixedDataBeforeCounter: before, fixedDataAfterCounter: context },
    });
    const expected = concatBytes(
      computeAESCMAC(key, concatBytes(before, fromHex('01'), context)),
      computeAESCMAC(key, concatBytes(before, fromHex('02'), context)),
    );
    assert.equal(toHex(derived), toHex(expected));
  });

  it('refuses bad keys, counter lengths and output lengths with typed errors', () => {
    const counter: CounterLocation = { location: 'beforeFixedData', fixedData: new Uint8Array(4) };
    const valid = { key: new Uint8Array(16), outputLengthBits: 128, counterLengthBits: 8 as CounterLengthBits, counter };
    assert.equal(deriveKeyCounterMode(valid).length, 16);
    assert.throws(() => deriveKeyCounterMode({ ...valid, key: new Uint8Array(20) }), isCryptoInputError);
    assert.throws(() => deriveKeyCounterMode({ ...valid, outputLengthBits: 0 }), isCryptoInputError);
    assert.throws(() => deriveKeyCounterMode({ ...valid, outputLengthBits: 129 }), isCryptoInputError);
    assert.throws(() => deriveKeyCounterMode({ ...valid, outputLengthBits: 1024 * 8 + 8 }), isCryptoInputError);
    assert.throws(() => deriveKeyCounterMode({ ...valid, counterLengthBits: 12 as CounterLengthBits }), isCryptoInputError);
  });
});
