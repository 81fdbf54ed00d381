import assert from 'node:assert/strict';
import { currencyByCode } from '../lib/currencies.js';
import { toHex } from '../lib/bytes.js';
import { AMOUNT_MINOR_MAX } from '../lib/money.js';
import {
  hashAuthorizationRequest, requireTransactionKey, type AuthorizationResult, type TransactionKey,
} from './authorizationRecord.js';
import { runAuthorizationBatch } from './authorizationBatcher.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { ATC_MAX, ATC_WINDOW_MAX } from './limits.js';
import { ResponseCode, type DeclineReason } from './responseCodes.js';
import type { CardStatus } from './schema.js';
import { prepareCardNotPresent, type CardholderAuthentication } from './authorizeCardNotPresent.js';
import { EXPIRY_PATTERN, expiryEndMs, MERCHANT_ID_PATTERN, PAN_PATTERN, panHash } from './support.js';

/** What the cryptogram check receives: enough to derive the card's keys and verify its ARQC. */
export interface CardForCryptogram {
  readonly cardId: string;
  readonly pan: string;
  readonly psn: number;
  readonly expiry: string;
  /** The ATC received in field 55 (tag 9F36), which the ARQC covers. */
  readonly atc: number;
  /** The BIN's issuer master key for application cryptograms, opened from its sealed form. */
  readonly issuerMasterKey: Uint8Array;
}

/**
 * Verifies the ARQC (EMV Book 2 §8.1.2) of this request. Supplied by the ISO 8583 server, which
 * has field 55; the bank knows the card and its keys, not the wire. Must be pure and synchronous:
 * it runs inside the database transaction, which may run more than once.
 */
export type CryptogramCheck = (card: CardForCryptogram) => 'ok' | 'mismatch';

export interface AuthorizeRequest extends TransactionKey {
  readonly kind: 'preauth' | 'purchase';
  /** Field 2 (or track 2, field 35): the token PAN. */
  readonly pan: string;
  /** Field 14, YYMM. */
  readonly expiry: string;
  /** Field 4, minor units of `currency` (field 49). */
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Tag 9F36. */
  readonly atc: number;
  /** Field 42. */
  readonly merchantId: string;
  readonly cryptogramCheck: CryptogramCheck;
  /**
   * Present for a card-not-present purchase (field 22 = 812, field 25 = 59, no field 55): the
   * cardholder was authenticated out of band by an online gateway (docs/bank.md "Card not
   * present"). `atc` and `cryptogramCheck` are then ignored; authorizeCardNotPresent decides.
   */
  readonly cardNotPresent?: CardholderAuthentication;
}

export interface CardRow {
  readonly id: string;
  readonly accountId: string;
  readonly pan: string;
  readonly expiry: string;
  readonly psn: number;
  readonly status: CardStatus;
  readonly transactionLimitMinor: bigint;
  readonly dailyLimitMinor: bigint;
  readonly dailyCountMax: number;
  readonly atcHighWater: number;
  readonly accountCurrency: string;
  readonly availableMinor: bigint;
  readonly issuerMasterKeyId: string;
  readonly issuerMasterKeySealed: Uint8Array;
}

export type Decision = { readonly code: ResponseCode; readonly reason: DeclineReason } | undefined;

function decline(code: ResponseCode, reason: DeclineReason): AuthorizationResult {
  return { approved: false, responseCode: code, declineReason: reason, replayed: false };
}

/** Refusals decided from the request alone; not recorded (they carry nothing to key a record on). */
export function checkRequestFormat(request: AuthorizeRequest): AuthorizationResult | undefined {
  requireTransactionKey(request);
  if (!MERCHANT_ID_PATTERN.test(request.merchantId)) throw bankError(BankErrorCode.invalid, 'a merchant id is 15 printable characters (field 42)');
  if (!Number.isInteger(request.atc) || request.atc < 0 || request.atc > ATC_MAX) throw bankError(BankErrorCode.invalid, 'an ATC is 0 to 65535');
  if (!PAN_PATTERN.test(request.pan)) return decline(ResponseCode.invalidCardNumber, 'card-unknown');
  if (request.amountMinor <= 0n || request.amountMinor > AMOUNT_MINOR_MAX) return decline(ResponseCode.invalidAmount, 'amount-invalid');
  if (currencyByCode(request.currency)?.exponent === undefined) return decline(ResponseCode.invalidAmount, 'amount-invalid');
  if (!EXPIRY_PATTERN.test(request.expiry)) return decline(ResponseCode.expiredCard, 'expiry-mismatch');
  return undefined;
}

/** A well-formed request waiting for its batch, with what the batch needs beyond the request. */
export interface PendingAuthorization {
  readonly request: AuthorizeRequest;
  /** SHA-256 of the request's meaning: a retransmission under the same key must carry the same. */
  readonly requestHash: Uint8Array;
  /** Field 48 as stored, for a card-not-present purchase; null on the chip channel. */
  readonly cardholderAuthentication: string | null;
  /** `panHash(request.pan)`, computed once: the request hash covers it and the batch looks the card up by it. */
  readonly panHash: Uint8Array;
}

/** Answered from the request alone, or ready for a batch. Malformed keys throw ERR_BANK_INVALID. */
export type PreparedAuthorization = { readonly refused: AuthorizationResult } | { readonly pending: PendingAuthorization };

export function prepareAuthorization(request: AuthorizeRequest): PreparedAuthorization {
  if (request.cardNotPresent !== undefined) return prepareCardNotPresent(request, request.cardNotPresent);
  const refused = checkRequestFormat(request);
  if (refused !== undefined) return { refused };
  const hashedPan = panHash(request.pan);
  const requestHash = hashAuthorizationRequest({
    kind: request.kind, pan: toHex(hashedPan), expiry: request.expiry, amountMinor: request.amountMinor.toString(),
    currency: request.currency, atc: request.atc, merchantId: request.merchantId,
  });
  return { pending: { request, requestHash, cardholderAuthentication: null, panHash: hashedPan } };
}

/**
 * Authorizes a preauthorization (0100) or a purchase (0200) for the issuer. Checks run in the
 * order a decline code is most useful and leaks least: acceptance (terminal, merchant, currency),
 * card (known, status, expiry), cryptogram, ATC, limits, funds. A verified cryptogram with a fresh
 * ATC raises the card's ATC high-water mark even when a later check declines: that ATC is spent.
 * Approval places a hold (preauth) or posts the purchase; all of it in one transaction (docs/bank.md "Locks").
 *
 * This is a batch of one (authorizeBatch.ts decides); `createBankService` puts concurrent
 * requests into shared batches instead (authorizationBatcher.ts, docs/bank.md "Group commit").
 */
export async function authorize(context: BankContext, request: AuthorizeRequest): Promise<AuthorizationResult> {
  const prepared = prepareAuthorization(request);
  if ('refused' in prepared) return prepared.refused;
  const [outcome] = await runAuthorizationBatch(context, [prepared.pending]);
  assert.ok(outcome !== undefined);
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

const STATUS_DECISIONS: Readonly<Record<Exclude<CardStatus, 'active'>, NonNullable<Decision>>> = {
  blocked: { code: ResponseCode.restrictedCard, reason: 'card-blocked' },
  lost: { code: ResponseCode.lostCard, reason: 'card-lost' },
  stolen: { code: ResponseCode.stolenCard, reason: 'card-stolen' },
};

export function checkCard(card: CardRow, request: AuthorizeRequest, nowMs: number): Decision {
  if (card.status !== 'active') return STATUS_DECISIONS[card.status];
  if (request.expiry !== card.expiry) return { code: ResponseCode.expiredCard, reason: 'expiry-mismatch' };
  if (nowMs > expiryEndMs(card.expiry)) return { code: ResponseCode.expiredCard, reason: 'card-expired' };
  if (request.currency !== card.accountCurrency) return { code: ResponseCode.notPermittedToCardholder, reason: 'currency-mismatch' };
  return undefined;
}

/**
 * EMV leaves ATC policy to the issuer: an ATC at or below the highest one seen is a replay; one
 * too far above it means counters that cannot be this card's (or a cryptogram made for later).
 */
export function checkATC(highWater: number, received: number): Decision {
  if (received <= highWater) return { code: ResponseCode.doNotHonour, reason: 'atc-replayed' };
  if (received - highWater > ATC_WINDOW_MAX) return { code: ResponseCode.doNotHonour, reason: 'atc-outside-window' };
  return undefined;
}
