import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex } from '../../../src/lib/bytes.js';
import { readMaskedPANCommand, sealCredentialPackage, storeCredentialPackageCommand } from '../../../src/applets/crypto-se/client.js';
import { LOYALTY, newCryptoSE, sw, UNKNOWN_APP, WALLET, WALLET_OTHER_KEY } from './fixture.js';
import { generate } from './registration.js';

describe('Crypto SE access-control list', () => {
  it('grants each App SE application only its listed operations, keyed by AID and TSM signing key', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    assert.equal(sw(se.send(storeCredentialPackageCommand(sealCredentialPackage({
      devicePublicKey: point, tsmPrivateKey: se.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: '4111111111111111', expiry: '291231', random: se.random,
    })))), '9000');
    assert.equal(sw(se.send(readMaskedPANCommand(1, WALLET))), '9000');
    assert.equal(sw(se.send(readMaskedPANCommand(1, LOYALTY))), '9000');
    assert.equal(sw(se.send(readMaskedPANCommand(1, UNKNOWN_APP))), '6982');
    assert.equal(sw(se.send(readMaskedPANCommand(1, WALLET_OTHER_KEY))), '6982', 'a re-signed copy of the wallet is another application');
    assert.equal(sw(se.send(fromHex('805A0100'))), '6982', 'no caller at all');
  });

  it('changes only through personalization: removing an entry takes effect, and no APDU can write it', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    assert.equal(sw(se.send(storeCredentialPackageCommand(sealCredentialPackage({
      devicePublicKey: point, tsmPrivateKey: se.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: '4111111111111111', expiry: '291231', random: se.random,
    })))), '9000');
    // The personalization data object sent straight to the applet: not a command it knows.
    assert.equal(sw(se.send(fromHex('80E2800015E2134F09A0000000041010CC03C1047E55E7A0C20107'))), '6D00');
    assert.equal(sw(se.send(fromHex('00E2800015E2134F09A0000000041010CC03C1047E55E7A0C20107'))), '6E00');
    assert.equal(sw(se.send(readMaskedPANCommand(1, UNKNOWN_APP))), '6982');
    assert.deepEqual(await se.personalize({ acl: [{ aid: LOYALTY.aid, keyId: LOYALTY.keyId, operations: [] }] }), [0x9000]);
    se.select();
    assert.equal(sw(se.send(readMaskedPANCommand(1, LOYALTY))), '6982', 'removed');
    assert.equal(sw(se.send(readMaskedPANCommand(1, WALLET))), '9000', 'others untouched');
  });

  it('refuses malformed personalization whole (6A80) and keeps the previous state', async () => {
    const se = await newCryptoSE();
    const before = JSON.stringify(se.appletStore());
    assert.deepEqual(await se.personalizeRaw([fromHex('DF0103313233')]), [0x6a80], 'a 3-digit PIN');
    assert.deepEqual(await se.personalizeRaw([fromHex('DF020105DF7F0100')]), [0x6a80], 'an unknown tag after a good one: the block is refused whole');
    assert.deepEqual(await se.personalizeRaw([fromHex('E2054F03A00000')]), [0x6a80], 'ACL entry without a key id');
    se.select();
    const after = { ...se.appletStore() };
    delete after['session'];
    const expected = JSON.parse(before) as Record<string, string>;
    delete expected['session'];
    assert.deepEqual(after, expected);
  });
});
