import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { computeARPC, deriveICCMasterKey, deriveSessionKey } from '../../../src/lib/emv/index.js';
import { ISO8583_BCD_DIALECT, type ISO8583Message } from '../../../src/lib/iso8583/index.js';
import { decodeTLV, findTag } from '../../../src/lib/tlv/index.js';
import { createCustomer, deposit, issueCard, openCustomerAccount } from '../../../src/bank/client.js';
import { ISO8583Client, startISO8583Server, type ISO8583Server } from '../../../src/bank/network/channel.js';
import { createIssuerHandler } from '../../../src/bank/network/issuerHost.js';
import { pay, type AcquirerLink, type ContactlessLink, type TerminalIdentity } from '../../../src/pos/client.js';
import { ISSUER_MASTER_KEY, matchFinger, newDevice, PAN, PSN_DIGITS, relay, type Device } from '../../applets/payment/fixture.js';
import { IMK, MERCHANT_ID, openBankHarness, TERMINAL_ID, type BankHarness } from '../harness.js';

const IDENTITY: TerminalIdentity = { terminalId: TERMINAL_ID, merchantId: MERCHANT_ID, merchantName: 'Tessera Shop', countryNumeric: 156 };

function linkTo(device: Device): ContactlessLink {
  return {
    transmit: (command) => {
      const response = relay(device, toHex(command));
      return Promise.resolve(fromHex(`${response.data}${response.sw.toString(16).padStart(4, '0')}`));
    },
  };
}

/** An acquirer link that can change a request in flight (the attacker between terminal and issuer). */
function tampering(client: ISO8583Client, change: (request: ISO8583Message) => ISO8583Message): AcquirerLink {
  return { request: (message) => client.request(change(message)), nextSTAN: () => client.nextSTAN() };
}

describe('tap to pay over real sockets: device → POS → ISO 8583 (BCD) → issuer → ledger', () => {
  let bank: BankHarness;
  let issuer: ISO8583Server;
  let client: ISO8583Client;
  let accountId: string;
  /** One phone for the whole story: the bank keeps one ATC high-water mark per card. */
  let device: Device;

  before(async () => {
    device = await newDevice();
    assert.deepEqual(IMK, ISSUER_MASTER_KEY, 'the device was personalized from the same IMK the bank holds');
    bank = await openBankHarness('tap-to-pay');
    const customerId = await createCustomer(bank.context, { name: 'device owner' });
    accountId = await openCustomerAccount(bank.context, { customerId, currency: 'CNY' });
    await deposit(bank.context, { accountId, amountMinor: 100_00n });
    await issueCard(bank.context, { accountId, pan: PAN, expiry: '2912', psn: 1, transactionLimitMinor: 80_00n });
    issuer = await startISO8583Server({
      host: '127.0.0.1', port: 0, dialect: ISO8583_BCD_DIALECT,
      handle: createIssuerHandler(bank.service, { now: () => new Date(bank.clock.nowMs) }),
    });
    client = await ISO8583Client.connect({ host: '127.0.0.1', port: issuer.port, dialect: ISO8583_BCD_DIALECT, requestTimeoutMs: 5_000 });
  });

  after(async () => {
    await client.close();
    await issuer.close();
    await bank.close();
  });

  async function balances(): Promise<{ ledger: bigint; available: bigint }> {
    const row = await bank.context.db.selectFrom('bank.accounts').select(['ledger_balance_minor', 'available_balance_minor']).where('id', '=', accountId).executeTakeFirstOrThrow();
    return { ledger: row.ledger_balance_minor, available: row.available_balance_minor };
  }

  function payment(amountMinor: bigint, unpredictableNumber = '11223344'): { amountMinor: bigint; currencyNumeric: number; at: Date; unpredictableNumber: Uint8Array } {
    return { amountMinor, currencyNumeric: 156, at: new Date(bank.clock.nowMs), unpredictableNumber: fromHex(unpredictableNumber) };
  }

  it('approves a verified tap, posts it, answers an ARPC the card key gives, and the books balance', async () => {
    matchFinger(device);
    const before = await balances();
    const requests: ISO8583Message[] = [];
    const answers: ISO8583Message[] = [];
    const recording: AcquirerLink = {
      request: async (message) => {
        requests.push(message);
        const answer = await client.request(message);
        answers.push(answer);
        return answer;
      },
      nextSTAN: () => client.nextSTAN(),
    };
    const result = await pay(linkTo(device), recording, IDENTITY, payment(12_34n));
    assert.equal(result.kind, 'approved');
    assert.ok(result.kind === 'approved');
    assert.match(result.receipt.authorizationCode ?? '', /^[0-9A-Z]{6}$/);
    const after = await balances();
    assert.equal(before.ledger - after.ledger, 12_34n, 'a purchase posts at once');
    // ARPC method 1 with the session key of this ATC and ARC "00".
    const field55 = answers[0]?.fields.get(55);
    assert.ok(field55 instanceof Uint8Array);
    const arqc = findTag(decodeTLV(requests[0]?.fields.get(55) as Uint8Array), 0x9f26);
    assert.ok(arqc !== undefined && !arqc.constructed);
    const sessionKey = deriveSessionKey({ iccMasterKey: deriveICCMasterKey({ issuerMasterKey: IMK, pan: PAN, panSequenceNumber: PSN_DIGITS }), atc: fromHex('0001'), method: 'emv-csk' });
    const expected = computeARPC({ method: 1, key: sessionKey, arqc: arqc.value, arc: new TextEncoder().encode('00') });
    const issuerAuthentication = findTag(decodeTLV(field55), 0x91);
    assert.ok(issuerAuthentication !== undefined && !issuerAuthentication.constructed);
    assert.equal(toHex(issuerAuthentication.value), `${toHex(expected)}3030`);
    const audit = await bank.service.audit();
    assert.equal(audit.balanced, true);
  });

  it('declines over the limit (61) and beyond the funds (51), each after a good cryptogram', async () => {
    matchFinger(device);
    const overLimit = await pay(linkTo(device), client, IDENTITY, payment(90_00n));
    assert.ok(overLimit.kind === 'declined');
    assert.equal(overLimit.responseCode, '61', 'the card limit is 80.00');
    matchFinger(device);
    assert.equal((await pay(linkTo(device), client, IDENTITY, payment(60_00n))).kind, 'approved');
    const { available } = await balances();
    assert.ok(available < 30_00n);
    matchFinger(device);
    const overFunds = await pay(linkTo(device), client, IDENTITY, payment(30_00n));
    assert.ok(overFunds.kind === 'declined');
    assert.equal(overFunds.responseCode, '51');
  });

  it('declines an amount changed in flight: the cryptogram covers 9F02, field 4 no longer matches it (05)', async () => {
    matchFinger(device);
    const before = await balances();
    const link = tampering(client, (request) => ({ mti: request.mti, fields: new Map([...request.fields, [4, '000000000001']]) }));
    const result = await pay(linkTo(device), link, IDENTITY, payment(5_00n));
    assert.ok(result.kind === 'declined');
    assert.equal(result.responseCode, '05');
    assert.deepEqual(await balances(), before, 'nothing moved');
  });

  it('declines a replayed cryptogram (same ATC, new STAN) with 05', async () => {
    matchFinger(device);
    let captured: ISO8583Message | undefined;
    const first = await pay(linkTo(device), { request: (message) => { captured = message; return client.request(message); }, nextSTAN: () => client.nextSTAN() }, IDENTITY, payment(1_00n));
    assert.equal(first.kind, 'approved');
    assert.ok(captured !== undefined);
    const replay = await client.request({ mti: '0200', fields: new Map([...captured.fields, [11, client.nextSTAN()]]) });
    assert.equal(replay.fields.get(39), '05');
  });

  it('answers a retransmission of the same request with the same answer, and moves money once', async () => {
    matchFinger(device);
    let captured: ISO8583Message | undefined;
    await pay(linkTo(device), { request: (message) => { captured = message; return client.request(message); }, nextSTAN: () => client.nextSTAN() }, IDENTITY, payment(2_00n));
    assert.ok(captured !== undefined);
    const before = await balances();
    const again = await client.request(captured);
    assert.equal(again.fields.get(39), '00');
    assert.deepEqual(await balances(), before);
  });

  it('reverses a timed-out preauthorization: the hold is released', async () => {
    // A new client counts STANs from 000001 again: a minute later, (terminal, STAN, time) is a new key.
    bank.clock.nowMs += 60_000;
    matchFinger(device);
    const before = await balances();
    // The issuer answers, but later than the terminal waits: the client sends 0400 and the hold goes.
    const slow = await startISO8583Server({
      host: '127.0.0.1', port: 0, dialect: ISO8583_BCD_DIALECT,
      handle: async (request) => {
        const answer = await createIssuerHandler(bank.service, { now: () => new Date(bank.clock.nowMs) })(request);
        if (request.mti === '0100') await new Promise((resolve) => setTimeout(resolve, 400));
        return answer;
      },
    });
    const impatient = await ISO8583Client.connect({ host: '127.0.0.1', port: slow.port, dialect: ISO8583_BCD_DIALECT, requestTimeoutMs: 150 });
    try {
      const link: AcquirerLink = { request: (message) => impatient.request({ ...message, mti: '0100' }), nextSTAN: () => impatient.nextSTAN() };
      await assert.rejects(pay(linkTo(device), link, IDENTITY, payment(3_00n)));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(await balances(), before, 'the hold was placed and then released by the 0400');
      const holds = await bank.context.db.selectFrom('bank.holds').select(['status']).where('account_id', '=', accountId).execute();
      assert.ok(holds.length > 0 && holds.every((hold) => hold.status !== 'open'), 'no hold is left open');
      assert.equal((await bank.service.audit()).balanced, true);
    } finally {
      await impatient.close();
      await slow.close();
    }
  });
});
