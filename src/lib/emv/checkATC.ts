import { requireIntegerInRange, requireLength } from './checks.js';
import { ATC_BYTES, ATC_MAX, ATC_WINDOW_MAX } from './limits.js';

export interface CheckATCInput {
  /** The Application Transaction Counter in the request (tag 9F36), 0 to FFFF. */
  readonly receivedATC: number;
  /** The highest ATC the issuer has accepted from this card, or null when it has seen none. */
  readonly highestSeenATC: number | null;
  /** The largest forward jump accepted, 1 or more: a card may count transactions the issuer never saw (offline, declined at the terminal). */
  readonly window: number;
}

/**
 * - ok: the ATC is new and within the window; `gap` is how far it moved (1 = the next one).
 * - replayed: the ATC is not above the highest seen, so the cryptogram is a replay or a clone.
 * - out-of-window: the ATC jumped further than the window allows, a sign of a cloned or abused card.
 */
export type ATCCheckResult =
  | { readonly status: 'ok'; readonly gap: number }
  | { readonly status: 'replayed'; readonly gap: number }
  | { readonly status: 'out-of-window'; readonly gap: number };

/**
 * The issuer's counter check. EMV defines the counter (Book 3 Annex A, tag 9F36: incremented by the
 * card for every transaction) and leaves its checking to the issuer; the usual pair of checks is
 * this one: an ATC must strictly increase, and by no more than the window. A pure function: the caller reads
 * the highest seen ATC and records the new one in one transaction, so two requests cannot both pass.
 * Before any ATC is seen the baseline is -1, so a window of w accepts 0 to w - 1.
 * `gap` is received minus highest seen (or minus -1), so 0 or less for a replay.
 */
export function checkATC(input: CheckATCInput): ATCCheckResult {
  const { receivedATC, highestSeenATC, window } = input;
  requireIntegerInRange(receivedATC, 0, ATC_MAX, 'received ATC');
  if (highestSeenATC !== null) requireIntegerInRange(highestSeenATC, 0, ATC_MAX, 'highest seen ATC');
  requireIntegerInRange(window, 1, ATC_WINDOW_MAX, 'ATC window');
  const gap = receivedATC - (highestSeenATC ?? -1);
  if (gap <= 0) return { status: 'replayed', gap };
  if (gap > window) return { status: 'out-of-window', gap };
  return { status: 'ok', gap };
}

/** The ATC as a number from its 2-byte big-endian encoding (tag 9F36, b 2). */
export function decodeATC(atc: Uint8Array): number {
  requireLength(atc, ATC_BYTES, 'ATC');
  return ((atc[0] as number) << 8) | (atc[1] as number);
}
