import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CRYPTO_SE_INS, getPaymentAttestationCommand, signTsmRequestCommand } from '../../src/applets/crypto-se/client.js';
import { fromHex } from '../../src/lib/bytes.js';
import { isRelayedPaymentCommand } from '../../src/device/paymentRelay.js';

describe('the NFC controller relays only payment commands from the App SE to the Crypto SE', () => {
  it('carries READ PAYMENT DATA and GENERATE AC', () => {
    assert.equal(isRelayedPaymentCommand(Uint8Array.of(0x80, CRYPTO_SE_INS.readPaymentData, 0x00, 0x00, 0x00)), true);
    assert.equal(isRelayedPaymentCommand(fromHex('80AE8000020000')), true);
  });

  it('refuses every other Crypto SE command, another class, and nothing at all', () => {
    assert.equal(isRelayedPaymentCommand(signTsmRequestCommand(new Uint8Array(32))), false, 'an App SE application must not sign TSM requests as the device');
    assert.equal(isRelayedPaymentCommand(getPaymentAttestationCommand()), false);
    for (const ins of [CRYPTO_SE_INS.verifyPIN, CRYPTO_SE_INS.changePIN, CRYPTO_SE_INS.getChallenge, CRYPTO_SE_INS.getData]) {
      assert.equal(isRelayedPaymentCommand(Uint8Array.of(0x80, ins, 0x00, 0x00)), false);
    }
    assert.equal(isRelayedPaymentCommand(fromHex('00AE8000020000')), false);
    assert.equal(isRelayedPaymentCommand(new Uint8Array(0)), false);
  });
});
