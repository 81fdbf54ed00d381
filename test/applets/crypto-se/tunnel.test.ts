import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { openAESGCM } from '../../../src/lib/crypto/index.js';
import { concatBytes, toHex } from '../../../src/lib/bytes.js';
import {
  encodeKeypadInput, sealTunnelInput, TUNNEL_SOURCE, tunnelBlobHeader, verifyPINCommand, verifyBiometricCommand, createModelFinger,
  presentModelFinger,
} from '../../../src/applets/crypto-se/client.js';
import { newCryptoSE, PIN, sw } from './fixture.js';

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return toHex(haystack).includes(toHex(needle)) && needle.length > 0;
}

describe('secure input tunnel: what the host relays', () => {
  it('shows the host only the source and the counter, never the PIN, and opens under no other key', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.stringMatching(/^[0-9]{4,12}$/),
      fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
      (pairingKey, guessedKey, pin, counter) => {
        fc.pre(toHex(pairingKey) !== toHex(guessedKey));
        const input = encodeKeypadInput({ pin });
        const blob = sealTunnelInput(pairingKey, TUNNEL_SOURCE.keypad, counter, input);
        assert.deepEqual(tunnelBlobHeader(blob), { sourceId: TUNNEL_SOURCE.keypad, counter });
        assert.ok(!containsBytes(blob, new TextEncoder().encode(pin)), 'the PIN digits are not in the blob');
        assert.ok(!containsBytes(blob, input), 'nor is the plaintext');
        // What a host without the pairing key can try: any key, the IV rebuilt from the public header.
        const iv = concatBytes(Uint8Array.of(TUNNEL_SOURCE.keypad, 0, 0, 0), blob.subarray(1, 9));
        assert.throws(() => openAESGCM(guessedKey, concatBytes(iv, blob.subarray(9)), blob.subarray(0, 9)));
        // The peripheral's key does open it: the blob is not merely random bytes.
        assert.equal(toHex(openAESGCM(pairingKey, concatBytes(iv, blob.subarray(9)), blob.subarray(0, 9))), toHex(input));
      },
    ), { seed: 0x5eed, numRuns: 200 });
  });

  it('keeps a finger template out of the sensor blob', () => {
    const key = new Uint8Array(32).fill(7);
    const random = { bytes: (length: number) => new Uint8Array(length).fill(3) };
    const sample = presentModelFinger(createModelFinger(random), random);
    const blob = sealTunnelInput(key, TUNNEL_SOURCE.sensor, 1n, sample);
    assert.ok(!containsBytes(blob, sample.subarray(0, 8)), 'not even a prefix of the features');
  });
});

describe('secure input tunnel: what the card accepts', () => {
  it('refuses a replay and an older counter, accepts gaps, and answers 6982 with no data for every failure', async () => {
    const se = await newCryptoSE();
    se.keypad.counter = 10n;
    const tenth = se.keypad.type({ pin: '0000' });
    const eleventh = se.keypad.type({ pin: '0000' });
    assert.equal(sw(se.send(verifyPINCommand(eleventh))), '63C2');
    const replay = se.send(verifyPINCommand(eleventh));
    const older = se.send(verifyPINCommand(tenth));
    assert.deepEqual([replay, older], [{ data: '', sw: 0x6982 }, { data: '', sw: 0x6982 }]);
    se.keypad.counter = 1000n;
    assert.equal(sw(se.send(verifyPINCommand(se.keypad.type({ pin: PIN })))), '9000', 'a counter may jump ahead');
    assert.equal(se.appletStore()['tunnel.01'], '00000000000003E9');
  });

  it('refuses a blob under a wrong pairing key, a changed clear counter or source, and a keypad blob at the sensor', async () => {
    const se = await newCryptoSE();
    const wrongKey = sealTunnelInput(new Uint8Array(32).fill(0x42), TUNNEL_SOURCE.keypad, 5n, encodeKeypadInput({ pin: PIN }));
    const failures = [se.send(verifyPINCommand(wrongKey))];
    const bumped = se.keypad.type({ pin: PIN });
    bumped[8] = (bumped[8] ?? 0) + 1;
    failures.push(se.send(verifyPINCommand(bumped)));
    const resourced = se.keypad.type({ pin: PIN });
    resourced[0] = TUNNEL_SOURCE.sensor;
    failures.push(se.send(verifyPINCommand(resourced)));
    failures.push(se.send(verifyBiometricCommand(se.keypad.type({ pin: PIN }))));
    failures.push(se.send(verifyPINCommand(new Uint8Array(10))));
    // The biometric one answers 6A88 first (nothing enrolled); the others are all 6982, no data.
    assert.deepEqual(failures.map((failure) => `${failure.data}/${sw(failure)}`), ['/6982', '/6982', '/6982', '/6A88', '/6982']);
    assert.equal(se.status().pinTriesLeft, 3, 'no failure reached the PIN comparison');
  });
});
