import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import { exportECP256PublicKey, generateECP256KeyPair, importECP256PublicKey, signECDSAP256 } from '../../../src/lib/crypto/index.js';
import { ECIES_CREDENTIAL_INFO } from '../../../src/applets/crypto-se/constants.js';
import { sealECIES } from '../../../src/applets/crypto-se/ecies.js';
import { decodeTLV, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import {
  createModelFinger, CREDENTIAL_PACKAGE_LABEL, CRYPTO_SE_TAG, deleteCredentialCommand, getDataCommand, keyInCardNumberCommand,
  readMaskedPANCommand, sealCredentialPackage, storeCredentialPackageCommand, type CredentialPackageInput,
} from '../../../src/applets/crypto-se/client.js';
import { LOYALTY, newCryptoSE, sw, UNKNOWN_APP, WALLET, type CryptoSEFixture } from './fixture.js';
import { enrol, generate, register, tsmAuthority, verifyPIN } from './registration.js';

const PAN = '4111111111111111';

function packageFor(se: CryptoSEFixture, devicePoint: Uint8Array, overrides: Partial<CredentialPackageInput> = {}): Uint8Array {
  return sealCredentialPackage({
    devicePublicKey: devicePoint, tsmPrivateKey: se.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: PAN, expiry: '291231', cvv: '123',
    random: se.random, ...overrides,
  });
}

function maskedPAN(se: CryptoSEFixture, slot = 1): string {
  const response = se.send(readMaskedPANCommand(slot, WALLET));
  return response.sw === 0x9000 ? new TextDecoder().decode(fromHex(response.data)) : sw(response);
}

/** Changes one byte inside the value of `tag` in a package. */
function tamper(credentialPackage: Uint8Array, tag: number, index: number): Uint8Array {
  const nodes = decodeTLV(credentialPackage).map((node) => {
    if (node.tag !== tag || node.constructed) return node;
    const value = node.value.slice();
    value[index] = (value[index] ?? 0) ^ 0x03;
    return primitiveNode(node.tag, value);
  });
  return encodeTLV(nodes);
}

describe('OTA credential deployment (TSM-signed ECIES package)', () => {
  it('stores a package signed by the TSM and encrypted to the device key; only the last four digits come back', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const credentialPackage = packageFor(se, point, { pan: '5500000000000000004', cvv: '1234' });
    assert.ok(credentialPackage.length <= 255, `a 19-digit PAN with a 4-digit CVV fits one APDU (${credentialPackage.length} bytes)`);
    assert.equal(sw(se.send(storeCredentialPackageCommand(credentialPackage))), '9000');
    assert.deepEqual(se.status().credentials, [{ slot: 1, origin: 'over-the-air', locked: false }]);
    assert.equal(maskedPAN(se), '0004');
    assert.equal(se.send(getDataCommand(CRYPTO_SE_TAG.credentialCounterObject)).data, 'DF44080000000000000001');
    const store = JSON.stringify(se.appletStore());
    assert.ok(!store.includes('5500000000000000004') && !store.includes(toHex(utf8('5500000000000000004'))), 'no PAN in clear at rest');
  });

  it('refuses a replayed package or an older counter with 6982 and stores nothing', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const first = packageFor(se, point, { counter: 5n });
    assert.equal(sw(se.send(storeCredentialPackageCommand(first))), '9000');
    const before = JSON.stringify(se.appletStore());
    assert.equal(sw(se.send(storeCredentialPackageCommand(first))), '6982', 'replay');
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, point, { counter: 4n, credentialSlot: 2, pan: '4012888888881881' })))), '6982', 'older');
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, point, { counter: 5n, credentialSlot: 2, pan: '4012888888881881' })))), '6982', 'same counter');
    assert.equal(JSON.stringify(se.appletStore()), before, 'the store did not change');
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, point, { counter: 6n, credentialSlot: 2, pan: '4012888888881881' })))), '9000');
    assert.equal(maskedPAN(se, 2), '1881');
  });

  it('refuses a tampered, foreign-signed or misaddressed package with 6982, stores nothing and keeps the counter', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const good = packageFor(se, point, { counter: 9n });
    const otherDevice = generateECP256KeyPair(se.random);
    const impostor = generateECP256KeyPair(se.random);
    const bad = {
      'ciphertext': tamper(good, CRYPTO_SE_TAG.packageCiphertext, 80),
      'ephemeral key': tamper(good, CRYPTO_SE_TAG.packageCiphertext, 10),
      'counter': tamper(good, CRYPTO_SE_TAG.packageCounter, 7),
      'slot': tamper(good, CRYPTO_SE_TAG.packageSlot, 0),
      'signature': tamper(good, CRYPTO_SE_TAG.signature, 40),
      'signed by another key': packageFor(se, point, { counter: 10n, tsmPrivateKey: impostor.privateKey }),
      'for another device': packageFor(se, exportECP256PublicKey(otherDevice.publicKey), { counter: 11n }),
    };
    const before = JSON.stringify(se.appletStore());
    for (const [what, credentialPackage] of Object.entries(bad)) {
      assert.equal(sw(se.send(storeCredentialPackageCommand(credentialPackage))), '6982', what);
    }
    assert.equal(JSON.stringify(se.appletStore()), before, 'nothing stored, no counter moved');
    assert.equal(sw(se.send(storeCredentialPackageCommand(good))), '9000', 'the untampered package still goes in');
  });

  it('refuses a TSM-signed package whose content is not a Luhn-valid credential (6A80, nothing stored)', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    // Build what sealCredentialPackage refuses to build: re-sign a package around a bad PAN.
    const valid = packageFor(se, point);
    const luhnBroken = sealCredentialPackageUnchecked(se, point, '4111111111111112');
    assert.equal(sw(se.send(storeCredentialPackageCommand(luhnBroken))), '6A80');
    assert.deepEqual(se.status().credentials, []);
    assert.equal(sw(se.send(storeCredentialPackageCommand(valid))), '9000');
  });

  it('needs the device key to have been generated (6985)', async () => {
    const se = await newCryptoSE();
    const otherDevice = generateECP256KeyPair(se.random);
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, exportECP256PublicKey(otherDevice.publicKey))))), '6985');
  });
});

/**
 * What sealCredentialPackage refuses to build: a properly encrypted and TSM-signed package around a
 * Luhn-invalid PAN. The card must check the content too, not only the envelope.
 */
function sealCredentialPackageUnchecked(se: CryptoSEFixture, point: Uint8Array, pan: string): Uint8Array {
  const counter = fromHex('0000000000000001');
  const plaintext = encodeTLV([primitiveNode(CRYPTO_SE_TAG.pan, fromHex(pan)), primitiveNode(CRYPTO_SE_TAG.expiry, fromHex('291231'))]);
  const ciphertext = sealECIES(importECP256PublicKey(point), plaintext, ECIES_CREDENTIAL_INFO, concatBytes(counter, Uint8Array.of(1)), se.random);
  const signedPart = encodeTLV([
    primitiveNode(CRYPTO_SE_TAG.packageCounter, counter), primitiveNode(CRYPTO_SE_TAG.packageSlot, Uint8Array.of(1)), primitiveNode(CRYPTO_SE_TAG.packageCiphertext, ciphertext),
  ]);
  const signature = signECDSAP256(se.tsm.privateKey, concatBytes(CREDENTIAL_PACKAGE_LABEL, signedPart), 'der');
  return concatBytes(signedPart, encodeTLV([primitiveNode(CRYPTO_SE_TAG.signature, signature)]));
}

describe('keyed-in card number', () => {
  it('needs registration first, then stores a Luhn-valid PAN typed on the keypad', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: PAN, expiry: '2812' })))), '6985', 'not registered yet');
    await register(se, await tsmAuthority(se), { store: true });
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: '4111111111111112', expiry: '2812' })))), '6A80', 'Luhn-invalid');
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: '41111111', expiry: '2812' })))), '6A80', 'too short');
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: PAN, expiry: '2813' })))), '6A80', 'no month 13');
    assert.deepEqual(se.status().credentials, [], 'nothing stored by the refusals');
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: '378282246310005', expiry: '2812', cvv: '1234' })))), '9000');
    assert.deepEqual(se.status().credentials, [{ slot: 1, origin: 'keyed-in', locked: false }]);
    assert.equal(maskedPAN(se), '0005');
    assert.equal(sw(se.send(keyInCardNumberCommand(1, se.keypad.type({ pan: PAN, expiry: '2812' })))), '6A89', 'slot taken');
    assert.equal(sw(se.send(keyInCardNumberCommand(2, se.sensor.seal(utf8('not a keypad'))))), '6982', 'only keypad input');
  });
});

describe('preloaded credential and the credential store', () => {
  it('keeps a preloaded credential locked until the first finger is enrolled', async () => {
    const se = await newCryptoSE();
    assert.deepEqual(await se.personalize({ preloadedCredentials: [{ slot: 3, pan: '6011000990139424', expiry: '301130' }] }), [0x9000]);
    se.select();
    assert.deepEqual(se.status().credentials, [{ slot: 3, origin: 'preloaded', locked: true }]);
    assert.equal(maskedPAN(se, 3), '6985');
    enrol(se, createModelFinger(se.random));
    assert.deepEqual(se.status().credentials, [{ slot: 3, origin: 'preloaded', locked: false }]);
    assert.equal(maskedPAN(se, 3), '9424');
  });

  it('answers READ MASKED PAN only to ACL holders, and 6A88 for an empty slot', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, point)))), '9000');
    assert.equal(sw(se.send(readMaskedPANCommand(1, LOYALTY))), '9000');
    assert.equal(sw(se.send(readMaskedPANCommand(1, UNKNOWN_APP))), '6982');
    assert.equal(maskedPAN(se, 2), '6A88');
  });

  it('deletes a credential only after a user verification', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    assert.equal(sw(se.send(storeCredentialPackageCommand(packageFor(se, point)))), '9000');
    assert.equal(sw(se.send(deleteCredentialCommand(1))), '6982');
    verifyPIN(se);
    assert.equal(sw(se.send(deleteCredentialCommand(1))), '9000');
    assert.deepEqual(se.status().credentials, []);
    assert.equal(se.appletStore()['cred.1'], undefined);
  });
});
