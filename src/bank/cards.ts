import type { Transaction } from 'kysely';
import { inTransaction } from '../infra/db/index.js';
import { openAESGCM, sealAESGCM } from '../lib/crypto/index.js';
import { utf8 } from '../lib/bytes.js';
import { isPlausiblePAN } from '../lib/luhn.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import {
  CARD_DAILY_COUNT_MAX, CARD_DAILY_COUNT_MAX_DEFAULT, CARD_DAILY_LIMIT_MINOR_DEFAULT, CARD_TRANSACTION_LIMIT_MINOR_DEFAULT,
} from './limits.js';
import { requireAmountMinor } from './accounts.js';
import type { BankDatabase, CardStatus } from './schema.js';
import { EXPIRY_PATTERN, newId, panHash } from './support.js';

/** Binds a sealed issuer master key to its row: moved to another row it no longer opens. */
function issuerKeyAdditionalData(id: string): Uint8Array {
  return utf8(`tessera.bank.issuer_master_keys:${id}`);
}

/**
 * Stores an issuer master key for application cryptograms (EMV Book 2 §A1.4, option A derives
 * each card's key from it), sealed with AES-GCM under the key-encryption key.
 */
export async function addIssuerMasterKey(context: BankContext, input: { label: string; key: Uint8Array }): Promise<string> {
  if (![16, 24, 32].includes(input.key.length)) throw bankError(BankErrorCode.invalid, 'an issuer master key has 16, 24 or 32 bytes');
  if (input.label.length < 1 || input.label.length > 100) throw bankError(BankErrorCode.invalid, 'a key label has 1 to 100 characters');
  const id = newId(context.random);
  const sealed = sealAESGCM(context.kek, input.key, issuerKeyAdditionalData(id), context.random);
  await inTransaction(context.db, (trx) => trx.insertInto('bank.issuer_master_keys').values({ id, label: input.label, key_sealed: sealed }).execute());
  return id;
}

export function openIssuerMasterKey(context: BankContext, id: string, sealed: Uint8Array): Uint8Array {
  return openAESGCM(context.kek, sealed, issuerKeyAdditionalData(id));
}

/** An issuer BIN range: PANs starting with `prefix` are ours, and their cryptograms use this master key. */
export async function addBinRange(context: BankContext, input: { prefix: string; name: string; issuerMasterKeyId: string }): Promise<void> {
  if (!/^[0-9]{6,8}$/.test(input.prefix)) throw bankError(BankErrorCode.invalid, 'a BIN is 6 to 8 digits');
  if (input.name.length < 1 || input.name.length > 100) throw bankError(BankErrorCode.invalid, 'a BIN name has 1 to 100 characters');
  await inTransaction(context.db, async (trx) => {
    const key = await trx.selectFrom('bank.issuer_master_keys').select('id').where('id', '=', input.issuerMasterKeyId).executeTakeFirst();
    if (key === undefined) throw bankError(BankErrorCode.notFound, 'no such issuer master key');
    await trx.insertInto('bank.bin_ranges').values({ prefix: input.prefix, name: input.name, issuer_master_key_id: input.issuerMasterKeyId }).execute();
  });
}

export interface CardIssue {
  readonly accountId: string;
  /** The token PAN (12-19 digits, Luhn valid, inside a registered BIN range). */
  readonly pan: string;
  /** YYMM. */
  readonly expiry: string;
  /** PAN sequence number (EMV tag 5F34), 0-99. */
  readonly psn: number;
  readonly transactionLimitMinor?: bigint;
  readonly dailyLimitMinor?: bigint;
  readonly dailyCountMax?: number;
}

/** Issues a card (a token) on a customer account. */
export async function issueCard(context: BankContext, input: CardIssue): Promise<string> {
  if (!isPlausiblePAN(input.pan)) throw bankError(BankErrorCode.invalid, 'a PAN has 12 to 19 digits and a valid Luhn check digit');
  if (!EXPIRY_PATTERN.test(input.expiry)) throw bankError(BankErrorCode.invalid, 'an expiry is YYMM');
  if (!Number.isInteger(input.psn) || input.psn < 0 || input.psn > 99) throw bankError(BankErrorCode.invalid, 'a PSN is 0 to 99');
  const transactionLimit = input.transactionLimitMinor ?? CARD_TRANSACTION_LIMIT_MINOR_DEFAULT;
  const dailyLimit = input.dailyLimitMinor ?? CARD_DAILY_LIMIT_MINOR_DEFAULT;
  const dailyCountMax = input.dailyCountMax ?? CARD_DAILY_COUNT_MAX_DEFAULT;
  requireAmountMinor(transactionLimit, 'a transaction limit');
  requireAmountMinor(dailyLimit, 'a daily limit');
  if (!Number.isInteger(dailyCountMax) || dailyCountMax < 1 || dailyCountMax > CARD_DAILY_COUNT_MAX) {
    throw bankError(BankErrorCode.invalid, `a daily count limit is 1 to ${CARD_DAILY_COUNT_MAX}`);
  }
  const id = newId(context.random);
  await inTransaction(context.db, async (trx) => {
    const account = await trx.selectFrom('bank.accounts').select('kind').where('id', '=', input.accountId).executeTakeFirst();
    if (account?.kind !== 'customer') throw bankError(BankErrorCode.notFound, 'no such customer account');
    const bin = await binOf(trx, input.pan);
    if (bin === undefined) throw bankError(BankErrorCode.invalid, 'the PAN is in no BIN range of this issuer');
    await trx.insertInto('bank.cards').values({
      id, account_id: input.accountId, bin_prefix: bin, pan: input.pan, pan_hash: panHash(input.pan), pan_last4: input.pan.slice(-4),
      expiry: input.expiry, psn: input.psn, status: 'active', transaction_limit_minor: transactionLimit, daily_limit_minor: dailyLimit,
      daily_count_max: dailyCountMax,
    }).execute();
  });
  return id;
}

/** The longest registered BIN prefix of `pan`. */
async function binOf(trx: Transaction<BankDatabase>, pan: string): Promise<string | undefined> {
  const prefixes = [8, 7, 6].map((length) => pan.slice(0, length));
  const row = await trx.selectFrom('bank.bin_ranges').select('prefix').where('prefix', 'in', prefixes)
    .orderBy((eb) => eb.fn('length', ['prefix']), 'desc').executeTakeFirst();
  return row?.prefix;
}

export async function setCardStatus(context: BankContext, cardId: string, status: CardStatus): Promise<void> {
  await inTransaction(context.db, async (trx) => {
    const updated = await trx.updateTable('bank.cards').set({ status }).where('id', '=', cardId).executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) throw bankError(BankErrorCode.notFound, 'no such card');
  });
}
