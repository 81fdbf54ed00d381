import { currencyByCode, currencyByNumericCode, type Currency } from './currencies.js';
import { LibErrorCode, TesseraError } from './errors.js';

/**
 * Money as integer minor units (`bigint`) with an ISO 4217 currency. Never floats: 0.1 + 0.2 is
 * not a price. Parsing and formatting go through strings and the currency's exponent.
 */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** Largest amount any Tessera message carries: ISO 8583 field 4 is n12. */
export const AMOUNT_MINOR_MAX = 999_999_999_999n;

export function requireCurrency(code: string): Currency & { readonly exponent: number } {
  const currency = currencyByCode(code);
  if (currency === undefined) {
    throw new TesseraError(LibErrorCode.currencyUnknown, `unknown ISO 4217 currency ${JSON.stringify(code.slice(0, 8))}`);
  }
  if (currency.exponent === undefined) {
    throw new TesseraError(LibErrorCode.currencyUnknown, `${code} has no minor unit and cannot be paid in`);
  }
  return { ...currency, exponent: currency.exponent };
}

export function requireCurrencyByNumericCode(numericCode: number): Currency & { readonly exponent: number } {
  const currency = currencyByNumericCode(numericCode);
  if (currency === undefined) {
    throw new TesseraError(LibErrorCode.currencyUnknown, `unknown ISO 4217 numeric currency ${numericCode}`);
  }
  return requireCurrency(currency.code);
}

export function money(amountMinor: bigint, currency: string): Money {
  requireCurrency(currency);
  if (amountMinor < -AMOUNT_MINOR_MAX || amountMinor > AMOUNT_MINOR_MAX) {
    throw new TesseraError(LibErrorCode.moneyInvalid, `amount exceeds ${AMOUNT_MINOR_MAX} minor units`);
  }
  return { amountMinor, currency };
}

/**
 * Parses a decimal major-unit string ("12.34", "1000", "0.5") into minor units. Rejects more
 * fraction digits than the currency has (no silent rounding), exponents, signs other than a
 * leading minus, and separators.
 */
export function parseMoney(text: string, currency: string): Money {
  const { exponent } = requireCurrency(currency);
  const match = /^(-?)([0-9]{1,15})(?:\.([0-9]+))?$/.exec(text);
  if (match === null) {
    throw new TesseraError(LibErrorCode.moneyInvalid, 'expected a decimal amount such as 12.34');
  }
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new TesseraError(LibErrorCode.moneyInvalid, `${currency} has ${exponent} decimal places`);
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  return money(sign === '-' ? -minor : minor, currency);
}

/** "12.34" for 1234n CNY; "1234" for 1234n JPY; "-0.05" for -5n USD. */
export function formatAmount(value: Money): string {
  const { exponent } = requireCurrency(value.currency);
  const negative = value.amountMinor < 0n;
  const digits = (negative ? -value.amountMinor : value.amountMinor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

/** "CNY 12.34": the unambiguous form used in receipts, SMS and logs. */
export function formatMoney(value: Money): string {
  return `${value.currency} ${formatAmount(value)}`;
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) {
    throw new TesseraError(LibErrorCode.moneyInvalid, `cannot add ${b.currency} to ${a.currency}`);
  }
  return money(a.amountMinor + b.amountMinor, a.currency);
}
