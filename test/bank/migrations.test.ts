import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { migrate } from '../../src/infra/db/index.js';
import {
  addBinRange, addIssuerMasterKey, BANK_SCHEMA, bankMigrations, createCustomer, issueCard, openCustomerAccount, type BankContext, type BankDatabase,
} from '../../src/bank/client.js';
import { createDeterministicRandomSource } from '../../src/lib/crypto/index.js';
import { utf8 } from '../../src/lib/bytes.js';
import { openTestDatabase } from '../helpers/database.js';
import { BIN, EXPIRY, IMK, KEK, panOf, START_MS, TERMINAL_ID } from './harness.js';

/** Migrations that change what is already stored are run against stored data, not only an empty schema. */
describe('bank migrations on existing data', () => {
  it('0008 fills each card\'s day counters from its latest business date\'s approved, unreversed preauths and purchases', async () => {
    const database = await openTestDatabase<BankDatabase>();
    try {
      const before0008 = bankMigrations.findIndex((migration) => migration.name === '0008_card_day_counters');
      assert.ok(before0008 > 0);
      await migrate(database.db, BANK_SCHEMA, bankMigrations.slice(0, before0008));
      const context: BankContext = { db: database.db, kek: KEK, random: createDeterministicRandomSource(utf8('migrations')), now: () => START_MS };
      const keyId = await addIssuerMasterKey(context, { label: 'IMK', key: IMK });
      await addBinRange(context, { prefix: BIN, name: 'BIN', issuerMasterKeyId: keyId });
      const accountId = await openCustomerAccount(context, { customerId: await createCustomer(context, { name: 'c' }), currency: 'CNY' });
      const busy = await issueCard(context, { accountId, pan: panOf(1), expiry: EXPIRY, psn: 1 });
      const idle = await issueCard(context, { accountId, pan: panOf(2), expiry: EXPIRY, psn: 1 });
      const db = database.db as unknown as Kysely<unknown>;
      let stan = 0;
      const authorization = async (row: { date: string; kind: string; amount: number; code?: string; reversed?: boolean }): Promise<void> => {
        stan += 1;
        const approved = (row.code ?? '00') === '00';
        await sql`insert into bank.authorizations (id, kind, terminal_id, stan, transmitted_at, request_hash, merchant_id, card_id, pan_last4,
            amount_minor, currency, atc, response_code, decline_reason, authorization_code, business_date, reversed_at)
          values (gen_random_uuid(), ${row.kind}, ${TERMINAL_ID}, ${String(stan).padStart(6, '0')}, now(), decode(repeat('ab', 32), 'hex'),
            'TESSERA SHOP 01', ${busy}, ${panOf(1).slice(-4)}, ${row.amount}, 'CNY', ${stan}, ${row.code ?? '00'},
            ${approved ? null : 'insufficient-funds'}, ${approved ? 'A00001' : null}, ${row.date}, ${row.reversed === true ? sql`now()` : null})`.execute(db);
      };
      await authorization({ date: '2026-11-20', kind: 'purchase', amount: 9_99 });
      await authorization({ date: '2026-11-21', kind: 'purchase', amount: 10_00 });
      await authorization({ date: '2026-11-21', kind: 'preauth', amount: 2_50 });
      await authorization({ date: '2026-11-21', kind: 'purchase', amount: 7_00, reversed: true });
      await authorization({ date: '2026-11-21', kind: 'purchase', amount: 5_00, code: '51' });

      await migrate(database.db, BANK_SCHEMA, bankMigrations);
      const cards = await database.db.selectFrom('bank.cards').select(['id', 'day_business_date', 'day_count', 'day_total_minor']).execute();
      const counters = new Map(cards.map((card) => [card.id, [card.day_business_date, card.day_count, BigInt(card.day_total_minor)]]));
      assert.deepEqual(counters.get(busy), ['2026-11-21', 2, 12_50n]);
      assert.deepEqual(counters.get(idle), [null, 0, 0n]);
    } finally {
      await database.close();
    }
  });
});
