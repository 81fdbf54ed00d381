import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { currencyByCode, currencyByNumericCode, CURRENCIES } from '../../src/lib/currencies.js';
import { addMoney, formatAmount, formatMoney, money, parseMoney, requireCurrencyByNumericCode } from '../../src/lib/money.js';
import { TesseraError } from '../../src/lib/errors.js';

const isCode = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;

describe('ISO 4217 table', () => {
  it('has the codes, numeric codes and exponents payment messages use', () => {
    assert.deepEqual(currencyByCode('CNY'), { code: 'CNY', numericCode: 156, exponent: 2 });
    assert.deepEqual(currencyByCode('JPY'), { code: 'JPY', numericCode: 392, exponent: 0 });
    assert.deepEqual(currencyByCode('KWD'), { code: 'KWD', numericCode: 414, exponent: 3 });
    assert.deepEqual(currencyByCode('CLF'), { code: 'CLF', numericCode: 990, exponent: 4 });
    assert.equal(currencyByNumericCode(978)?.code, 'EUR');
    assert.equal(currencyByNumericCode(840)?.code, 'USD');
    assert.equal(currencyByCode('XAU')?.exponent, undefined);
  });

  it('has unique codes and numeric codes', () => {
    const numeric = new Set([...CURRENCIES.values()].map((c) => c.numericCode));
    assert.equal(numeric.size, CURRENCIES.size);
    for (const currency of CURRENCIES.values()) {
      assert.match(currency.code, /^[A-Z]{3}$/);
      assert.ok(currency.numericCode > 0 && currency.numericCode < 1000);
    }
    assert.ok(CURRENCIES.size >= 170);
  });
});

describe('money', () => {
  it('parses and formats by the currency exponent', () => {
    assert.equal(parseMoney('12.34', 'CNY').amountMinor, 1234n);
    assert.equal(parseMoney('12.3', 'CNY').amountMinor, 1230n);
    assert.equal(parseMoney('12', 'CNY').amountMinor, 1200n);
    assert.equal(parseMoney('1234', 'JPY').amountMinor, 1234n);
    assert.equal(parseMoney('1.234', 'KWD').amountMinor, 1234n);
    assert.equal(formatMoney(money(1234n, 'CNY')), 'CNY 12.34');
    assert.equal(formatAmount(money(5n, 'USD')), '0.05');
    assert.equal(formatAmount(money(-5n, 'USD')), '-0.05');
    assert.equal(formatAmount(money(1234n, 'JPY')), '1234');
  });

  it('refuses rounding, floats-as-text, unknown currencies and overflow', () => {
    assert.throws(() => parseMoney('12.345', 'CNY'), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => parseMoney('1.5', 'JPY'), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => parseMoney('1e3', 'CNY'), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => parseMoney('1,000.00', 'CNY'), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => parseMoney('12.34', 'ABC'), isCode('ERR_CURRENCY_UNKNOWN'));
    assert.throws(() => parseMoney('1', 'XAU'), isCode('ERR_CURRENCY_UNKNOWN'));
    assert.throws(() => money(10n ** 12n, 'CNY'), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => addMoney(money(1n, 'CNY'), money(1n, 'USD')), isCode('ERR_MONEY_INVALID'));
    assert.throws(() => requireCurrencyByNumericCode(1), isCode('ERR_CURRENCY_UNKNOWN'));
  });

  it('round-trips every amount in every currency (property)', () => {
    const codes = [...CURRENCIES.values()].filter((c) => c.exponent !== undefined).map((c) => c.code);
    fc.assert(fc.property(fc.bigInt({ min: -999_999_999_999n, max: 999_999_999_999n }), fc.constantFrom(...codes), (amount, code) => {
      const value = money(amount, code);
      assert.deepEqual(parseMoney(formatAmount(value), code), value);
    }));
  });
});
