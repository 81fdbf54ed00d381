import type { Selectable, Transaction } from 'kysely';
import { canonicalJson, DatabaseErrorCode, inTransaction, isUniqueViolation } from '../infra/db/index.js';
import { isTesseraError } from '../lib/errors.js';
import { bytesEqual } from '../lib/bytes.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { ResponseCode, type DeclineReason } from './responseCodes.js';
import type { AuthorizationKind, BankDatabase } from './schema.js';
import { AUTHORIZATION_ROUNDS_MAX } from './limits.js';
import { lockRequestKeys } from './locks.js';
import { newAuthorizationCode, sha256, STAN_PATTERN, TERMINAL_ID_PATTERN } from './support.js';

/**
 * What identifies one request from an acquirer: field 41 (card acceptor terminal id), field 11
 * (STAN) and field 7 (transmission date and time). A retransmission carries the same three; a
 * reversal (0400) names the original by them (field 90 carries them on the wire).
 */
export interface TransactionKey {
  readonly terminalId: string;
  readonly stan: string;
  readonly transmittedAt: Date;
}

export interface AuthorizationResult {
  readonly approved: boolean;
  readonly responseCode: ResponseCode;
  /** Field 38, on approvals only. */
  readonly authorizationCode?: string;
  /** Absent when the request was refused before it could be recorded (malformed, busy, duplicate mismatch). */
  readonly authorizationId?: string;
  readonly holdId?: string;
  readonly entryId?: string;
  /** For the log and the operator; never put on the wire (responseCodes.ts). */
  readonly declineReason?: DeclineReason;
  /** True when this is the stored answer to an earlier transmission of the same request. */
  readonly replayed: boolean;
}

export type AuthorizationRow = Selectable<BankDatabase['bank.authorizations']>;

export function requireTransactionKey(key: TransactionKey): void {
  if (!TERMINAL_ID_PATTERN.test(key.terminalId)) throw bankError(BankErrorCode.invalid, 'a terminal id is 8 printable characters (field 41)');
  if (!STAN_PATTERN.test(key.stan)) throw bankError(BankErrorCode.invalid, 'a STAN is 6 digits (field 11)');
  if (!(key.transmittedAt instanceof Date) || Number.isNaN(key.transmittedAt.getTime())) {
    throw bankError(BankErrorCode.invalid, 'the transmission date and time (field 7) is not a valid instant');
  }
}

/** SHA-256 of the request's meaning, so a retransmission with the same key but other content is caught. */
export function hashAuthorizationRequest(fields: Record<string, string | number | null>): Uint8Array {
  return sha256(canonicalJson(fields));
}

/** `lock`: FOR UPDATE, for a READ COMMITTED caller that decides on the row (a reversal, a refund of it: locks.ts). */
export async function findAuthorizationByKey(
  trx: Transaction<BankDatabase>, key: TransactionKey, options: { readonly lock?: boolean } = {},
): Promise<AuthorizationRow | undefined> {
  let query = trx.selectFrom('bank.authorizations').selectAll()
    .where('terminal_id', '=', key.terminalId).where('stan', '=', key.stan).where('transmitted_at', '=', key.transmittedAt);
  if (options.lock === true) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The answer a recorded authorization gives (replayed to a retransmission). */
export type AnswerColumns = Pick<AuthorizationRow, 'id' | 'response_code' | 'authorization_code' | 'hold_id' | 'entry_id' | 'decline_reason'>;

export function resultOf(row: AnswerColumns, replayed: boolean): AuthorizationResult {
  return {
    approved: row.response_code === ResponseCode.approved,
    responseCode: row.response_code as ResponseCode,
    authorizationId: row.id,
    ...(row.authorization_code === null ? {} : { authorizationCode: row.authorization_code }),
    ...(row.hold_id === null ? {} : { holdId: row.hold_id }),
    ...(row.entry_id === null ? {} : { entryId: row.entry_id }),
    ...(row.decline_reason === null ? {} : { declineReason: row.decline_reason as DeclineReason }),
    replayed,
  };
}

export interface AuthorizationFacts {
  readonly id: string;
  readonly kind: AuthorizationKind;
  readonly key: TransactionKey;
  readonly requestHash: Uint8Array;
  readonly merchantId: string;
  readonly cardId: string | null;
  readonly panLast4: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly atc: number | null;
  readonly businessDate: string;
  readonly originalAuthorizationId: string | null;
}

/** Writes the record of a request with its outcome; the answer a retransmission will get. */
export async function recordAuthorization(
  trx: Transaction<BankDatabase>,
  context: BankContext,
  facts: AuthorizationFacts,
  outcome: { responseCode: ResponseCode; declineReason?: DeclineReason; holdId?: string; entryId?: string },
): Promise<AuthorizationResult> {
  const approved = outcome.responseCode === ResponseCode.approved;
  const row = await trx.insertInto('bank.authorizations').values({
    id: facts.id, kind: facts.kind, terminal_id: facts.key.terminalId, stan: facts.key.stan, transmitted_at: facts.key.transmittedAt,
    request_hash: facts.requestHash, merchant_id: facts.merchantId, card_id: facts.cardId, pan_last4: facts.panLast4,
    amount_minor: facts.amountMinor, currency: facts.currency, atc: facts.atc, response_code: outcome.responseCode,
    decline_reason: approved ? null : outcome.declineReason ?? null,
    authorization_code: approved ? newAuthorizationCode(context.random) : null,
    hold_id: outcome.holdId ?? null, entry_id: outcome.entryId ?? null, original_authorization_id: facts.originalAuthorizationId,
    business_date: facts.businessDate, reversed_at: null, reversal_entry_id: null,
  }).returningAll().executeTakeFirstOrThrow();
  return resultOf(row, false);
}

/**
 * Runs one request's transaction: replays the stored answer of an earlier transmission, answers
 * 94 to a different request under the same key, else decides. Two transmissions racing each other
 * meet at the unique key; the loser runs again and replays. A transaction that keeps conflicting
 * answers 91 (issuer unavailable) and records nothing, so the acquirer may try again.
 */
export async function runAuthorization(
  context: BankContext,
  key: TransactionKey,
  requestHash: Uint8Array,
  decide: (trx: Transaction<BankDatabase>) => Promise<AuthorizationResult>,
): Promise<AuthorizationResult> {
  // READ COMMITTED after the request key's lock (locks.ts): the read below sees an earlier
  // transmission or a reversal that another transaction committed while this one waited.
  const attempt = (): Promise<AuthorizationResult> => inTransaction(context.db, async (trx) => {
    await lockRequestKeys(trx, [key]);
    const existing = await findAuthorizationByKey(trx, key);
    if (existing === undefined) return decide(trx);
    if (bytesEqual(existing.request_hash, requestHash)) return resultOf(existing, true);
    return { approved: false, responseCode: ResponseCode.duplicateTransmission, declineReason: 'duplicate-mismatch', replayed: false };
  }, { isolation: 'read committed' });
  // inTransaction already retries serialization failures with backoff; on one hot account that
  // is not always enough, so the whole run is repeated a bounded number of times before 91.
  for (let round = 1; ; round++) {
    try {
      try {
        return await attempt();
      } catch (error) {
        if (!isUniqueViolation(error, 'authorizations_request_key')) throw error;
        return await attempt();
      }
    } catch (error) {
      if (!isTesseraError(error) || error.code !== DatabaseErrorCode.transactionConflict) throw error;
      if (round >= AUTHORIZATION_ROUNDS_MAX) {
        return { approved: false, responseCode: ResponseCode.issuerUnavailable, declineReason: 'issuer-busy', replayed: false };
      }
    }
  }
}
