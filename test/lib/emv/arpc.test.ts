import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex, xorBytes } from '../../../src/lib/bytes.js';
import { computeRetailMAC, encryptTDESECB } from '../../../src/lib/crypto/index.js';
import {
  ARPC_INVALID_MESSAGE, computeARPC, type ComputeARPCInput, verifyARPC,
} from '../../../src/lib/emv/index.js';
import { flipBit, isARPCInvalid, isEMVInputError, loadFixture } from './fixtures.js';

interface ARPCVector {
  readonly source: string;
  readonly method: 1 | 2;
  readonly key: string;
  readonly arqc: string;
  readonly arc?: string;
  readonly csu?: string;
  readonly proprietaryAuthenticationData?: string;
  readonly arpc: string;
}

const fixture = loadFixture<ARPCVector>('arpc.json');

function inputOf(vector: ARPCVector): ComputeARPCInput {
  const key = fromHex(vector.key);
  const arqc = fromHex(vector.arqc);
  if (vector.method === 1) return { method: 1, key, arqc, arc: fromHex(vector.arc ?? '') };
  return {
    method: 2,
    key,
    arqc,
    csu: fromHex(vector.csu ?? ''),
    ...(vector.proprietaryAuthenticationData === undefined ? {} : { proprietaryAuthenticationData: fromHex(vector.proprietaryAuthenticationData) }),
  };
}

const KEY = fromHex('AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB');
const ARQC = fromHex('1234567890ABCDEF');

describe('computeARPC / verifyARPC (EMV Book 2 §8.2)', () => {
  for (const vector of fixture.vectors) {
    it(`method ${vector.method}: ${vector.source}`, () => {
      const input = inputOf(vector);
      assert.equal(toHex(computeARPC(input)), vector.arpc);
      verifyARPC({ ...input, receivedARPC: fromHex(vector.arpc) });
    });
  }

  it('method 1 equals its definition DES3(A_K)[ARQC XOR (ARC || 00 x 6)]', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 2, maxLength: 2 }), (key, arqc, arc) => {
        const expected = encryptTDESECB(key, xorBytes(arqc, concatBytes(arc, new Uint8Array(6))));
        assert.equal(toHex(computeARPC({ method: 1, key, arqc, arc })), toHex(expected));
      }),
    );
  });

  it('method 2 equals its definition: the leftmost 4 bytes of MAC(A_K)[ARQC || CSU || proprietary data]', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ maxLength: 8 }),
        (key, arqc, csu, proprietaryAuthenticationData) => {
          const expected = computeRetailMAC(key, concatBytes(arqc, csu, proprietaryAuthenticationData), 2).slice(0, 4);
          assert.equal(toHex(computeARPC({ method: 2, key, arqc, csu, proprietaryAuthenticationData })), toHex(expected));
        },
      ),
    );
  });

  it('fails the same way for a wrong key, ARQC, ARC, CSU, a flipped ARPC and a wrong length', () => {
    const arc = fromHex('3030');
    const csu = fromHex('00000000');
    const arpc1 = computeARPC({ method: 1, key: KEY, arqc: ARQC, arc });
    const arpc2 = computeARPC({ method: 2, key: KEY, arqc: ARQC, csu });
    const failures: readonly (readonly [string, () => void])[] = [
      ['wrong key', () => verifyARPC({ method: 1, key: flipBit(KEY, 9), arqc: ARQC, arc, receivedARPC: arpc1 })],
      ['other ARQC', () => verifyARPC({ method: 1, key: KEY, arqc: flipBit(ARQC, 3), arc, receivedARPC: arpc1 })],
      ['other ARC', () => verifyARPC({ method: 1, key: KEY, arqc: ARQC, arc: fromHex('3035'), receivedARPC: arpc1 })],
      ['flipped ARPC 1', () => verifyARPC({ method: 1, key: KEY, arqc: ARQC, arc, receivedARPC: flipBit(arpc1, 40) })],
      ['short ARPC 1', () => verifyARPC({ method: 1, key: KEY, arqc: ARQC, arc, receivedARPC: arpc1.slice(0, 4) })],
      ['other CSU', () => verifyARPC({ method: 2, key: KEY, arqc: ARQC, csu: fromHex('00800000'), receivedARPC: arpc2 })],
      ['added proprietary data', () => verifyARPC({ method: 2, key: KEY, arqc: ARQC, csu, proprietaryAuthenticationData: fromHex('00'), receivedARPC: arpc2 })],
      ['flipped ARPC 2', () => verifyARPC({ method: 2, key: KEY, arqc: ARQC, csu, receivedARPC: flipBit(arpc2, 31) })],
      ['long ARPC 2', () => verifyARPC({ method: 2, key: KEY, arqc: ARQC, csu, receivedARPC: arpc1 })],
    ];
    for (const [what, run] of failures) {
      assert.throws(run, (error: unknown) => isARPCInvalid(error) && (error as Error).message === ARPC_INVALID_MESSAGE, what);
    }
  });

  it('refuses malformed inputs with ERR_EMV_INPUT', () => {
    const csu = fromHex('00000000');
    assert.throws(() => computeARPC({ method: 1, key: KEY.subarray(0, 8), arqc: ARQC, arc: fromHex('3030') }), isEMVInputError);
    assert.throws(() => computeARPC({ method: 1, key: KEY, arqc: ARQC.subarray(0, 4), arc: fromHex('3030') }), isEMVInputError);
    assert.throws(() => computeARPC({ method: 1, key: KEY, arqc: ARQC, arc: fromHex('30') }), isEMVInputError);
    assert.throws(() => computeARPC({ method: 2, key: KEY, arqc: ARQC, csu: fromHex('000000') }), isEMVInputError);
    assert.throws(() => computeARPC({ method: 2, key: KEY, arqc: ARQC, csu, proprietaryAuthenticationData: new Uint8Array(9) }), isEMVInputError);
    assert.throws(() => computeARPC({ method: 3, key: KEY, arqc: ARQC } as unknown as ComputeARPCInput), isEMVInputError);
  });

  it('property: verifyARPC(computeARPC(x)) passes for both methods', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 2, maxLength: 2 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (key, arqc, arc, csu) => {
          verifyARPC({ method: 1, key, arqc, arc, receivedARPC: computeARPC({ method: 1, key, arqc, arc }) });
          verifyARPC({ method: 2, key, arqc, csu, receivedARPC: computeARPC({ method: 2, key, arqc, csu }) });
        },
      ),
    );
  });
});
