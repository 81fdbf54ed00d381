import { AMOUNT_MINOR_MAX } from '../lib/money.js';
import {
  findAuthorizationByKey, hashAuthorizationRequest, recordAuthorization, requireTransactionKey, runAuthorization,
  type AuthorizationFacts, type AuthorizationResult, type TransactionKey,
} from './authorizationRecord.js';
import type { BankContext } from './context.js';
import { postEntry, systemAccountId } from './ledger.js';
import { REFUNDS_PER_AUTHORIZATION_MAX } from './limits.js';
import { ResponseCode } from './responseCodes.js';
import { netDebited } from './reverse.js';
import { bankError, BankErrorCode } from './errors.js';
import { businessDateOf, MERCHANT_ID_PATTERN, newId } from './support.js';

export interface RefundRequest extends TransactionKey {
  /** The key of the purchase or preauthorization being refunded. */
  readonly original: TransactionKey;
  /** Field 42 of the refund: it must be the original's merchant. */
  readonly merchantId: string;
  readonly amountMinor: bigint;
}

/**
 * A refund (0200 with processing code 20): money back from the merchant's side to the customer,
 * at most what the customer is still out of pocket for the original. Recorded and idempotent like
 * an authorization, under its own key.
 */
export async function refund(context: BankContext, request: RefundRequest): Promise<AuthorizationResult> {
  requireTransactionKey(request);
  requireTransactionKey(request.original);
  if (!MERCHANT_ID_PATTERN.test(request.merchantId)) throw bankError(BankErrorCode.invalid, 'a merchant id is 15 printable characters (field 42)');
  if (request.amountMinor <= 0n || request.amountMinor > AMOUNT_MINOR_MAX) {
    return { approved: false, responseCode: ResponseCode.invalidAmount, declineReason: 'amount-invalid', replayed: false };
  }
  const requestHash = hashAuthorizationRequest({
    kind: 'refund', originalTerminalId: request.original.terminalId, originalStan: request.original.stan,
    originalTransmittedAt: request.original.transmittedAt.toISOString(), merchantId: request.merchantId, amountMinor: request.amountMinor.toString(),
  });
  return runAuthorization(context, request, requestHash, async (trx) => {
    // Locked: a reversal of the original, or another refund of it, waits for this one's COMMIT and then sees it.
    const original = await findAuthorizationByKey(trx, request.original, { lock: true });
    if (original === undefined) return { approved: false, responseCode: ResponseCode.recordNotFound, declineReason: 'original-not-found', replayed: false };
    const facts: AuthorizationFacts = {
      id: newId(context.random), kind: 'refund', key: request, requestHash, merchantId: request.merchantId, cardId: original.card_id,
      panLast4: original.pan_last4, amountMinor: request.amountMinor, currency: original.currency, atc: null,
      businessDate: businessDateOf(context.now()), originalAuthorizationId: original.id,
    };
    const declined = (code: ResponseCode, reason: 'original-not-refundable' | 'merchant-mismatch' | 'refund-exceeds-captured'): Promise<AuthorizationResult> =>
      recordAuthorization(trx, context, facts, { responseCode: code, declineReason: reason });
    if (original.kind === 'refund' || original.response_code !== ResponseCode.approved || original.reversed_at !== null || original.card_id === null) {
      return declined(ResponseCode.invalidTransaction, 'original-not-refundable');
    }
    if (original.merchant_id !== request.merchantId) return declined(ResponseCode.invalidMerchant, 'merchant-mismatch');
    const refunds = await trx.selectFrom('bank.authorizations').select((eb) => eb.fn.countAll<bigint>().as('count'))
      .where('original_authorization_id', '=', original.id).executeTakeFirstOrThrow();
    if (refunds.count >= BigInt(REFUNDS_PER_AUTHORIZATION_MAX)) return declined(ResponseCode.invalidTransaction, 'original-not-refundable');
    if (request.amountMinor > await netDebited(trx, original)) return declined(ResponseCode.invalidAmount, 'refund-exceeds-captured');

    const card = await trx.selectFrom('bank.cards').select('account_id').where('id', '=', original.card_id).executeTakeFirstOrThrow();
    // The customer's account before the bank's clearing account (the order of locks.ts), although the postings name clearing first.
    await trx.selectFrom('bank.accounts').select('id').where('id', '=', card.account_id).forNoKeyUpdate().execute();
    const clearing = await systemAccountId(trx, 'issuer_clearing', original.currency);
    const entryId = await postEntry(trx, context.random, {
      kind: 'refund', authorizationId: facts.id, merchantId: original.merchant_id, businessDate: facts.businessDate,
      description: `refund at ${original.merchant_id.trim()} of STAN ${original.stan}`,
      postings: [
        { accountId: clearing, currency: original.currency, amountMinor: -request.amountMinor },
        { accountId: card.account_id, currency: original.currency, amountMinor: request.amountMinor },
      ],
    });
    return recordAuthorization(trx, context, facts, { responseCode: ResponseCode.approved, entryId });
  });
}
