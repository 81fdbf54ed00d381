import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Kysely } from 'kysely';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { deriveICCMasterKey } from '../../src/lib/emv/index.js';
import { encodeLoadFile } from '../../src/lib/gp/index.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../src/lib/tlv/index.js';
import { migrate } from '../../src/infra/db/index.js';
import { PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS, TESSERA_RID } from '../../src/card/client.js';
import { createModelFinger } from '../../src/applets/crypto-se/client.js';
import { PAYMENT_PERSONALIZATION_TAG, PPSE_AID } from '../../src/applets/payment/client.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createCustomer, deposit, ISO8583Client, issueCard,
  openCustomerAccount, startBank, type BankContext, type BankDatabase, type RunningBank,
} from '../../src/bank/client.js';
import { formatReceipt, pay, type TerminalIdentity } from '../../src/pos/client.js';
import { publishApplication } from '../../src/tsm/devices/index.js';
import { PAYMENT_APPLICATION_AID, type Device, type DeviceTsmClient } from '../../src/device/client.js';
import { PAY_PACKAGE_AID, runAgent, startPlatform, tokenPAN, type Platform } from './harness.js';

const PAY_MODULE_AID = `${TESSERA_RID}504201`;
const PPSE_PACKAGE_AID = `${TESSERA_RID}5043`;
const PPSE_MODULE_AID = `${TESSERA_RID}504301`;
const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const SLOT = 2;
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
    // The catalogue: the payment application (slot and signing key id as install parameters) and the PPSE listing it.
    const keyId = fromHex(platform.applicationKey.keyId);
    await publishApplication(platform.admin, platform.applicationKey, {
      name: 'Tessera Pay', moduleAid: PAY_MODULE_AID, instanceAid: PAYMENT_APPLICATION_AID,
      loadFile: encodeLoadFile({ packageAID: fromHex(PAY_PACKAGE_AID), version: { major: 2, minor: 0 }, modules: [{ aid: fromHex(PAY_MODULE_AID), firmwareClass: PAYMENT_FIRMWARE_CLASS }] }),
      installParameters: encodeTLV([primitiveNode(PAYMENT_PERSONALIZATION_TAG.credentialSlot, Uint8Array.of(SLOT)), primitiveNode(PAYMENT_PERSONALIZATION_TAG.callerKeyId, keyId)]),
    });
    await publishApplication(platform.admin, platform.applicationKey, {
      name: 'PPSE', moduleAid: PPSE_MODULE_AID, instanceAid: toHex(PPSE_AID),
      loadFile: encodeLoadFile({ packageAID: fromHex(PPSE_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS }] }),
      installParameters: encodeTLV([constructedNode(0xbf0c, [constructedNode(0x61, [
        primitiveNode(0x4f, fromHex(PAYMENT_APPLICATION_AID)), primitiveNode(0x50, new TextEncoder().encode('TESSERA PAY')), primitiveNode(0x87, Uint8Array.of(1)),
      ])])]),
    });
    device = (await platform.newDevice('payer', '3725550099')).device;
    tsm = platform.client();
    device.enrolFinger(finger);
    await device.register(tsm, finger);
    const updated = await device.update(tsm, runAgent);
    assert.deepEqual(updated.failed, []);

    // The issuer: a customer account, the card (token) on the BIN whose IMK derives the card's MK-AC.
    const db = platform.database.db as unknown as Kysely<BankDatabase>;
    await migrate(db, BANK_SCHEMA, bankMigrations);
    context = { db, kek: platform.random.bytes(32), random: platform.random, now: Date.now };
    const keyRef = await addIssuerMasterKey(context, { label: 'IMK-AC', key: IMK });
    await addBinRange(context, { prefix: '489537', name: 'Tessera tokens', issuerMasterKeyId: keyRef });
    await addMerchant(context, { id: MERCHANT, name: 'Tessera Shop', currencies: ['CNY'] });
    await addTerminal(context, { id: TERMINAL, merchantId: MERCHANT });
    const customerId = await createCustomer(context, { name: 'device owner' });
    const accountId = await openCustomerAccount(context, { customerId, currency: 'CNY' });
    await deposit(context, { accountId, amountMinor: 200_00n });
    pan = tokenPAN(platform.random);
    await issueCard(context, { accountId, pan, expiry: '3012', psn: 1 });
    const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: IMK, pan, panSequenceNumber: '01' });
    const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, {
      credentialSlot: SLOT, pan, expiry: '301231', emv: { iccMasterKey: toHex(iccMasterKey), panSequenceNumber: 1 },
    });
    assert.equal(deployed.status, 201);
    const received = await device.receiveCredentials(tsm);
    assert.equal(received.stored.length, 1);

    bank = await startBank({ host: '127.0.0.1', issuerPort: 0, acquirerPort: 0 }, { context, logger: pino({ level: 'silent' }) });
    terminal = await ISO8583Client.connect({ host: '127.0.0.1', port: bank.acquirer.port, dialect: bank.dialect });
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
