import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isLuhnValid, isPlausiblePAN, luhnCheckDigit, maskPAN } from '../../src/lib/luhn.js';
import { TesseraError } from '../../src/lib/errors.js';

interface LuhnFixture {
  valid: string[];
  payloads: { payload: string; checkDigit: string }[];
  invalid: string[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/luhn.json', import.meta.url), 'utf8')) as LuhnFixture;

describe('Luhn', () => {
  it('accepts published valid numbers and computes their check digits', () => {
    for (const pan of fixture.valid) assert.equal(isLuhnValid(pan), true, pan);
    for (const { payload, checkDigit } of fixture.payloads) assert.equal(luhnCheckDigit(payload), checkDigit);
  });

  it('rejects a wrong check digit, non-digits and too-short input', () => {
    for (const pan of fixture.invalid) assert.equal(isLuhnValid(pan), false, pan);
    assert.equal(isLuhnValid('4242 4242 4242 4242'), false);
    assert.equal(isLuhnValid('0'), false);
    assert.throws(() => luhnCheckDigit('12a'), TesseraError);
  });

  it('detects every single-digit error (property)', () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{11,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (payload, at, delta) => {
      const pan = payload + luhnCheckDigit(payload);
      assert.equal(isLuhnValid(pan), true);
      const index = at % pan.length;
      const changed = String(((pan.charCodeAt(index) - 48 + delta) % 10));
      const broken = pan.slice(0, index) + changed + pan.slice(index + 1);
      assert.equal(isLuhnValid(broken), false);
    }));
  });

  it('knows PAN lengths and masks all but BIN and last four', () => {
    assert.equal(isPlausiblePAN('4242424242424242'), true);
    assert.equal(isPlausiblePAN('79927398713'), false);
    assert.equal(maskPAN('4242424242424242'), '424242******4242');
    assert.equal(maskPAN('1234'), '****');
  });
});
