import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { computeRetailMAC, type ISO9797PaddingMethod } from '../../../src/lib/crypto/index.js';
import { AC_DATA_BYTES_MAX, ARQC_INVALID_MESSAGE, computeARQC, verifyARQC } from '../../../src/lib/emv/index.js';
import { flipBit, isARQCInvalid, isEMVInputError, loadFixture } from './fixtures.js';

interface CryptogramVector {
  readonly source: string;
  readonly sessionKey: string;
  readonly data: string;
  readonly padding: ISO9797PaddingMethod;
  readonly arqc: string;
}

const fixture = loadFixture<CryptogramVector>('application-cryptogram.json');
const first = fixture.vectors[0];
assert.ok(first !== undefined);
const KEY = fromHex(first.sessionKey);
const DATA = fromHex(first.data);
const ARQC = fromHex(first.arqc);

describe('computeARQC / verifyARQC (EMV Book 2 §8.1, Annex A1.2.1)', () => {
  for (const vector of fixture.vectors) {
    it(vector.source, () => {
      const input = { sessionKey: fromHex(vector.sessionKey), data: fromHex(vector.data), padding: vector.padding };
      assert.equal(toHex(computeARQC(input)), vector.arqc);
      verifyARQC({ ...input, receivedARQC: fromHex(vector.arqc) });
    });
  }

  it('uses padding method 2 unless told otherwise', () => {
    assert.equal(toHex(computeARQC({ sessionKey: KEY, data: DATA })), toHex(ARQC));
    assert.notEqual(toHex(computeARQC({ sessionKey: KEY, data: DATA, padding: 1 })), toHex(ARQC));
  });

  it('fails the same way for a wrong key, tampered data, a tampered, short or long cryptogram, and the other padding', () => {
    const failures: { readonly what: string; readonly run: () => void }[] = [
      { what: 'wrong key', run: () => verifyARQC({ sessionKey: flipBit(KEY, 1), data: DATA, receivedARQC: ARQC }) },
      { what: 'tampered data', run: () => verifyARQC({ sessionKey: KEY, data: flipBit(DATA, 77), receivedARQC: ARQC }) },
      { what: 'appended data', run: () => verifyARQC({ sessionKey: KEY, data: Uint8Array.from([...DATA, 0]), receivedARQC: ARQC }) },
      { what: 'tampered ARQC', run: () => verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: flipBit(ARQC, 63) }) },
      { what: 'truncated ARQC', run: () => verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: ARQC.slice(0, 4) }) },
      { what: 'long ARQC', run: () => verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: Uint8Array.from([...ARQC, 0]) }) },
      { what: 'empty ARQC', run: () => verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: new Uint8Array(0) }) },
      { what: 'zero padding', run: () => verifyARQC({ sessionKey: KEY, data: DATA, padding: 1, receivedARQC: ARQC }) },
    ];
    for (const { what, run } of failures) {
      assert.throws(run, (error: unknown) => isARQCInvalid(error) && (error as Error).message === ARQC_INVALID_MESSAGE, what);
    }
  });

  it('never echoes the key, the expected cryptogram or the data in its error', () => {
    try {
      verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: flipBit(ARQC, 0) });
      assert.fail('expected a failure');
    } catch (error) {
      assert.ok(isARQCInvalid(error));
      const text = `${(error as Error).message} ${JSON.stringify(error)}`.toUpperCase();
      for (const secret of [toHex(KEY), toHex(KEY.subarray(0, 8)), toHex(ARQC), toHex(ARQC.subarray(0, 4)), toHex(DATA)]) {
        assert.ok(!text.includes(secret), 'the error carries no key or cryptogram');
      }
    }
  });

  it('refuses bad keys, empty or oversized data and unknown padding with ERR_EMV_INPUT', () => {
    assert.throws(() => computeARQC({ sessionKey: new Uint8Array(8), data: DATA }), isEMVInputError);
    assert.throws(() => computeARQC({ sessionKey: new Uint8Array(24), data: DATA }), isEMVInputError);
    assert.throws(() => computeARQC({ sessionKey: KEY, data: new Uint8Array(0) }), isEMVInputError);
    assert.throws(() => computeARQC({ sessionKey: KEY, data: new Uint8Array(AC_DATA_BYTES_MAX + 1) }), isEMVInputError);
    assert.throws(() => computeARQC({ sessionKey: KEY, data: DATA, padding: 3 as ISO9797PaddingMethod }), isEMVInputError);
    assert.throws(() => verifyARQC({ sessionKey: new Uint8Array(15), data: DATA, receivedARQC: ARQC }), isEMVInputError);
    assert.throws(() => verifyARQC({ sessionKey: KEY, data: DATA, receivedARQC: 'ARQC' as unknown as Uint8Array }), isEMVInputError);
  });

  it('is the retail MAC of the data (ISO/IEC 9797-1 MAC algorithm 3), with either padding', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.constantFrom<ISO9797PaddingMethod>(1, 2),
        (sessionKey, data, padding) => {
          assert.equal(toHex(computeARQC({ sessionKey, data, padding })), toHex(computeRetailMAC(sessionKey, data, padding)));
        },
      ),
    );
  });

  it('property: verify(compute(x)) passes, and any single-bit flip of the data or the ARQC fails', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.nat(),
        fc.nat(63),
        (sessionKey, data, dataBit, arqcBit) => {
          const arqc = computeARQC({ sessionKey, data });
          verifyARQC({ sessionKey, data, receivedARQC: arqc });
          const flippedData = flipBit(data, dataBit % (data.length * 8));
          assert.throws(() => verifyARQC({ sessionKey, data: flippedData, receivedARQC: arqc }), isARQCInvalid);
          assert.throws(() => verifyARQC({ sessionKey, data, receivedARQC: flipBit(arqc, arqcBit) }), isARQCInvalid);
        },
      ),
    );
  });

  it('verifies a copy: changing the inputs afterwards changes nothing', () => {
    const data = DATA.slice();
    const received = ARQC.slice();
    verifyARQC({ sessionKey: KEY, data, receivedARQC: received });
    assert.equal(toHex(data), toHex(DATA));
    assert.equal(toHex(received), toHex(ARQC));
  });
});
