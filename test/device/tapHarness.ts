import assert from 'node:assert/strict';
import pino from 'pino';
import type { Kysely } from 'kysely';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { deriveICCMasterKey } from '../../src/lib/emv/index.js';
import { encodeLoadFile } from '../../src/lib/gp/index.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../src/lib/tlv/index.js';
import { migrate } from '../../src/infra/db/index.js';
import { PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS, TESSERA_RID } from '../../src/card/client.js';
import { PAYMENT_PERSONALIZATION_TAG, PPSE_AID } from '../../src/applets/payment/client.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, BANK_SCHEMA, bankMigrations, createCustomer, deposit, ISO8583Client, issueCard,
  openCustomerAccount, startBank, type BankContext, type BankDatabase, type RunningBank,
} from '../../src/bank/client.js';
import { publishApplication } from '../../src/tsm/devices/index.js';
import { PAYMENT_APPLICATION_AID, type Device, type DeviceTsmClient } from '../../src/device/client.js';
import { PAY_PACKAGE_AID, tokenPAN, type Platform } from './harness.js';

/**
 * What a tap to pay needs around a registered device: the real payment application and the PPSE
 * in the TSM's catalogue, and an issuer with a funded card whose EMV credential the bank deployed
 * to the device through the TSM, behind real ISO 8583 hosts.
 */

/** Where the EMV credential sits in these tests' devices. */
export const PAYMENT_SLOT = 2;
/** The issuer master key (AC) of the test BIN. */
export const TEST_IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const TEST_BIN = '489537';
const PAY_MODULE_AID = `${TESSERA_RID}504201`;
const PPSE_PACKAGE_AID = `${TESSERA_RID}5043`;
const PPSE_MODULE_AID = `${TESSERA_RID}504301`;

/**
 * Puts the real payment application (version 2.0, slot and signing key id as install parameters)
 * and the PPSE listing it in the TSM's catalogue; devices made after this install them with their
 * first update.
 */
export async function publishPaymentApplets(platform: Platform): Promise<void> {
  const keyId = fromHex(platform.applicationKey.keyId);
  await publishApplication(platform.admin, platform.applicationKey, {
    name: 'Tessera Pay', moduleAid: PAY_MODULE_AID, instanceAid: PAYMENT_APPLICATION_AID,
    loadFile: encodeLoadFile({ packageAID: fromHex(PAY_PACKAGE_AID), version: { major: 2, minor: 0 }, modules: [{ aid: fromHex(PAY_MODULE_AID), firmwareClass: PAYMENT_FIRMWARE_CLASS }] }),
    installParameters: encodeTLV([primitiveNode(PAYMENT_PERSONALIZATION_TAG.credentialSlot, Uint8Array.of(PAYMENT_SLOT)), primitiveNode(PAYMENT_PERSONALIZATION_TAG.callerKeyId, keyId)]),
  });
  await publishApplication(platform.admin, platform.applicationKey, {
    name: 'PPSE', moduleAid: PPSE_MODULE_AID, instanceAid: toHex(PPSE_AID),
    loadFile: encodeLoadFile({ packageAID: fromHex(PPSE_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(PPSE_MODULE_AID), firmwareClass: PPSE_FIRMWARE_CLASS }] }),
    installParameters: encodeTLV([constructedNode(0xbf0c, [constructedNode(0x61, [
      primitiveNode(0x4f, fromHex(PAYMENT_APPLICATION_AID)), primitiveNode(0x50, new TextEncoder().encode('TESSERA PAY')), primitiveNode(0x87, Uint8Array.of(1)),
    ])])]),
  });
}

export interface IssuerForDevice {
  readonly context: BankContext;
  readonly bank: RunningBank;
  /** A terminal's connection to the acquirer. */
  readonly terminal: ISO8583Client;
  readonly pan: string;
}

/**
 * The issuer on the platform's database: the test BIN with its IMK, the merchant and terminal, a
 * customer account with 200.00 CNY, a card on it whose credential (with the ICC master key derived
 * from the IMK) the bank deploys to `device` through the TSM and the device stores; then the bank's
 * ISO 8583 hosts on free ports and a terminal connected to the acquirer.
 */
export async function startIssuerForDevice(
  platform: Platform, device: Device, tsm: DeviceTsmClient, merchant: { readonly terminalId: string; readonly merchantId: string },
): Promise<IssuerForDevice> {
  const db = platform.database.db as unknown as Kysely<BankDatabase>;
  await migrate(db, BANK_SCHEMA, bankMigrations);
  const context: BankContext = { db, kek: platform.random.bytes(32), random: platform.random, now: Date.now };
  const keyRef = await addIssuerMasterKey(context, { label: 'IMK-AC', key: TEST_IMK });
  await addBinRange(context, { prefix: TEST_BIN, name: 'Tessera tokens', issuerMasterKeyId: keyRef });
  await addMerchant(context, { id: merchant.merchantId, name: 'Tessera Shop', currencies: ['CNY'] });
  await addTerminal(context, { id: merchant.terminalId, merchantId: merchant.merchantId });
  const accountId = await openCustomerAccount(context, { customerId: await createCustomer(context, { name: 'device owner' }), currency: 'CNY' });
  await deposit(context, { accountId, amountMinor: 200_00n });
  const pan = tokenPAN(platform.random);
  await issueCard(context, { accountId, pan, expiry: '3012', psn: 1 });
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: TEST_IMK, pan, panSequenceNumber: '01' });
  const deployed = await platform.bank.call('POST', `/v1/devices/${device.id}/credentials`, {
    credentialSlot: PAYMENT_SLOT, pan, expiry: '301231', emv: { iccMasterKey: toHex(iccMasterKey), panSequenceNumber: 1 },
  });
  assert.equal(deployed.status, 201);
  assert.equal((await device.receiveCredentials(tsm)).stored.length, 1);
  const bank = await startBank({ host: '127.0.0.1', issuerPort: 0, acquirerPort: 0 }, { context, logger: pino({ level: 'silent' }) });
  const terminal = await ISO8583Client.connect({ host: '127.0.0.1', port: bank.acquirer.port, dialect: bank.dialect });
  return { context, bank, terminal, pan };
}
