/**
 * SMPP 3.4 §7.1.1 time format "YYMMDDhhmmsstnnp": absolute (p is '+' or '-': local time ahead of or
 * behind UTC by nn quarter hours) or relative (p is 'R': YY years, MM months, … from now). Years are
 * 2000 + YY. A relative year is 365 days and a month 30 days, as SMSCs commonly count them.
 */
const PATTERN = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([+\-R])$/;
const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Milliseconds since the epoch, or undefined when `value` is not the SMPP time format. */
export function parseSMPPTime(value: string, nowMs: number): number | undefined {
  const match = PATTERN.exec(value);
  if (match === null) return undefined;
  const [yy, mo, dd, hh, mi, ss, tenths, quarters] = match.slice(1, 9).map(Number) as [number, number, number, number, number, number, number, number];
  const sign = match[9];
  if (sign === 'R') {
    return nowMs + yy * 365 * DAY_MS + mo * 30 * DAY_MS + dd * DAY_MS + hh * HOUR_MS + mi * MINUTE_MS + ss * SECOND_MS;
  }
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || quarters > 48) return undefined;
  const local = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss, tenths * 100);
  if (new Date(local).getUTCDate() !== dd) return undefined;
  const offset = quarters * 15 * MINUTE_MS;
  return sign === '+' ? local - offset : local + offset;
}

/** "YYMMDDhhmm" in UTC, as delivery receipts write their dates (SMPP 3.4 Appendix B). */
export function formatReceiptDate(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
}

/** A relative SMPP time ("YYMMDDhhmmss000R") for a duration, in days, hours, minutes and seconds (≤ 99 days). */
export function formatRelativeSMPPTime(durationMs: number): string {
  const totalSeconds = Math.max(0, Math.min(Math.floor(durationMs / 1000), 99 * 86_400 + 86_399));
  const two = (value: number) => String(value).padStart(2, '0');
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  return `0000${two(days)}${two(hours)}${two(minutes)}${two(totalSeconds % 60)}000R`;
}
