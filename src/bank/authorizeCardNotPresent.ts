import { inTransaction } from '../infra/db/index.js';
import { toHex } from '../lib/bytes.js';
import {
  hashAuthorizationRequest, recordAuthorization, runAuthorization, type AuthorizationFacts, type AuthorizationResult,
} from './authorizationRecord.js';
import {
  approve, checkAcceptance, checkCard, checkLimits, checkRequestFormat, findCard, reversedBeforeArrival, type AuthorizeRequest, type Decision,
} from './authorize.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { ResponseCode, type DeclineReason } from './responseCodes.js';
import { businessDateOf, newId, panHash, TERMINAL_ID_PATTERN } from './support.js';

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
 * Not in responseCodes.ts's union (that file belongs to the chip flow); the column is plain text.
 * The wire answer is 58 "transaction not permitted to terminal".
 */
const CHANNEL_NOT_PERMITTED: DeclineReason = 'channel-not-permitted';

export async function authorizeCardNotPresent(
  context: BankContext, request: AuthorizeRequest, authentication: CardholderAuthentication,
): Promise<AuthorizationResult> {
  if (request.kind !== 'purchase') throw bankError(BankErrorCode.invalid, 'a card-not-present request is a purchase (0200)');
  const reference = formatCardholderAuthentication(authentication);
  if (parseCardholderAuthentication(reference) === undefined) throw bankError(BankErrorCode.invalid, 'field 48 is not a cardholder authentication indicator');
  const refused = checkRequestFormat(request);
  if (refused !== undefined) return refused;
  const requestHash = hashAuthorizationRequest({
    kind: request.kind, channel: 'ecommerce', pan: toHex(panHash(request.pan)), expiry: request.expiry,
    amountMinor: request.amountMinor.toString(), currency: request.currency, merchantId: request.merchantId, authentication: reference,
  });
  return runAuthorization(context, request, requestHash, async (trx) => {
    const nowMs = context.now();
    const card = await findCard(trx, request.pan);
    const facts: AuthorizationFacts = {
      id: newId(context.random), kind: 'purchase', key: request, requestHash, merchantId: request.merchantId, cardId: card?.id ?? null,
      panLast4: request.pan.slice(-4), amountMinor: request.amountMinor, currency: request.currency, atc: null,
      businessDate: businessDateOf(nowMs), originalAuthorizationId: null,
    };
    const finish = async (result: AuthorizationResult): Promise<AuthorizationResult> => {
      if (result.authorizationId !== undefined) {
        await trx.updateTable('bank.authorizations').set({ channel: 'ecommerce', cardholder_authentication: reference }).where('id', '=', result.authorizationId).execute();
      }
      return result;
    };
    const declined = async (decision: NonNullable<Decision>): Promise<AuthorizationResult> =>
      finish(await recordAuthorization(trx, context, facts, { responseCode: decision.code, declineReason: decision.reason }));

    const acceptance = await checkAcceptance(trx, request);
    if (acceptance !== undefined) return declined(acceptance);
    const terminal = await trx.selectFrom('bank.terminals').select('card_not_present').where('id', '=', request.terminalId).executeTakeFirstOrThrow();
    if (!terminal.card_not_present) return declined({ code: ResponseCode.notPermittedToTerminal, reason: CHANNEL_NOT_PERMITTED });
    if (await reversedBeforeArrival(trx, request)) return declined({ code: ResponseCode.doNotHonour, reason: 'reversed-before-arrival' });
    if (card === undefined) return declined({ code: ResponseCode.invalidCardNumber, reason: 'card-unknown' });
    const cardDecision = checkCard(card, request, nowMs);
    if (cardDecision !== undefined) return declined(cardDecision);
    const limitDecision = await checkLimits(trx, card, request.amountMinor, facts.businessDate);
    if (limitDecision !== undefined) return declined(limitDecision);
    if (card.availableMinor < request.amountMinor) return declined({ code: ResponseCode.insufficientFunds, reason: 'insufficient-funds' });
    return finish(await approve(trx, context, facts, card));
  });
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
