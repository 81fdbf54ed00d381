import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  concatElement, decodeGSM7, decodeUCS2, decodeUserData, encodeUCS2, encodeUDH, findConcat, segmentText,
} from '../../../src/lib/sms/index.js';

function isSmsError(error: unknown): boolean {
  return error instanceof TesseraError && error.code.startsWith('ERR_SMS_');
}

/** Reassembles what segmentText produced, as a receiver does: headers off, bodies in order, then decode. */
function reassemble(segments: readonly Uint8Array[], withHeader: boolean, dataCoding: number): string {
  const bodies = segments.map((segment, index) => {
    if (!withHeader) return segment;
    const { elements, body } = decodeUserData(segment);
    const concat = findConcat(elements);
    assert.equal(concat?.sequence, index + 1);
    assert.equal(concat.total, segments.length);
    return body;
  });
  const joined = concatBytes(...bodies);
  return dataCoding === 0x08 ? decodeUCS2(joined) : decodeGSM7(joined);
}

describe('UCS-2 (TS 23.038 §6.2.3)', () => {
  it('encodes Chinese text as big-endian UTF-16', () => {
    assert.equal(toHex(encodeUCS2('你好')), '4F60597D');
    assert.equal(decodeUCS2(fromHex('4F60597D')), '你好');
    assert.equal(decodeUCS2(encodeUCS2('𠀀😀')), '𠀀😀', 'surrogate pairs survive');
  });

  it('refuses an odd length and replaces lone surrogates', () => {
    assert.throws(() => decodeUCS2(fromHex('4F')), isSmsError);
    assert.equal(decodeUCS2(fromHex('D83D0041')), '\uFFFDA');
  });

  it('decode(encode(x)) = x for well-formed text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => decodeUCS2(encodeUCS2(text)) === text));
  });
});

describe('user data header (TS 23.040 §9.2.3.24)', () => {
  it('encodes the 8-bit and 16-bit concatenation elements', () => {
    assert.equal(toHex(encodeUDH([concatElement({ reference: 0x01, total: 2, sequence: 1, referenceBits: 8 })])), '050003010201');
    assert.equal(toHex(encodeUDH([concatElement({ reference: 0x1234, total: 3, sequence: 3, referenceBits: 16 })])), '0608041234' + '0303');
  });

  it('reads a published multipart header', () => {
    // The UDH of the Diafaan example in test/fixtures/sms/gsm7-packing.json.
    const { elements, body, headerBytes } = decodeUserData(fromHex('050003010201AEE8'));
    assert.equal(headerBytes, 6);
    assert.deepEqual(findConcat(elements), { reference: 1, total: 2, sequence: 1, referenceBits: 8 });
    assert.equal(toHex(body), 'AEE8');
  });

  it('refuses broken headers', () => {
    for (const hex of ['', '05000301', '0500040102', '050003010200', '050003010203', '0500030100' + '01']) {
      assert.throws(() => findConcat(decodeUserData(fromHex(hex)).elements), isSmsError, hex);
    }
  });

  it('random bytes never throw anything but a TesseraError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 160 }), (bytes) => {
      try {
        findConcat(decodeUserData(bytes).elements);
      } catch (error) {
        assert.ok(isSmsError(error), String(error));
      }
    }));
  });
});

describe('segmenting', () => {
  it('keeps 160 GSM septets or 70 UCS-2 characters in one message', () => {
    const gsm = segmentText('a'.repeat(160), { reference: 7 });
    assert.deepEqual([gsm.encoding, gsm.segments.length, gsm.withHeader], ['gsm7', 1, false]);
    const ucs2 = segmentText('中'.repeat(70), { reference: 7 });
    assert.deepEqual([ucs2.encoding, ucs2.dataCoding, ucs2.segments.length], ['ucs2', 0x08, 1]);
  });

  it('splits into 153-septet and 67-character parts behind a concatenation header', () => {
    const gsm = segmentText('a'.repeat(161), { reference: 7 });
    assert.deepEqual(gsm.segments.map((segment) => segment.length - 6), [153, 8]);
    assert.equal(toHex(gsm.segments[0]?.slice(0, 6) ?? new Uint8Array()), '050003070201');
    const ucs2 = segmentText('中'.repeat(71), { reference: 0x0102, referenceBits: 16 });
    assert.deepEqual(ucs2.segments.map((segment) => (segment.length - 7) / 2), [67, 4]);
  });

  it('never splits an escape sequence or a surrogate pair', () => {
    const gsm = segmentText(`${'a'.repeat(152)}€b`.repeat(2), { reference: 1 });
    for (const segment of gsm.segments) assert.notEqual(segment.at(-1), 0x1b);
    const text = `x${'中'.repeat(65)}😀${'中'.repeat(10)}`;
    const ucs2 = segmentText(text, { reference: 1 });
    assert.equal(ucs2.segments.length, 2);
    assert.equal(reassemble(ucs2.segments, ucs2.withHeader, ucs2.dataCoding), text);
    for (const segment of ucs2.segments) assert.ok(!/[\uD800-\uDBFF]$/.test(decodeUCS2(decodeUserData(segment).body)));
  });

  it('reassembles to the original text (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '€', '{', '@', 'é', '\n'), maxLength: 1000 }),
      fc.string({ unit: 'grapheme', maxLength: 600 }),
    );
    fc.assert(fc.property(text, fc.nat({ max: 255 }), (original, reference) => {
      const { segments, withHeader, dataCoding } = segmentText(original, { reference });
      assert.equal(reassemble(segments, withHeader, dataCoding), original);
    }));
  });

  it('refuses text that needs more than 255 parts', () => {
    assert.throws(() => segmentText('a'.repeat(153 * 255 + 1), { reference: 1 }), (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMS_LIMIT');
  });
});
