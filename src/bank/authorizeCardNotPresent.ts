import { inTransaction } from '../infra/db/index.js';
import { toHex } from '../lib/bytes.js';
import { hashAuthorizationRequest, type AuthorizationResult } from './authorizationRecord.js';
import { authorize, checkRequestFormat, type AuthorizeRequest, type PreparedAuthorization } from './authorize.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { panHash, TERMINAL_ID_PATTERN } from './support.js';

/**
 * Card-not-present (e-commerce) purchases: an 0200 without chip data from an online payment
 * gateway that authenticated the cardholder out of band (seed 002: password, then an SMS
 * authorization code). There is no ARQC and no ATC to check: the bank's trust rests on the
 * terminal, which must be flagged `card_not_present` (only the gateway's terminals are), and on
 * the authentication indicator the gateway sends in field 48. Limits, funds, idempotency on
 * (terminal, STAN, field 7), reversals and the ledger are exactly those of a chip purchase.
 * docs/bank.md "Card not present".
 */

/** Field 48 of a card-not-present 0200: "OOB" ‖ method ‖ the gateway's reference for the authentication. */
export interface CardholderAuthentication {
  /** 'S': password + one-time code sent by SMS (seed 002 business flow 1). */
  readonly method: 'S';
  /** The gateway's reference (its payment id), 1-60 printable characters; kept with the authorization. */
  readonly reference: string;
}

export const CARDHOLDER_AUTHENTICATION_PATTERN = /^OOB(S)([ -~]{1,60})$/;

/** Field 48 as text, and back. */
export function formatCardholderAuthentication(authentication: CardholderAuthentication): string {
  return `OOB${authentication.method}${authentication.reference}`;
}

export function parseCardholderAuthentication(field48: string | undefined): CardholderAuthentication | undefined {
  const match = CARDHOLDER_AUTHENTICATION_PATTERN.exec(field48 ?? '');
  if (match === null || match[1] !== 'S' || match[2] === undefined) return undefined;
  return { method: 'S', reference: match[2] };
}

/**
 * The card-not-present request's own checks before it joins a batch: a purchase, with a well-formed
 * field 48. The batch then applies the chip path's checks minus the cryptogram and the ATC, plus the
 * terminal's `card_not_present` flag (answered 58, decline reason `channel-not-permitted`).
 */
export function prepareCardNotPresent(request: AuthorizeRequest, authentication: CardholderAuthentication): PreparedAuthorization {
  if (request.kind !== 'purchase') throw bankError(BankErrorCode.invalid, 'a card-not-present request is a purchase (0200)');
  const reference = formatCardholderAuthentication(authentication);
  if (parseCardholderAuthentication(reference) === undefined) throw bankError(BankErrorCode.invalid, 'field 48 is not a cardholder authentication indicator');
  const refused = checkRequestFormat(request);
  if (refused !== undefined) return { refused };
  const hashedPan = panHash(request.pan);
  const requestHash = hashAuthorizationRequest({
    kind: request.kind, channel: 'ecommerce', pan: toHex(hashedPan), expiry: request.expiry,
    amountMinor: request.amountMinor.toString(), currency: request.currency, merchantId: request.merchantId, authentication: reference,
  });
  return { pending: { request, requestHash, cardholderAuthentication: reference, panHash: hashedPan } };
}

/** A card-not-present purchase on its own (a batch of one); `authorize` with `cardNotPresent` set does the same. */
export async function authorizeCardNotPresent(
  context: BankContext, request: AuthorizeRequest, authentication: CardholderAuthentication,
): Promise<AuthorizationResult> {
  return authorize(context, { ...request, cardNotPresent: authentication });
}

/**
 * Lets a terminal send card-not-present purchases: the acquirer does this for an online payment
 * gateway's terminals only (a shop's POS stays chip-only, so a stolen PAN cannot be keyed there).
 */
export async function enableCardNotPresent(context: BankContext, terminalId: string): Promise<void> {
  if (!TERMINAL_ID_PATTERN.test(terminalId)) throw bankError(BankErrorCode.invalid, 'a terminal id is 8 printable characters (field 41)');
  await inTransaction(context.db, async (trx) => {
    const updated = await trx.updateTable('bank.terminals').set({ card_not_present: true }).where('id', '=', terminalId).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw bankError(BankErrorCode.notFound, 'no such terminal');
  });
}
