import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { AC_DATA_BYTES_MAX, buildACData, buildCDOLData, RECOMMENDED_CDOL1 } from '../../../src/lib/emv/index.js';
import { isTesseraError } from '../../../src/lib/errors.js';
import { decodeDOL } from '../../../src/lib/tlv/index.js';
import { isEMVInputError, loadFixture } from './fixtures.js';

interface DOLVector {
  readonly source: string;
  readonly tag: string;
  readonly dol: string;
  readonly dataLengthBytes: number;
}

const fixture = loadFixture<DOLVector>('cdol-visa-bankaxept.json');

function dolOf(tag: string): Uint8Array {
  const vector = fixture.vectors.find((candidate) => candidate.tag === tag);
  assert.ok(vector !== undefined);
  return fromHex(vector.dol);
}

/** The Visa CVN 10 transaction of pyemv tests/test_cvn_hsm.py (see cryptogram-flows.json). */
const VALUES = new Map<number, Uint8Array>([
  [0x9f02, fromHex('000000004000')],
  [0x9f03, fromHex('000000000000')],
  [0x9f1a, fromHex('0124')],
  [0x95, fromHex('8000048000')],
  [0x5f2a, fromHex('0124')],
  [0x9a, fromHex('191105')],
  [0x9c, fromHex('01')],
  [0x9f37, fromHex('52BF4585')],
  [0x82, fromHex('1800')],
  [0x9f36, fromHex('001C')],
  [0x9f10, fromHex('06010A03A06010')],
]);
const TERMINAL_DATA = '0000000040000000000000000124800004800001241911050152BF4585';

describe('buildCDOLData (EMV Book 3 §5.4)', () => {
  it('decodes the real CDOL1 to the Book 2 Table 26 recommended list', () => {
    assert.deepEqual(decodeDOL(dolOf('8C')), RECOMMENDED_CDOL1);
  });

  for (const vector of fixture.vectors) {
    it(`builds ${vector.dataLengthBytes} bytes for ${vector.source}`, () => {
      const values = new Map([...VALUES, [0x8a, fromHex('3030')]]);
      const data = buildCDOLData(fromHex(vector.dol), values);
      assert.equal(data.length, vector.dataLengthBytes);
      assert.equal(toHex(data), vector.tag === '8C' ? TERMINAL_DATA : `3030${TERMINAL_DATA}`);
    });
  }

  it('fits values as a terminal does: n left-padded or cut on the left, b cut on the right, missing data as zeros', () => {
    const values = new Map<number, Uint8Array>([
      [0x9f02, fromHex('4000')], // n: left-padded with zeros
      [0x9a, fromHex('20191105')], // n: the rightmost bytes are kept
      [0x9f37, fromHex('52BF458511')], // b: the leftmost bytes are kept
    ]);
    const data = buildCDOLData(RECOMMENDED_CDOL1, values);
    assert.equal(toHex(data), `${'000000004000'}${'00'.repeat(6 + 2 + 5 + 2)}191105${'00'}52BF4585`);
  });

  it('property: random bytes as a CDOL never throw anything but a TesseraError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (cdol) => {
        try {
          const data = buildCDOLData(cdol, VALUES);
          assert.ok(data instanceof Uint8Array);
        } catch (error) {
          assert.ok(isTesseraError(error), String(error));
        }
      }),
    );
  });

  it('refuses a malformed DOL with the TLV error code', () => {
    assert.throws(() => buildCDOLData(fromHex('9F'), VALUES), (error: unknown) => (error as { code?: string }).code === 'ERR_TLV_MALFORMED');
  });
});

describe('buildACData', () => {
  it('appends AIP and ATC by default, then a trailer (Visa CVN 10: the CVR)', () => {
    const data = buildACData({ cdol: dolOf('8C'), values: VALUES, trailer: fromHex('03A06010') });
    assert.equal(toHex(data), `${TERMINAL_DATA}1800001C03A06010`);
  });

  it('appends further card data elements as they are (Visa CVN 18: the whole IAD)', () => {
    const data = buildACData({ cdol: RECOMMENDED_CDOL1, values: VALUES, cardTags: [0x82, 0x9f36, 0x9f10] });
    assert.equal(toHex(data), `${TERMINAL_DATA}1800001C06010A03A06010`);
  });

  it('refuses a missing card data element, naming the tag and no value', () => {
    const values = new Map(VALUES);
    values.delete(0x9f36);
    assert.throws(() => buildACData({ cdol: RECOMMENDED_CDOL1, values }), (error: unknown) => isEMVInputError(error) && /9F36/.test((error as Error).message));
  });

  it('refuses data beyond AC_DATA_BYTES_MAX and an empty result', () => {
    const values = new Map([...VALUES, [0x9f10, new Uint8Array(AC_DATA_BYTES_MAX)]]);
    assert.throws(() => buildACData({ cdol: RECOMMENDED_CDOL1, values, cardTags: [0x9f10] }), isEMVInputError);
    assert.throws(() => buildACData({ cdol: [], values, cardTags: [] }), isEMVInputError);
    assert.equal(buildACData({ cdol: [], values, cardTags: [0x82] }).length, 2);
    assert.equal(toHex(buildACData({ cdol: [], values: new Map(), cardTags: [], trailer: concatBytes(fromHex('01')) })), '01');
  });
});
