import { createPublicKey, type KeyObject } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource, importECP256PrivateKey, exportECP256PublicKey, generateECP256KeyPair } from '../../../src/lib/crypto/index.js';
import { encodeCardImage } from '../../../src/card/client.js';
import type { AppletContext } from '../../../src/card/types.js';
import {
  authorizePaymentCommand, presentModelFinger, sealCredentialPackage, signCommands, storeCredentialPackageCommand, verifyBiometricCommand,
} from '../../../src/applets/crypto-se/client.js';
import { CryptoSEStore, STORE } from '../../../src/applets/crypto-se/store.js';
import { CRYPTO_SE_AID, newCryptoSE, PIN, sw, WALLET } from './fixture.js';
import { register, tsmAuthority, verifyPIN } from './registration.js';

const DEVICE_KEY = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');

function memoryContext(entries: Map<string, Uint8Array>): AppletContext {
  const random = createDeterministicRandomSource(utf8('memory context'));
  return {
    aid: fromHex(CRYPTO_SE_AID),
    installParameters: new Uint8Array(0),
    store: { get: (name) => entries.get(name), set: (name, value) => { entries.set(name, value); }, delete: (name) => { entries.delete(name); } },
    randomBytes: (length) => random.bytes(length),
    now: () => 0,
  };
}

describe('Crypto SE secrets at rest and on the wire', () => {
  it('never answers a private key, and keeps no private key, PIN, PAN, CVV or template in clear in the card image', async () => {
    const se = await newCryptoSE();
    const preloaded = generateECP256KeyPair(se.random);
    const preloadedScalar = new Uint8Array(Buffer.from(preloaded.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
    assert.deepEqual(await se.personalize({ preloadedKeys: [{ slot: 0x11, scalar: preloadedScalar }] }), [0x9000]);
    se.select();
    // A full life: registration, an OTA credential, a signature, a payment.
    const registration = await register(se, await tsmAuthority(se), { store: true });
    assert.equal(sw(se.send(storeCredentialPackageCommand(sealCredentialPackage({
      devicePublicKey: registration.point, tsmPrivateKey: se.tsm.privateKey, counter: 7n, credentialSlot: 1, pan: '4111111111111111', expiry: '291231', cvv: '987', random: se.random,
    })))), '9000');
    verifyPIN(se);
    assert.equal(se.sendAll(signCommands('application', utf8('hello'), { caller: WALLET })).sw, 0x9000);
    assert.equal(sw(se.send(verifyBiometricCommand(se.sensor.seal(presentModelFinger(registration.finger, se.random))))), '9000');
    assert.equal(se.send(authorizePaymentCommand({ cvm: 'either', caller: WALLET, credentialSlot: 1, amountMinor: 500, currencyNumeric: '840', unpredictableNumber: fromHex('01020304') })).sw, 0x9000);

    // An attacker holding the whole image can unseal (README.md "At rest" says why); use that to
    // learn the device scalar, then show it is nowhere in clear.
    const inside = se.inspect();
    const deviceScalar = inside.getSealed(STORE.privateKey(0x01));
    assert.ok(deviceScalar !== undefined && deviceScalar.length === 32);
    assert.equal(toHex(exportECP256PublicKey(publicOf(deviceScalar))), toHex(registration.point), 'it is the device key');
    const template = inside.getSealed(STORE.fingerTemplate(1)) ?? new Uint8Array(0);

    const image = encodeCardImage(se.test.card.state, DEVICE_KEY, se.random).toUpperCase();
    const wire = se.responses.join('').toUpperCase();
    const secrets: Record<string, string> = {
      'device private key': toHex(deviceScalar),
      'preloaded private key': toHex(preloadedScalar),
      'PIN': toHex(utf8(PIN)),
      'PAN (ASCII)': toHex(utf8('4111111111111111')),
      'PAN (BCD)': '4111111111111111',
      'CVV': toHex(utf8('987')),
      'finger template': toHex(template.subarray(0, 16)),
      'keypad pairing key': toHex(se.keypad.pairingKey),
    };
    for (const [what, hex] of Object.entries(secrets)) {
      assert.ok(!image.includes(hex), `${what} is not in the card image in clear`);
      assert.ok(!wire.includes(hex), `${what} never left the card`);
    }
    assert.ok(se.responses.length > 10, 'the wire check saw the whole session');
  });

  it('binds each sealed value to its entry: moved to another entry, it does not open', () => {
    const entries = new Map<string, Uint8Array>();
    const store = new CryptoSEStore(memoryContext(entries));
    store.setSealed(STORE.privateKey(0x01), new Uint8Array(32).fill(0x11));
    entries.set(STORE.privateKey(0x10), entries.get(STORE.privateKey(0x01)) ?? new Uint8Array(0));
    assert.deepEqual(store.getSealed(STORE.privateKey(0x01)), new Uint8Array(32).fill(0x11));
    assert.throws(() => new CryptoSEStore(memoryContext(entries)).getSealed(STORE.privateKey(0x10)));
  });
});

function publicOf(scalar: Uint8Array): KeyObject {
  return createPublicKey(importECP256PrivateKey(scalar));
}
