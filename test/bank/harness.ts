import { migrate } from '../../src/infra/db/index.js';
import { createDeterministicRandomSource } from '../../src/lib/crypto/index.js';
import { bytesEqual, fromHex, utf8 } from '../../src/lib/bytes.js';
import { luhnCheckDigit } from '../../src/lib/luhn.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createBankService, createCustomer, deposit, issueCard,
  openCustomerAccount, type AuthorizeRequest, type BankContext, type BankDatabase, type BankService, type CryptogramCheck,
} from '../../src/bank/client.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

export const BIN = '476173';
export const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
export const KEK = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
export const MERCHANT_ID = 'TESSERA SHOP 01';
export const OTHER_MERCHANT_ID = 'TESSERA CAFE 02';
export const TERMINAL_ID = 'POS00001';
export const OTHER_TERMINAL_ID = 'POS00002';
export const EXPIRY = '2812';
/** 2026-11-21 12:00 UTC: every test starts on this business date. */
export const START_MS = Date.UTC(2026, 10, 21, 12, 0, 0);

/** A cryptogram check that passes only when the bank hands over the BIN's real issuer master key. */
export const cryptogramOk: CryptogramCheck = (card) => (bytesEqual(card.issuerMasterKey, IMK) ? 'ok' : 'mismatch');
export const cryptogramMismatch: CryptogramCheck = () => 'mismatch';

export function panOf(serial: number): string {
  const payload = `${BIN}${String(serial).padStart(9, '0')}`;
  return payload + luhnCheckDigit(payload);
}

export interface Cardholder {
  readonly customerId: string;
  readonly accountId: string;
  readonly cardId: string;
  readonly pan: string;
  /** The next ATC the card will use. */
  atc: number;
}

export interface BankHarness {
  readonly database: TestDatabase<BankDatabase>;
  readonly context: BankContext;
  readonly service: BankService;
  readonly clock: { nowMs: number };
  cardholder(options?: { balanceMinor?: bigint; transactionLimitMinor?: bigint; dailyLimitMinor?: bigint; dailyCountMax?: number; currency?: string; expiry?: string }): Promise<Cardholder>;
  /** A purchase or preauth request with a fresh STAN, the card's next ATC and the harness's terminal. */
  request(holder: Cardholder, overrides?: Partial<AuthorizeRequest>): AuthorizeRequest;
  close(): Promise<void>;
}

export async function openBankHarness(seed = 'bank-tests'): Promise<BankHarness> {
  const database = await openTestDatabase<BankDatabase>();
  await migrate(database.db, BANK_SCHEMA, bankMigrations);
  const clock = { nowMs: START_MS };
  const context: BankContext = { db: database.db, kek: KEK, random: createDeterministicRandomSource(utf8(seed)), now: () => clock.nowMs };
  const service = createBankService(context);
  const keyId = await addIssuerMasterKey(context, { label: 'test IMK-AC', key: IMK });
  await addBinRange(context, { prefix: BIN, name: 'Tessera test BIN', issuerMasterKeyId: keyId });
  await addMerchant(context, { id: MERCHANT_ID, name: 'Tessera Shop', currencies: ['CNY', 'EUR'] });
  await addMerchant(context, { id: OTHER_MERCHANT_ID, name: 'Tessera Cafe', currencies: ['CNY'] });
  await addTerminal(context, { id: TERMINAL_ID, merchantId: MERCHANT_ID });
  await addTerminal(context, { id: OTHER_TERMINAL_ID, merchantId: OTHER_MERCHANT_ID });
  let serial = 0;
  let stan = 0;
  return {
    database, context, service, clock,
    async cardholder(options = {}) {
      serial += 1;
      const customerId = await createCustomer(context, { name: `customer ${serial}` });
      const accountId = await openCustomerAccount(context, { customerId, currency: options.currency ?? 'CNY' });
      const balance = options.balanceMinor ?? 1_000_00n;
      if (balance > 0n) await deposit(context, { accountId, amountMinor: balance });
      const pan = panOf(serial);
      const cardId = await issueCard(context, {
        accountId, pan, expiry: options.expiry ?? EXPIRY, psn: 1,
        ...(options.transactionLimitMinor === undefined ? {} : { transactionLimitMinor: options.transactionLimitMinor }),
        ...(options.dailyLimitMinor === undefined ? {} : { dailyLimitMinor: options.dailyLimitMinor }),
        ...(options.dailyCountMax === undefined ? {} : { dailyCountMax: options.dailyCountMax }),
      });
      return { customerId, accountId, cardId, pan, atc: 1 };
    },
    request(holder, overrides = {}) {
      stan += 1;
      const atc = overrides.atc ?? holder.atc;
      holder.atc = Math.max(holder.atc, atc + 1);
      return {
        kind: 'purchase', pan: holder.pan, expiry: EXPIRY, amountMinor: 10_00n, currency: 'CNY', atc,
        stan: String(stan).padStart(6, '0'), terminalId: TERMINAL_ID, merchantId: MERCHANT_ID,
        transmittedAt: new Date(clock.nowMs), cryptogramCheck: cryptogramOk,
        ...overrides,
      };
    },
    close: () => database.close(),
  };
}
