import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signECDSAP256, generateECP256KeyPair } from '../../../src/lib/crypto/index.js';
import { fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import {
  changePINCommand, getChallengeCommand, unblockMessage, unblockPINCommand, verifyPINCommand, VERIFICATION_VALIDITY_MS,
} from '../../../src/applets/crypto-se/client.js';
import { CRYPTO_SE_AID, newCryptoSE, PIN, sw } from './fixture.js';

describe('Crypto SE PIN (ISO/IEC 7816-4 VERIFY semantics)', () => {
  it('accepts the personalized PIN from the keypad tunnel and reports the verification in the status', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(verifyPINCommand())), '63C3', 'not verified yet: 3 tries');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    assert.equal(sw(se.send(verifyPINCommand())), '9000', 'empty VERIFY: verified');
    assert.deepEqual(se.status().verified, { pin: true, biometric: false });
  });

  it('decrements and commits the try counter on every wrong PIN, blocks at 0, and a power cycle changes nothing', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '0000' })))), '63C2');
    assert.equal(se.appletStore()['pin.tries'], '02', 'the decrement is in the committed card state');
    se.powerCycle();
    assert.equal(se.status().pinTriesLeft, 2);
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '1111' })))), '63C1');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '2222' })))), '63C0', 'the last wrong try is still counted (63C0)');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '6983', 'blocked: even the right PIN');
    assert.equal(sw(se.send(verifyPINCommand())), '6983');
    se.powerCycle();
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '6983', 'still blocked after a power cycle');
    assert.equal(se.status().pinTriesLeft, 0);
  });

  it('resets the counter on a correct PIN', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '9999' })))), '63C2');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    assert.equal(se.status().pinTriesLeft, 3);
  });

  it('keeps the verification for this session only, and for VERIFICATION_VALIDITY_MS at most', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    se.powerCycle();
    assert.equal(se.status().verified.pin, false, 'a power cycle (new SELECT, new session) ends it');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    assert.equal(se.select().sw, 0x9000);
    assert.equal(se.status().verified.pin, false, 'so does a new SELECT');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000');
    se.clock.advance(VERIFICATION_VALIDITY_MS);
    assert.equal(se.status().verified.pin, true, 'still within its validity');
    se.clock.advance(1);
    assert.equal(se.status().verified.pin, false, 'expired');
    se.clock.set(se.clock.now() - 10 * VERIFICATION_VALIDITY_MS);
    assert.equal(se.status().verified.pin, false, 'setting the clock back does not revive it (the card clock never goes back)');
  });

  it('refuses a replayed, misrouted or forged keypad blob with 6982 and does not count it as a try', async () => {
    const se = await newCryptoSE();
    const blob = se.keypad.type({ pin: '0000' });
    assert.equal(sw(se.send(verifyPINCommand(blob))), '63C2');
    assert.equal(sw(se.send(verifyPINCommand(blob))), '6982', 'replayed');
    const sensorBlob = se.sensor.seal(utf8('2580'));
    assert.equal(sw(se.send(verifyPINCommand(sensorBlob))), '6982', 'a sensor blob where keypad input belongs');
    const tampered = se.keypad.type({ pin: PIN });
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    assert.equal(sw(se.send(verifyPINCommand(tampered))), '6982', 'tampered');
    assert.equal(se.status().pinTriesLeft, 2, 'none of them was a PIN try');
  });

  it('answers 6984 when no PIN is set', async () => {
    const se = await newCryptoSE({ bare: true });
    assert.equal(sw(se.send(verifyPINCommand())), '6984');
  });
});

describe('Crypto SE CHANGE PIN', () => {
  it('changes the PIN with the old one; a wrong old PIN costs a try', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(changePINCommand(se.keypad.type({ pin: '1111', newPIN: '864209' })))), '63C2');
    assert.equal(sw(se.send(changePINCommand(se.keypad.type({ pin: PIN, newPIN: '864209' })))), '9000');
    assert.equal(se.status().pinTriesLeft, 3);
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '63C2', 'the old PIN is gone');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '864209' })))), '9000');
    assert.equal(sw(se.send(changePINCommand(se.keypad.type({ pin: '864209', newPIN: '12a4' })))), '6A80', 'a new PIN is 4-12 digits');
  });

  it('sets a first PIN from the keypad only while none is set', async () => {
    const se = await newCryptoSE({ bare: true });
    const freshKeys = await newCryptoSE();
    assert.equal(sw(freshKeys.send(changePINCommand(freshKeys.keypad.type({ newPIN: '4321' }), { initial: true }))), '6985', 'a PIN exists');
    // The bare card has no pairing keys: even the initial PIN needs the tunnel.
    assert.equal(sw(se.send(changePINCommand(se.keypad.type({ newPIN: '4321' }), { initial: true }))), '6982');
    assert.deepEqual(await se.personalize({ keypadPairingKey: se.keypad.pairingKey }), [0x9000]);
    se.select();
    assert.equal(sw(se.send(changePINCommand(se.keypad.type({ newPIN: '4321' }), { initial: true }))), '9000');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '4321' })))), '9000');
  });
});

describe('Crypto SE PIN unblock (TSM-signed RESET RETRY COUNTER)', () => {
  async function blocked() {
    const se = await newCryptoSE();
    for (const wrong of ['0000', '1111', '2222']) se.send(verifyPINCommand(se.keypad.type({ pin: wrong })));
    assert.equal(se.status().pinTriesLeft, 0);
    return se;
  }

  it('unblocks with the TSM signature over the card challenge, once', async () => {
    const se = await blocked();
    const challenge = se.send(getChallengeCommand());
    assert.equal(challenge.sw, 0x9000);
    assert.equal(challenge.data.length, 32);
    const signature = signECDSAP256(se.tsm.privateKey, unblockMessage(fromHex(challenge.data)), 'der');
    assert.equal(sw(se.send(unblockPINCommand(signature))), '9000');
    assert.equal(se.status().pinTriesLeft, 3);
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000', 'the same PIN works again');
    assert.equal(sw(se.send(unblockPINCommand(signature))), '6982', 'the challenge was used up');
  });

  it('refuses a signature by another key, over another challenge, or from an earlier session', async () => {
    const se = await blocked();
    const challenge = fromHex(se.send(getChallengeCommand()).data);
    const impostor = generateECP256KeyPair(se.random);
    assert.equal(sw(se.send(unblockPINCommand(signECDSAP256(impostor.privateKey, unblockMessage(challenge), 'der')))), '6982', 'not the TSM');
    assert.equal(sw(se.send(unblockPINCommand(signECDSAP256(se.tsm.privateKey, unblockMessage(new Uint8Array(16)), 'der')))), '6982', 'other challenge');
    assert.equal(sw(se.send(unblockPINCommand(signECDSAP256(se.tsm.privateKey, challenge, 'der')))), '6982', 'no label');
    const valid = signECDSAP256(se.tsm.privateKey, unblockMessage(challenge), 'der');
    se.powerCycle();
    assert.equal(sw(se.send(unblockPINCommand(valid))), '6982', 'the challenge belonged to the previous session');
    assert.equal(se.status().pinTriesLeft, 0, 'still blocked');
  });

  it('sets a new PIN typed on the keypad with the unblock', async () => {
    const se = await blocked();
    const challenge = fromHex(se.send(getChallengeCommand()).data);
    const signature = signECDSAP256(se.tsm.privateKey, unblockMessage(challenge), 'der');
    assert.equal(sw(se.send(unblockPINCommand(signature, se.keypad.type({ newPIN: '97531' })))), '9000');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '63C2');
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: '97531' })))), '9000');
  });

  it('keeps the PIN out of the card store: only its HMAC is there', async () => {
    const se = await newCryptoSE();
    const store = JSON.stringify(se.appletStore());
    assert.ok(!store.includes(toHex(utf8(PIN))), 'no PIN digits in the store');
    assert.equal(se.appletStore()['pin']?.length, 64, 'a 32-byte HMAC');
    assert.ok(se.test.card.state.applets[CRYPTO_SE_AID] !== undefined);
  });
});
