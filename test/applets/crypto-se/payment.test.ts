import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '../../../src/lib/bytes.js';
import { importECP256PublicKey } from '../../../src/lib/crypto/index.js';
import {
  authorizePaymentCommand, createModelFinger, CRYPTO_SE_TAG, getDataCommand, openPaymentCredential, parsePaymentAuthorization,
  presentModelFinger, sealCredentialPackage, storeCredentialPackageCommand, verifyBiometricCommand, verifyPaymentAuthorization,
  type AuthorizePaymentRequest, type CallerIdentity,
} from '../../../src/applets/crypto-se/client.js';
import { CARD_EPOCH_MS, LOYALTY, newCryptoSE, sw, UNKNOWN_APP, WALLET, WALLET_OTHER_KEY, type CryptoSEFixture } from './fixture.js';
import { enrol, generate, verifyPIN } from './registration.js';

interface Ready {
  readonly se: CryptoSEFixture;
  readonly point: Uint8Array;
  readonly finger: Int8Array;
}

/** A card with a device key, an enrolled finger and an OTA credential in slot 1. */
async function ready(): Promise<Ready> {
  const se = await newCryptoSE();
  const point = generate(se);
  const finger = createModelFinger(se.random);
  enrol(se, finger);
  const credentialPackage = sealCredentialPackage({
    devicePublicKey: point, tsmPrivateKey: se.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: '4761739001010119', expiry: '271231', cvv: '321', random: se.random,
  });
  assert.equal(sw(se.send(storeCredentialPackageCommand(credentialPackage))), '9000');
  se.powerCycle();
  return { se, point, finger };
}

function request(overrides: Partial<AuthorizePaymentRequest> = {}): Uint8Array {
  return authorizePaymentCommand({
    cvm: 'either', caller: WALLET, credentialSlot: 1, amountMinor: 1250, currencyNumeric: '978', unpredictableNumber: fromHex('1A2B3C4D'), ...overrides,
  });
}

function matchFinger({ se, finger }: Ready): void {
  assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(finger, se.random))))), '9000');
}

describe('AUTHORIZE PAYMENT', () => {
  it('builds a signed, counter-stamped payment record whose credential only the recipient can open', async () => {
    const card = await ready();
    const { se, point } = card;
    matchFinger(card);
    const response = se.send(request());
    assert.equal(response.sw, 0x9000);
    assert.ok(response.data.length / 2 <= 256, 'fits a short response');
    const authorization = parsePaymentAuthorization(fromHex(response.data));
    assert.ok(verifyPaymentAuthorization(importECP256PublicKey(point), authorization), 'signed by the device key');
    assert.equal(authorization.amountMinor, 1250);
    assert.equal(authorization.currencyNumeric, '978');
    assert.equal(authorization.transactionCounter, 1n);
    assert.equal(authorization.cardTimeMs, CARD_EPOCH_MS);
    assert.equal(authorization.panLastFour, '0119');
    assert.ok(!response.data.includes('4761739001010119'), 'no PAN in clear in the response');
    assert.deepEqual(openPaymentCredential(se.recipient.privateKey, se.recipient.publicKey, authorization), { pan: '4761739001010119', expiry: '271231' });
    const record = fromHex(response.data);
    record[20] = (record[20] ?? 0) ^ 0x01;
    assert.equal(verifyPaymentAuthorization(importECP256PublicKey(point), parsePaymentAuthorization(record)), false, 'a changed record fails');
  });

  it('uses a verification for one payment only, and the transaction counter only goes up', async () => {
    const card = await ready();
    const { se } = card;
    verifyPIN(se);
    assert.equal(sw(se.send(request())), '9000');
    assert.equal(sw(se.send(request())), '6982', 'the verification was used');
    matchFinger(card);
    const second = parsePaymentAuthorization(fromHex(se.send(request()).data));
    assert.equal(second.transactionCounter, 2n);
    se.powerCycle();
    assert.equal(se.send(getDataCommand(CRYPTO_SE_TAG.transactionCounterObject)).data, 'DF41080000000000000002');
  });

  it('asks for the PIN and the finger for a debit payment (pin-and-biometric)', async () => {
    const card = await ready();
    const { se } = card;
    matchFinger(card);
    assert.equal(sw(se.send(request({ cvm: 'pin-and-biometric' }))), '6982', 'finger only');
    assert.equal(sw(se.send(request({ cvm: 'pin' }))), '6982', 'PIN required');
    verifyPIN(se);
    assert.equal(sw(se.send(request({ cvm: 'pin-and-biometric' }))), '9000');
  });

  it('refuses App SE applications the ACL does not grant authorize-payment (6982), without using up the verification', async () => {
    const card = await ready();
    const { se } = card;
    matchFinger(card);
    const refused: [string, CallerIdentity][] = [['read-only app', LOYALTY], ['unknown app', UNKNOWN_APP], ['right AID, other TSM key', WALLET_OTHER_KEY]];
    for (const [what, caller] of refused) assert.equal(sw(se.send(request({ caller }))), '6982', what);
    assert.equal(sw(se.send(request())), '9000', 'the wallet still pays with the same verification');
  });

  it('fits the longest record (19-digit PAN) in one short response', async () => {
    const { se, point } = await ready();
    assert.equal(sw(se.send(storeCredentialPackageCommand(sealCredentialPackage({
      devicePublicKey: point, tsmPrivateKey: se.tsm.privateKey, counter: 2n, credentialSlot: 2, pan: '6011000000000000001', expiry: '301231', cvv: '4321', random: se.random,
    })))), '9000');
    verifyPIN(se);
    const response = se.send(request({ credentialSlot: 2, amountMinor: 999_999_999_999 }));
    assert.equal(response.sw, 0x9000);
    assert.ok(response.data.length / 2 <= 256, `${response.data.length / 2} bytes`);
    assert.equal(parsePaymentAuthorization(fromHex(response.data)).amountMinor, 999_999_999_999);
  });

  it('refuses an empty slot (6A88), an expired credential (6985) and a malformed amount (6A80)', async () => {
    const card = await ready();
    const { se } = card;
    verifyPIN(se);
    assert.equal(sw(se.send(request({ credentialSlot: 2 }))), '6A88');
    const badAmount = request();
    const amountAt = badAmount.indexOf(0x9f);
    badAmount[amountAt + 3] = 0xaa;
    assert.equal(sw(se.send(badAmount)), '6A80');
    se.clock.set(Date.parse('2028-01-01T00:00:00Z'));
    assert.equal(sw(se.send(request())), '6985', 'expired 271231');
  });
});
