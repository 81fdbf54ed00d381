import { isLuhnValid } from '../../lib/luhn.js';
/**
 * Masks what must never reach a log even when it hides inside free text: primary account numbers
 * (PCI DSS 3.4: at most the first six and last four digits may be shown) and hex key material
 * written next to a label such as `key=` or `KEK:`.
 */

/** Shortest digit run masked as a PAN. ISO/IEC 7812-1 allows 12 (src/lib/luhn.ts accepts 12),
 * but 12-digit identifiers are common in logs and payment-card PANs have at least 13 digits. */
export const LOG_PAN_DIGITS_MIN = 13;
/** Longest PAN, ISO/IEC 7812-1 §4. */
export const LOG_PAN_DIGITS_MAX = 19;
/** Shortest hex run masked after a key label: 16 hex digits is a single-length DES key. */
export const LABELLED_HEX_DIGITS_MIN = 16;

/**
 * A run of digit groups joined by single spaces or dashes, as PANs are printed (`4242 4242 …`),
 * not starting inside a decimal fraction. Which groups form a PAN is decided afterwards: the run
 * may also hold an expiry date or an amount next to the card number.
 */
const DIGIT_GROUPS = /(?<![0-9.])[0-9]+(?:[ -][0-9]+)*/g;

/**
 * A label naming key material, a separator (`=`, `:`, with optional quotes, which may be
 * JSON-escaped inside a log line), then a hex blob. The label is kept so the line still says what
 * was there.
 */
const LABELLED_HEX = new RegExp(
  `((?:key|keys|kek|dek|zmk|zpk|tmk|tpk|kcv|mac|secret|cryptogram|pinblock)\\b(?:\\\\?["'])?\\s*[:=]\\s*(?:\\\\?["'])?)[0-9A-Fa-f]{${LABELLED_HEX_DIGITS_MIN},}`,
  'gi',
);

/** First six and last four digits stay (the BIN identifies the issuer; the last four let a
 * person match a card); every other digit becomes `*`. */
export function maskPANDigits(digits: string): string {
  return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
}

/** True for 13-19 decimal digits with a valid Luhn check digit. */
export function looksLikePAN(digits: string): boolean {
  return (
    digits.length >= LOG_PAN_DIGITS_MIN &&
    digits.length <= LOG_PAN_DIGITS_MAX &&
    /^[0-9]+$/.test(digits) &&
    isLuhnValid(digits)
  );
}

/**
 * Masks every PAN inside one run of digit groups. From each group, the longest stretch of whole
 * groups holding 13-19 digits with a valid Luhn digit is a PAN (longest, so a 19-digit PAN is
 * not cut at a 16-digit prefix that happens to pass); its groups are masked together. Groups are
 * never split, so digits glued to more digits are not taken apart.
 */
function maskPANsInGroups(run: string): string {
  const groups = run.split(/([ -])/);
  // `groups` alternates digits and separators: [digits, separator, digits, ...].
  const output: string[] = [];
  let index = 0;
  while (index < groups.length) {
    let matchEnd = -1;
    let digits = '';
    for (let end = index; end < groups.length && digits.length <= LOG_PAN_DIGITS_MAX; end += 2) {
      digits += groups[end] ?? '';
      if (looksLikePAN(digits)) matchEnd = end;
    }
    if (matchEnd < 0) {
      output.push(groups[index] ?? '', groups[index + 1] ?? '');
      index += 2;
      continue;
    }
    let pan = '';
    for (let group = index; group <= matchEnd; group += 2) pan += groups[group] ?? '';
    output.push(maskPANDigits(pan), groups[matchEnd + 1] ?? '');
    index = matchEnd + 2;
  }
  return output.join('');
}

/** Returns `text` with every PAN-like digit run masked and every labelled hex key redacted. */
export function maskSensitiveText(text: string): string {
  const panMasked = text.replace(DIGIT_GROUPS, (run) => (run.length < LOG_PAN_DIGITS_MIN ? run : maskPANsInGroups(run)));
  return panMasked.replace(LABELLED_HEX, (_match, label: string) => `${label}[REDACTED]`);
}

/** A JSON string literal, escapes included. */
const JSON_STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;

/**
 * Masks inside the string literals of a serialized JSON log line and leaves numbers alone: pino's
 * `time` is a 13-digit epoch in milliseconds, which passes the Luhn check one time in ten.
 * Numbers that are PANs are caught earlier, where the sanitizer still knows the value's type.
 */
export function maskSensitiveJSONLine(line: string): string {
  return line.replace(JSON_STRING_LITERAL, (literal) => maskSensitiveText(literal));
}
