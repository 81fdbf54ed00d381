import { ApplicationLifeCycle, CardLifeCycle } from '../../card/client.js';
import { badge, type Html } from './html.js';

/** ISO 4217 currencies with no minor unit; every other one is shown with two decimals. */
const ZERO_EXPONENT_CURRENCIES = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
/** Audit-log details and similar free text are cut to this many characters on a page. */
export const DETAIL_CHARACTERS_MAX = 300;

/** Integer minor units as a decimal amount with its currency (`1234` CNY → `12.34 CNY`). */
export function formatMoney(amountMinor: bigint | number | string, currency: string): string {
  const value = BigInt(amountMinor);
  if (ZERO_EXPONENT_CURRENCIES.has(currency)) return `${value} ${currency}`;
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  return `${sign}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')} ${currency}`;
}

export function formatTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.[0-9]{3}Z$/, 'Z');
}

/** Any run of 12–19 digits (a PAN's shape) keeps only its last four: nothing on a page shows a full PAN. */
export function maskDigitRuns(text: string): string {
  return text.replace(/[0-9]{12,19}/g, (digits) => `••••${digits.slice(-4)}`);
}

/** JSON details for a table cell: PAN-shaped digits masked, cut to DETAIL_CHARACTERS_MAX. */
export function formatDetails(details: unknown): string {
  const text = maskDigitRuns(typeof details === 'string' ? details : JSON.stringify(details) ?? '');
  return text.length > DETAIL_CHARACTERS_MAX ? `${text.slice(0, DETAIL_CHARACTERS_MAX)}…` : text;
}

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/** Card life cycle (GP 2.3 §11.1.1, table 11-3). */
export function cardLifeCycleName(value: number): string {
  const names: Record<number, string> = {
    [CardLifeCycle.opReady]: 'OP_READY', [CardLifeCycle.initialized]: 'INITIALIZED', [CardLifeCycle.secured]: 'SECURED',
    [CardLifeCycle.cardLocked]: 'CARD_LOCKED', [CardLifeCycle.terminated]: 'TERMINATED',
  };
  return `${names[value] ?? 'UNKNOWN'} (${hexByte(value)})`;
}

/**
 * Application / security domain life cycle (GP 2.3 §11.1.1, tables 11-4 and 11-5): bit 8 is LOCKED
 * on top of the earlier state; an application's bits 4–7 above SELECTABLE are its own states.
 */
export function entryLifeCycleName(value: number, isDomain: boolean): string {
  const locked = (value & ApplicationLifeCycle.lockedBit) !== 0;
  const base = value & ~ApplicationLifeCycle.lockedBit;
  let name: string;
  if (base === ApplicationLifeCycle.installed) name = 'INSTALLED';
  else if (base === ApplicationLifeCycle.selectable) name = 'SELECTABLE';
  else if (isDomain && base === ApplicationLifeCycle.personalized) name = 'PERSONALIZED';
  else if ((base & ApplicationLifeCycle.selectable) === ApplicationLifeCycle.selectable) name = 'SELECTABLE + application-specific';
  else name = 'UNKNOWN';
  return `${locked ? 'LOCKED, was ' : ''}${name} (${hexByte(value)})`;
}

const OK_STATES = new Set(['active', 'running', 'succeeded', 'DELIVERED', 'completed', 'registered', 'authorized', 'captured', 'ended']);
const BAD_STATES = new Set(['failed', 'terminated', 'UNDELIVERABLE', 'REJECTED', 'EXPIRED', 'expired', 'canceled', 'blocked', 'lost', 'stolen', 'locked']);

/** A state as a badge coloured by what it means to an operator. */
export function stateBadge(state: string): Html {
  if (OK_STATES.has(state)) return badge(state, 'ok');
  if (BAD_STATES.has(state)) return badge(state, 'bad');
  return badge(state, 'warn');
}
