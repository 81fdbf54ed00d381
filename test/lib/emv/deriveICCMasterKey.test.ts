import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { encryptTDESECB } from '../../../src/lib/crypto/index.js';
import {
  computeKeyCheckValue, deriveICCMasterKey, type MasterKeyDerivationOption, setOddParity,
} from '../../../src/lib/emv/index.js';
import { isEMVInputError, loadFixture } from './fixtures.js';

interface MasterKeyVector {
  readonly source: string;
  readonly option: MasterKeyDerivationOption;
  readonly issuerMasterKey: string;
  readonly pan: string;
  readonly panSequenceNumber?: string;
  readonly iccMasterKey?: string;
  readonly iccMasterKeyKCV?: string;
}

const fixture = loadFixture<MasterKeyVector>('icc-master-key-derivation.json');
const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');

function oddParity(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte.toString(2).split('1').length % 2 === 0);
}

describe('deriveICCMasterKey (EMV Book 2 Annex A1.4)', () => {
  for (const vector of fixture.vectors) {
    it(`Option ${vector.option}: ${vector.source}`, () => {
      const key = deriveICCMasterKey({
        issuerMasterKey: fromHex(vector.issuerMasterKey),
        pan: vector.pan,
        option: vector.option,
        ...(vector.panSequenceNumber === undefined ? {} : { panSequenceNumber: vector.panSequenceNumber }),
      });
      assert.ok(vector.iccMasterKey !== undefined || vector.iccMasterKeyKCV !== undefined, 'the vector has an expected result');
      if (vector.iccMasterKey !== undefined) assert.equal(toHex(key), vector.iccMasterKey);
      if (vector.iccMasterKeyKCV !== undefined) {
        assert.equal(toHex(computeKeyCheckValue(key, vector.iccMasterKeyKCV.length / 2)), vector.iccMasterKeyKCV);
      }
      assert.ok(oddParity(key));
    });
  }

  it('takes an absent PSN as 00 and left-pads PAN || PSN shorter than 16 digits (A1.4.1)', () => {
    const pan = '4000123456';
    const explicit = deriveICCMasterKey({ issuerMasterKey: IMK, pan, panSequenceNumber: '00' });
    assert.equal(toHex(deriveICCMasterKey({ issuerMasterKey: IMK, pan })), toHex(explicit));
    const y = fromHex('0000400012345600');
    const expected = setOddParity(encryptTDESECB(IMK, Uint8Array.from([...y, ...y.map((byte) => byte ^ 0xff)])));
    assert.equal(toHex(explicit), toHex(expected));
  });

  it('Option A equals its definition for any PAN and PSN: Z_L = DES3(IMK)[Y], Z_R = DES3(IMK)[Y XOR FF..FF]', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.stringMatching(/^[0-9]{8,19}$/),
        fc.stringMatching(/^[0-9]{2}$/),
        (issuerMasterKey, pan, panSequenceNumber) => {
          const digits = (pan + panSequenceNumber).slice(-16).padStart(16, '0');
          const y = fromHex(digits);
          const expected = setOddParity(encryptTDESECB(issuerMasterKey, Uint8Array.from([...y, ...y.map((byte) => byte ^ 0xff)])));
          assert.equal(toHex(deriveICCMasterKey({ issuerMasterKey, pan, panSequenceNumber })), toHex(expected));
          // Option B changes nothing for PANs of 16 digits or fewer (A1.4.2).
          if (pan.length <= 16) {
            assert.equal(toHex(deriveICCMasterKey({ issuerMasterKey, pan, panSequenceNumber, option: 'B' })), toHex(expected));
          }
        },
      ),
    );
  });

  it('refuses keys other than 16 bytes, malformed PANs and PSNs, and unknown options with ERR_EMV_INPUT', () => {
    const pan = '1234567890123456';
    assert.throws(() => deriveICCMasterKey({ issuerMasterKey: new Uint8Array(8), pan }), isEMVInputError);
    assert.throws(() => deriveICCMasterKey({ issuerMasterKey: new Uint8Array(24), pan }), isEMVInputError);
    for (const bad of ['', '1234567', '12345678901234567890', '12345678901234F', '1234 5678 9012 3456']) {
      assert.throws(() => deriveICCMasterKey({ issuerMasterKey: IMK, pan: bad }), isEMVInputError, bad);
    }
    for (const bad of ['', '1', '123', 'AB']) {
      assert.throws(() => deriveICCMasterKey({ issuerMasterKey: IMK, pan, panSequenceNumber: bad }), isEMVInputError, bad);
    }
    assert.throws(() => deriveICCMasterKey({ issuerMasterKey: IMK, pan, option: 'C' as MasterKeyDerivationOption }), isEMVInputError);
  });

  it('never echoes the PAN or the key in an error', () => {
    const pan = '12345678901234567890';
    try {
      deriveICCMasterKey({ issuerMasterKey: IMK, pan });
      assert.fail('expected a failure');
    } catch (error) {
      assert.ok(isEMVInputError(error));
      assert.ok(!(error as Error).message.includes(pan));
    }
  });
});

describe('setOddParity and computeKeyCheckValue', () => {
  it('sets odd parity without touching the key bits, so every DES result stays the same', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (key) => {
        const adjusted = setOddParity(key);
        assert.ok(oddParity(adjusted));
        assert.deepEqual([...adjusted].map((byte) => byte & 0xfe), [...key].map((byte) => byte & 0xfe));
        assert.equal(toHex(computeKeyCheckValue(adjusted)), toHex(computeKeyCheckValue(key)));
      }),
    );
  });

  it('gives the published KCV of the EFTlab UDK (3 bytes by default) and refuses odd lengths', () => {
    assert.equal(toHex(computeKeyCheckValue(fromHex('C8B507136D921FD05864C81F79F2D30B'))), '0DA897');
    assert.equal(toHex(computeKeyCheckValue(IMK, 2)), '08D7'); // pyemv tests/test_kd_hsm.py
    assert.throws(() => computeKeyCheckValue(IMK, 1), isEMVInputError);
    assert.throws(() => computeKeyCheckValue(IMK, 9), isEMVInputError);
    assert.throws(() => computeKeyCheckValue(new Uint8Array(15)), isEMVInputError);
  });
});
