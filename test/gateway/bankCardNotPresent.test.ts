import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ISO8583Client, dialectByName } from '../../src/bank/client.js';
import { formatTransmissionDateTime, type ISO8583Message } from '../../src/lib/iso8583/index.js';
import { ACQUIRER_MERCHANT_ID, ACQUIRER_TERMINAL_ID, CHIP_TERMINAL_ID, EXPIRY, openGatewayHarness, type Customer, type GatewayHarness } from './harness.js';

/** The bank's card-not-present path (docs/bank.md "Card not present"), driven over ISO 8583 on the acquirer port. */
describe('bank: card-not-present 0200 (field 22 = 812, field 25 = 59, field 48 OOBS…) over the acquirer host', () => {
  let harness: GatewayHarness;
  let client: ISO8583Client;
  let customer: Customer;
  let stan = 500_000;

  before(async () => {
    harness = await openGatewayHarness();
    customer = await harness.customer({ balanceMinor: 3_000_00n });
    client = await ISO8583Client.connect({ host: '127.0.0.1', port: harness.bank.acquirer.port, dialect: dialectByName('bcd'), requestTimeoutMs: 5_000 });
  });
  after(async () => {
    await client.close();
    await harness.close();
  });

  function debit(overrides: Record<number, string | undefined> = {}, amountMinor = 10_00n): ISO8583Message {
    stan += 1;
    const fields = new Map<number, string | Uint8Array>([
      [2, customer.pan], [3, '000000'], [4, amountMinor.toString().padStart(12, '0')], [7, formatTransmissionDateTime(new Date())], [11, String(stan)],
      [14, EXPIRY], [22, '812'], [25, '59'], [41, ACQUIRER_TERMINAL_ID], [42, ACQUIRER_MERCHANT_ID], [48, 'OOBSpayment-1'], [49, '156'],
    ]);
    for (const [field, value] of Object.entries(overrides)) {
      if (value === undefined) fields.delete(Number(field));
      else fields.set(Number(field), value);
    }
    return { mti: '0200', fields };
  }

  it('approves from the gateway terminal, records the channel, and answers a retransmission without a second debit', async () => {
    const before = await harness.balanceOf(customer.accountId);
    const request = debit();
    const answer = await client.request(request);
    assert.equal(answer.fields.get(39), '00');
    assert.match(String(answer.fields.get(38)), /^[0-9A-Z]{6}$/);
    assert.equal((await client.request(request)).fields.get(39), '00');
    assert.equal(await harness.balanceOf(customer.accountId), before - 10_00n);
    const row = await harness.database.db.selectFrom('bank.authorizations').select(['channel', 'cardholder_authentication', 'atc'])
      .where('stan', '=', String(request.fields.get(11))).executeTakeFirstOrThrow();
    assert.deepEqual(row, { channel: 'ecommerce', cardholder_authentication: 'OOBSpayment-1', atc: null });
  });

  it('refuses a terminal not flagged card-not-present (58) and a request without the authentication indicator (30)', async () => {
    const before = await harness.balanceOf(customer.accountId);
    assert.equal((await client.request(debit({ 41: CHIP_TERMINAL_ID }))).fields.get(39), '58');
    assert.equal((await client.request(debit({ 48: undefined }))).fields.get(39), '30');
    assert.equal((await client.request(debit({ 25: '00' }))).fields.get(39), '30', 'without e-commerce markers it is a chip request, and field 55 is missing');
    assert.equal(await harness.balanceOf(customer.accountId), before);
  });

  it('keeps the card limits and the funds check (61, 51), and reverses on 0400', async () => {
    assert.equal((await client.request(debit({}, 2_500_00n))).fields.get(39), '61', 'over the card transaction limit');
    assert.equal((await client.request(debit({}, 1_000_00n))).fields.get(39), '00');
    assert.equal((await client.request(debit({}, 1_995_00n))).fields.get(39), '51', 'beyond the funds (1 990.00 left)');
    const before = await harness.balanceOf(customer.accountId);
    const request = debit({}, 7_00n);
    assert.equal((await client.request(request)).fields.get(39), '00');
    const reversal = await client.reverse(request);
    assert.equal(reversal?.fields.get(39), '00');
    assert.equal(await harness.balanceOf(customer.accountId), before, 'the reversal gave it back');
    assert.equal((await harness.bank.service.audit()).balanced, true);
  });
});
