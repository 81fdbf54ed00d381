import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { looksLikePAN, maskSensitiveJSONLine, maskSensitiveText, sanitizeLogValue } from '../../../src/infra/log/index.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/luhn.json', import.meta.url), 'utf8')) as {
  valid: string[];
  invalid: string[];
};

/** Appends the Luhn check digit (ISO/IEC 7812-1 Annex B) so generated numbers are valid PANs. */
function withCheckDigit(payload: string): string {
  let sum = 0;
  for (let index = 0; index < payload.length; index++) {
    let digit = Number(payload[payload.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return `${payload}${(10 - (sum % 10)) % 10}`;
}

describe('maskSensitiveText', () => {
  it('recognizes the published test PANs and rejects wrong check digits', () => {
    for (const pan of fixture.valid) assert.equal(looksLikePAN(pan), pan.length >= 13, pan);
    for (const digits of fixture.invalid) assert.equal(looksLikePAN(digits), false, digits);
  });

  it('keeps the first six and last four digits', () => {
    assert.equal(maskSensitiveText('pan 378282246310005.'), 'pan 378282*****0005.');
    assert.equal(maskSensitiveText('6011-1111-1111-1117'), '601111******1117');
    // Expiry and amount beside the PAN: the PAN alone is masked, the rest stays.
    assert.equal(maskSensitiveText('4242424242424242 1225 100'), '424242******4242 1225 100');
    assert.equal(maskSensitiveText('exp 12 25 6200 0000 0000 0005'), 'exp 12 25 620000******0005');
    // Glued to more digits it is part of a longer number, not a PAN.
    assert.equal(maskSensitiveText('id 4242424242424242424242'), 'id 4242424242424242424242');
  });

  it('never lets a valid PAN through, wherever it sits in the text', () => {
    const pan = fc
      .stringMatching(/^[1-9][0-9]{11,17}$/)
      .map(withCheckDigit);
    fc.assert(
      fc.property(fc.string(), pan, fc.string(), (before, digits, after) => {
        // A digit or decimal point touching the PAN makes it part of a longer number, which is
        // deliberately not masked; the property is about PANs that stand on their own, with
        // anything (an expiry date, an amount) on either side.
        const text = `${before} ${digits} ${after}`;
        assert.ok(!maskSensitiveText(text).includes(digits));
      }),
    );
  });

  it('redacts hex written next to a key label and leaves other hex readable', () => {
    assert.equal(maskSensitiveText('KEK: 00112233445566778899AABBCCDDEEFF'), 'KEK: [REDACTED]');
    assert.equal(maskSensitiveText('sessionKey="0011223344556677"'), 'sessionKey="[REDACTED]"');
    assert.equal(maskSensitiveText('APDU 00A4040008A000000151000000'), 'APDU 00A4040008A000000151000000');
    assert.equal(maskSensitiveText('keyId=0011223344556677'), 'keyId=0011223344556677');
  });

  it('masks inside the strings of a JSON line but not its numbers', () => {
    const line = '{"time":4242424242424242,"msg":"4242424242424242","nested":"say \\"4242424242424242\\""}';
    assert.equal(maskSensitiveJSONLine(line), '{"time":4242424242424242,"msg":"424242******4242","nested":"say \\"424242******4242\\""}');
  });
});

describe('sanitizeLogValue', () => {
  it('keeps an own __proto__ key as data', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "pin": "0000"}') as unknown;
    const sanitized = sanitizeLogValue(hostile) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(sanitized), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(sanitized['pin'], '[REDACTED]');
  });
});
