import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromHex } from '../../src/lib/bytes.js';
import { createModelFinger } from '../../src/applets/crypto-se/client.js';
import type { BankContext, ISO8583Client, RunningBank } from '../../src/bank/client.js';
import { formatReceipt, pay, type TerminalIdentity } from '../../src/pos/client.js';
import type { Device, DeviceTsmClient } from '../../src/device/client.js';
import { runAgent, startPlatform, type Platform } from './harness.js';
import { publishPaymentApplets, startIssuerForDevice } from './tapHarness.js';

const TERMINAL = 'POS00001';
const MERCHANT = 'TESSERA SHOP 01';
const IDENTITY: TerminalIdentity = { terminalId: TERMINAL, merchantId: MERCHANT, merchantName: 'Tessera Shop', countryNumeric: 156 };

describe('tap to pay from a real device: registration → TSM-signed payment app OTA → credential with EMV keys → POS → acquirer → issuer', () => {
  let platform: Platform;
  let device: Device;
  let tsm: DeviceTsmClient;
  let bank: RunningBank;
  let context: BankContext;
  let terminal: ISO8583Client;
  let pan: string;
  const finger = createModelFinger({ bytes: (length) => new Uint8Array(Array.from({ length }, (_, index) => (index * 53 + 7) % 256)) });

  before(async () => {
    platform = await startPlatform();
    await publishPaymentApplets(platform);
    device = (await platform.newDevice('payer', '3725550099')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
    const updated = await device.update(tsm, runAgent);
    assert.deepEqual(updated.failed, []);
    // The issuer: a customer account, the card (token) on the BIN whose IMK derives the card's MK-AC.
    ({ context, bank, terminal, pan } = await startIssuerForDevice(platform, device, tsm, { terminalId: TERMINAL, merchantId: MERCHANT }));
  });

  after(async () => {
    await terminal.close();
    await bank.stop();
    device.close();
    await platform.close();
  });

  it('pays after the finger, in payment mode, with an ARQC the issuer verifies; the books balance', async () => {
    assert.equal(device.prepareTap(finger).verified, true);
    assert.equal(device.radios.paymentMode, true);
    assert.equal(device.radios.cellularEnabled, false, 'payment mode: NFC only');
    const result = await pay(device.contactless(), terminal, IDENTITY, { amountMinor: 42_50n, currencyNumeric: 156, at: new Date(), unpredictableNumber: platform.random.bytes(4) });
    assert.equal(result.kind, 'approved', JSON.stringify(result));
    assert.ok(result.kind === 'approved');
    assert.equal(result.receipt.maskedPAN.slice(-4), pan.slice(-4));
    assert.ok(!formatReceipt(result.receipt).includes(pan));
    assert.equal((await bank.service.audit()).balanced, true);
    const account = await context.db.selectFrom('bank.cards as card').innerJoin('bank.accounts as account', 'account.id', 'card.account_id')
      .select(['account.ledger_balance_minor']).where('card.pan', '=', pan).executeTakeFirstOrThrow();
    assert.equal(account.ledger_balance_minor, 157_50n);
  });

  it('tells the reader to see the phone when the verification was used, and refuses with NFC off', async () => {
    const again = await pay(device.contactless(), terminal, IDENTITY, { amountMinor: 1_00n, currencyNumeric: 156, at: new Date(), unpredictableNumber: platform.random.bytes(4) });
    assert.deepEqual(again, { kind: 'see-phone' });
    device.radios.press();
    assert.equal(device.radios.cardEmulationRoute, 'off');
    await assert.rejects(device.contactless().transmit(fromHex('00A404000E325041592E5359532E444446303100')));
  });
});
