import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createCustomer, deposit, issueCard, ISO8583Client, openCustomerAccount, startBank, type RunningBank } from '../../../src/bank/client.js';
import { pay, type ContactlessLink, type TerminalIdentity } from '../../../src/pos/client.js';
import { matchFinger, newDevice, PAN, relay, type Device } from '../../applets/payment/fixture.js';
import { MERCHANT_ID, openBankHarness, TERMINAL_ID, type BankHarness } from '../harness.js';

const IDENTITY: TerminalIdentity = { terminalId: TERMINAL_ID, merchantId: MERCHANT_ID, merchantName: 'Tessera Shop', countryNumeric: 156 };

function linkTo(device: Device): ContactlessLink {
  return {
    transmit: (command) => {
      const response = relay(device, toHex(command));
      return Promise.resolve(fromHex(`${response.data}${response.sw.toString(16).padStart(4, '0')}`));
    },
  };
}

describe('the bank as a service: terminal → acquirer port → BIN routing → issuer port', () => {
  let bank: BankHarness;
  let running: RunningBank;
  let terminal: ISO8583Client;

  before(async () => {
    bank = await openBankHarness('bank-server');
    const customerId = await createCustomer(bank.context, { name: 'device owner' });
    const accountId = await openCustomerAccount(bank.context, { customerId, currency: 'CNY' });
    await deposit(bank.context, { accountId, amountMinor: 50_00n });
    await issueCard(bank.context, { accountId, pan: PAN, expiry: '2912', psn: 1 });
    running = await startBank({ host: '127.0.0.1', issuerPort: 0, acquirerPort: 0 }, { context: bank.context, logger: pino({ level: 'silent' }) });
    terminal = await ISO8583Client.connect({ host: '127.0.0.1', port: running.acquirer.port, dialect: running.dialect });
  });

  after(async () => {
    await terminal.close();
    await running.stop();
    await bank.close();
  });

  it('approves a tap routed by BIN to the issuer, and the audit holds', async () => {
    const device: Device = await newDevice();
    matchFinger(device);
    const result = await pay(linkTo(device), terminal, IDENTITY, { amountMinor: 9_99n, currencyNumeric: 156, at: new Date(bank.clock.nowMs), unpredictableNumber: fromHex('DEADBEEF') });
    assert.equal(result.kind, 'approved');
    assert.equal((await running.service.audit()).balanced, true);
    assert.equal(await terminal.echo(), '00');
  });

  it('answers 15 for a card of a BIN no issuer here owns', async () => {
    const answer = await terminal.request({
      mti: '0200',
      fields: new Map<number, string | Uint8Array>([
        [2, '5555555555554444'], [3, '000000'], [4, '000000000100'], [7, '1121120000'], [11, terminal.nextSTAN()], [14, '2912'],
        [22, '071'], [41, TERMINAL_ID], [42, MERCHANT_ID], [49, '156'], [55, fromHex('9F360200019F2608000000000000000082021880')],
      ]),
    });
    assert.equal(answer.fields.get(39), '15');
  });
});
