import { LibErrorCode, TesseraError } from './errors.js';

/**
 * Luhn (ISO/IEC 7812-1 Annex B, "modulus 10, double add double") check digits for PANs.
 * Digits only: a PAN with spaces or dashes is a presentation format, not a PAN.
 */

const DIGITS = /^[0-9]+$/;
export const PAN_DIGITS_MIN = 12;
export const PAN_DIGITS_MAX = 19;

function luhnSum(digits: string, doubleFirst: boolean): number {
  let sum = 0;
  let double = doubleFirst;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum;
}

/** The check digit to append to `payload` (the PAN without its last digit). */
export function luhnCheckDigit(payload: string): string {
  if (!DIGITS.test(payload)) {
    throw new TesseraError(LibErrorCode.luhnInvalid, 'a Luhn payload must be decimal digits');
  }
  return String((10 - (luhnSum(payload, true) % 10)) % 10);
}

/** True when the last digit of `digits` is the Luhn check digit of the rest. */
export function isLuhnValid(digits: string): boolean {
  return digits.length >= 2 && DIGITS.test(digits) && luhnSum(digits, false) % 10 === 0;
}

/** True for a plausible PAN: 12-19 digits (ISO/IEC 7812-1 §4) with a valid check digit. */
export function isPlausiblePAN(digits: string): boolean {
  return digits.length >= PAN_DIGITS_MIN && digits.length <= PAN_DIGITS_MAX && isLuhnValid(digits);
}

/** Masks a PAN for display and logs: first six (the BIN) and last four stay, as PCI DSS 3.4 allows. */
export function maskPAN(pan: string): string {
  if (pan.length <= 10) return '*'.repeat(pan.length);
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}
