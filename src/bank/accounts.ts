import { inTransaction } from '../infra/db/index.js';
import { AMOUNT_MINOR_MAX, requireCurrency } from '../lib/money.js';
import type { BankContext } from './context.js';
import { bankError, BankErrorCode } from './errors.js';
import { ensureSystemAccounts, postEntry, systemAccountId } from './ledger.js';
import { NAME_LENGTH_MAX } from './limits.js';
import type { AccountKind } from './schema.js';
import { businessDateOf, newId } from './support.js';

export interface Account {
  readonly id: string;
  readonly kind: AccountKind;
  readonly customerId: string | null;
  readonly currency: string;
  readonly ledgerBalanceMinor: bigint;
  readonly availableBalanceMinor: bigint;
}

function requireName(name: string): string {
  if (name.length < 1 || name.length > NAME_LENGTH_MAX) throw bankError(BankErrorCode.invalid, `a name has 1 to ${NAME_LENGTH_MAX} characters`);
  return name;
}

export function requireAmountMinor(amountMinor: bigint, what: string): void {
  if (amountMinor <= 0n || amountMinor > AMOUNT_MINOR_MAX) {
    throw bankError(BankErrorCode.invalid, `${what} must be 1 to ${AMOUNT_MINOR_MAX} minor units`);
  }
}

export async function createCustomer(context: BankContext, input: { name: string }): Promise<string> {
  const id = newId(context.random);
  const name = requireName(input.name);
  await inTransaction(context.db, (trx) => trx.insertInto('bank.customers').values({ id, name }).execute());
  return id;
}

/** Opens a customer's account in one currency (and the bank's own accounts in that currency, once). */
export async function openCustomerAccount(context: BankContext, input: { customerId: string; currency: string }): Promise<string> {
  requireCurrency(input.currency);
  const id = newId(context.random);
  await inTransaction(context.db, async (trx) => {
    const customer = await trx.selectFrom('bank.customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
    if (customer === undefined) throw bankError(BankErrorCode.notFound, 'no such customer');
    await ensureSystemAccounts(trx, context.random, input.currency);
    await trx.insertInto('bank.accounts').values({ id, kind: 'customer', customer_id: input.customerId, currency: input.currency }).execute();
  });
  return id;
}

/**
 * Money arriving from outside the books (cash, a transfer in): the issuer's funding account
 * goes down by what the customer's account goes up.
 */
export async function deposit(context: BankContext, input: { accountId: string; amountMinor: bigint }): Promise<string> {
  requireAmountMinor(input.amountMinor, 'a deposit');
  return inTransaction(context.db, async (trx) => {
    const account = await trx.selectFrom('bank.accounts').select(['id', 'currency', 'kind']).where('id', '=', input.accountId).executeTakeFirst();
    if (account === undefined || account.kind !== 'customer') throw bankError(BankErrorCode.notFound, 'no such customer account');
    const funding = await systemAccountId(trx, 'issuer_funding', account.currency);
    return postEntry(trx, context.random, {
      kind: 'deposit', businessDate: businessDateOf(context.now()), description: 'deposit',
      postings: [
        { accountId: funding, currency: account.currency, amountMinor: -input.amountMinor },
        { accountId: account.id, currency: account.currency, amountMinor: input.amountMinor },
      ],
    });
  });
}

export async function getAccount(context: BankContext, accountId: string): Promise<Account> {
  const row = await context.db.selectFrom('bank.accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) throw bankError(BankErrorCode.notFound, 'no such account');
  return {
    id: row.id, kind: row.kind, customerId: row.customer_id, currency: row.currency,
    ledgerBalanceMinor: row.ledger_balance_minor, availableBalanceMinor: row.available_balance_minor,
  };
}

/** The bank's own accounts (clearing, funding, fees) and merchant settlement accounts, for reports and tests. */
export async function listAccounts(context: BankContext, filter: { kind?: AccountKind; currency?: string } = {}): Promise<Account[]> {
  let query = context.db.selectFrom('bank.accounts').selectAll().orderBy('created_at').orderBy('id');
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.currency !== undefined) query = query.where('currency', '=', filter.currency);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id, kind: row.kind, customerId: row.customer_id, currency: row.currency,
    ledgerBalanceMinor: row.ledger_balance_minor, availableBalanceMinor: row.available_balance_minor,
  }));
}
