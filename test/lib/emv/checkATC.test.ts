import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../../../src/lib/bytes.js';
import { ATC_MAX, checkATC, decodeATC } from '../../../src/lib/emv/index.js';
import { isEMVInputError } from './fixtures.js';

describe('checkATC', () => {
  it('accepts the next ATC and any jump within the window', () => {
    assert.deepEqual(checkATC({ receivedATC: 6, highestSeenATC: 5, window: 10 }), { status: 'ok', gap: 1 });
    assert.deepEqual(checkATC({ receivedATC: 15, highestSeenATC: 5, window: 10 }), { status: 'ok', gap: 10 });
    assert.deepEqual(checkATC({ receivedATC: ATC_MAX, highestSeenATC: ATC_MAX - 1, window: 1 }), { status: 'ok', gap: 1 });
  });

  it('reports a repeated or older ATC as replayed', () => {
    assert.deepEqual(checkATC({ receivedATC: 5, highestSeenATC: 5, window: 10 }), { status: 'replayed', gap: 0 });
    assert.deepEqual(checkATC({ receivedATC: 1, highestSeenATC: 5, window: 10 }), { status: 'replayed', gap: -4 });
    assert.deepEqual(checkATC({ receivedATC: 0, highestSeenATC: ATC_MAX, window: ATC_MAX }), { status: 'replayed', gap: -ATC_MAX });
  });

  it('reports a jump beyond the window as out-of-window', () => {
    assert.deepEqual(checkATC({ receivedATC: 16, highestSeenATC: 5, window: 10 }), { status: 'out-of-window', gap: 11 });
  });

  it('starts from -1 when no ATC has been seen', () => {
    assert.deepEqual(checkATC({ receivedATC: 0, highestSeenATC: null, window: 5 }), { status: 'ok', gap: 1 });
    assert.deepEqual(checkATC({ receivedATC: 4, highestSeenATC: null, window: 5 }), { status: 'ok', gap: 5 });
    assert.deepEqual(checkATC({ receivedATC: 5, highestSeenATC: null, window: 5 }), { status: 'out-of-window', gap: 6 });
  });

  it('refuses ATCs outside 0..FFFF and windows outside 1..FFFF with ERR_EMV_INPUT', () => {
    for (const receivedATC of [-1, ATC_MAX + 1, 1.5, Number.NaN]) {
      assert.throws(() => checkATC({ receivedATC, highestSeenATC: 0, window: 1 }), isEMVInputError, String(receivedATC));
    }
    assert.throws(() => checkATC({ receivedATC: 1, highestSeenATC: -1, window: 1 }), isEMVInputError);
    assert.throws(() => checkATC({ receivedATC: 1, highestSeenATC: 0, window: 0 }), isEMVInputError);
    assert.throws(() => checkATC({ receivedATC: 1, highestSeenATC: 0, window: ATC_MAX + 1 }), isEMVInputError);
  });

  it('property: exactly one outcome, decided by received - highest against 0 and the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ATC_MAX }), fc.option(fc.integer({ min: 0, max: ATC_MAX })), fc.integer({ min: 1, max: ATC_MAX }), (receivedATC, highestSeenATC, window) => {
        const result = checkATC({ receivedATC, highestSeenATC, window });
        const gap = receivedATC - (highestSeenATC ?? -1);
        assert.equal(result.gap, gap);
        assert.equal(result.status, gap <= 0 ? 'replayed' : gap > window ? 'out-of-window' : 'ok');
      }),
    );
  });
});

describe('decodeATC', () => {
  it('reads tag 9F36 big-endian and refuses other lengths', () => {
    assert.equal(decodeATC(fromHex('001C')), 0x1c);
    assert.equal(decodeATC(fromHex('FFFF')), ATC_MAX);
    assert.throws(() => decodeATC(fromHex('01')), isEMVInputError);
  });
});
