import { inTransaction } from '../infra/db/index.js';
import { requireCurrency } from '../lib/money.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { ensureSystemAccounts } from './ledger.js';
import { NAME_LENGTH_MAX } from './limits.js';
import { MERCHANT_ID_PATTERN, newId, TERMINAL_ID_PATTERN } from './support.js';

/**
 * The acquirer's side: merchants (ISO 8583 field 42, ans 15), their settlement account per
 * currency, and their terminals (field 41, ans 8).
 */
export async function addMerchant(context: BankContext, input: { id: string; name: string; currencies: readonly string[] }): Promise<{ settlementAccounts: Record<string, string> }> {
  if (!MERCHANT_ID_PATTERN.test(input.id)) throw bankError(BankErrorCode.invalid, 'a merchant id is 15 printable characters (field 42)');
  if (input.name.length < 1 || input.name.length > NAME_LENGTH_MAX) throw bankError(BankErrorCode.invalid, `a name has 1 to ${NAME_LENGTH_MAX} characters`);
  if (input.currencies.length === 0) throw bankError(BankErrorCode.invalid, 'a merchant settles in at least one currency');
  for (const currency of input.currencies) requireCurrency(currency);
  const settlementAccounts: Record<string, string> = {};
  for (const currency of new Set(input.currencies)) settlementAccounts[currency] = newId(context.random);
  await inTransaction(context.db, async (trx) => {
    await trx.insertInto('bank.merchants').values({ id: input.id, name: input.name }).execute();
    for (const [currency, accountId] of Object.entries(settlementAccounts)) {
      await ensureSystemAccounts(trx, context.random, currency);
      await trx.insertInto('bank.accounts').values({ id: accountId, kind: 'merchant_settlement', customer_id: null, currency }).execute();
      await trx.insertInto('bank.merchant_accounts').values({ merchant_id: input.id, currency, account_id: accountId }).execute();
    }
  });
  return { settlementAccounts };
}

export async function addTerminal(context: BankContext, input: { id: string; merchantId: string }): Promise<void> {
  if (!TERMINAL_ID_PATTERN.test(input.id)) throw bankError(BankErrorCode.invalid, 'a terminal id is 8 printable characters (field 41)');
  await inTransaction(context.db, async (trx) => {
    const merchant = await trx.selectFrom('bank.merchants').select('id').where('id', '=', input.merchantId).executeTakeFirst();
    if (merchant === undefined) throw bankError(BankErrorCode.notFound, 'no such merchant');
    await trx.insertInto('bank.terminals').values({ id: input.id, merchant_id: input.merchantId }).execute();
  });
}
