import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { encryptTDESECB } from '../../../src/lib/crypto/index.js';
import {
  deriveCommonSessionKey, deriveSessionKey, type DeriveSessionKeyInput, setOddParity,
} from '../../../src/lib/emv/index.js';
import { isEMVInputError, loadFixture } from './fixtures.js';

interface SessionKeyVector {
  readonly source: string;
  readonly iccMasterKey: string;
  readonly atc?: string;
  readonly diversification: string;
  readonly sessionKey: string;
}

const fixture = loadFixture<SessionKeyVector>('session-key-derivation.json');
const MK = fromHex('0123456789ABCDEFFEDCBA9876543210');

describe('deriveCommonSessionKey (EMV Book 2 Annex A1.3.1)', () => {
  for (const vector of fixture.vectors) {
    it(vector.source, () => {
      const iccMasterKey = fromHex(vector.iccMasterKey);
      assert.equal(toHex(deriveCommonSessionKey(iccMasterKey, fromHex(vector.diversification))), vector.sessionKey);
      if (vector.atc !== undefined) {
        // R = ATC || 00 x 6 is the AC session key of Book 2 §8.1.2: deriveSessionKey's default.
        assert.equal(toHex(deriveSessionKey({ iccMasterKey, atc: fromHex(vector.atc) })), vector.sessionKey);
        assert.equal(toHex(deriveSessionKey({ iccMasterKey, atc: fromHex(vector.atc), method: 'emv-csk' })), vector.sessionKey);
      }
    });
  }

  it('equals its definition: DES3(MK)[R0 R1 F0 R3..R7] || DES3(MK)[R0 R1 0F R3..R7], odd parity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (mk, r) => {
        const f1 = r.slice();
        f1[2] = 0xf0;
        const f2 = r.slice();
        f2[2] = 0x0f;
        const expected = setOddParity(concatBytes(encryptTDESECB(mk, f1), encryptTDESECB(mk, f2)));
        assert.equal(toHex(deriveCommonSessionKey(mk, r)), toHex(expected));
      }),
    );
  });

  it('ignores byte 3 of R, which the derivation overwrites', () => {
    assert.equal(
      toHex(deriveCommonSessionKey(MK, fromHex('001C000000000000'))),
      toHex(deriveCommonSessionKey(MK, fromHex('001CFF0000000000'))),
    );
  });
});

describe('deriveSessionKey', () => {
  it("'mastercard-skd' is the common derivation with R = ATC || 00 00 || UN", () => {
    const atc = fromHex('001C');
    const unpredictableNumber = fromHex('ABCDEF12');
    assert.equal(
      toHex(deriveSessionKey({ iccMasterKey: MK, atc, method: 'mastercard-skd', unpredictableNumber })),
      toHex(deriveCommonSessionKey(MK, fromHex('001C0000ABCDEF12'))),
    );
  });

  it("'none' returns a copy of the ICC master key (Visa CVN 10)", () => {
    const key = deriveSessionKey({ iccMasterKey: MK, method: 'none' });
    assert.equal(toHex(key), toHex(MK));
    key[0] = 0;
    assert.equal(MK[0], 0x01, 'the caller cannot change the master key through the result');
  });

  it('refuses wrong key, ATC and UN lengths and unknown methods with ERR_EMV_INPUT', () => {
    assert.throws(() => deriveSessionKey({ iccMasterKey: new Uint8Array(8), atc: fromHex('0001') }), isEMVInputError);
    assert.throws(() => deriveSessionKey({ iccMasterKey: MK, atc: fromHex('01') }), isEMVInputError);
    assert.throws(() => deriveSessionKey({ iccMasterKey: MK, atc: fromHex('000001') }), isEMVInputError);
    assert.throws(
      () => deriveSessionKey({ iccMasterKey: MK, atc: fromHex('0001'), method: 'mastercard-skd', unpredictableNumber: fromHex('010203') }),
      isEMVInputError,
    );
    assert.throws(() => deriveSessionKey({ iccMasterKey: MK, atc: fromHex('0001'), method: 'visa' } as unknown as DeriveSessionKeyInput), isEMVInputError);
    assert.throws(() => deriveCommonSessionKey(MK, new Uint8Array(7)), isEMVInputError);
    assert.throws(() => deriveCommonSessionKey(new Uint8Array(24), new Uint8Array(8)), isEMVInputError);
  });
});
