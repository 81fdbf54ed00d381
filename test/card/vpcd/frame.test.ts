import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VPCD_MESSAGE_BYTES_MAX, VpcdErrorCode, VpcdFrameDecoder, encodeVpcdFrame } from '../../../src/card/vpcd/index.js';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted). */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const message = fc.uint8Array({ minLength: 0, maxLength: 600 });

describe('vpcd framing', () => {
  it('frames a message as a 2-byte big-endian length then the bytes (vpcd.c sendToVICC)', () => {
    assert.equal(toHex(encodeVpcdFrame(fromHex('04'))), '000104');
    assert.equal(toHex(encodeVpcdFrame(fromHex('00A4040008A000000151000000'))), '000D00A4040008A000000151000000');
    assert.equal(toHex(encodeVpcdFrame(new Uint8Array(0))), '0000');
    const longest = encodeVpcdFrame(new Uint8Array(VPCD_MESSAGE_BYTES_MAX));
    assert.equal(toHex(longest.subarray(0, 2)), 'FFFF');
    assert.equal(longest.length, 2 + VPCD_MESSAGE_BYTES_MAX);
  });

  it('refuses to frame a message the length field cannot express', () => {
    assert.throws(() => encodeVpcdFrame(new Uint8Array(VPCD_MESSAGE_BYTES_MAX + 1)), { code: VpcdErrorCode.frameTooLong });
  });

  it('decode(encode(x)) = x for every message', () => {
    fc.assert(
      fc.property(message, (bytes) => {
        const decoded = new VpcdFrameDecoder().push(encodeVpcdFrame(bytes));
        assert.equal(decoded.length, 1);
        assert.deepEqual(decoded[0], bytes);
      }),
    );
  });

  it('gives the same messages however the byte stream is cut into chunks', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (messages, cuts) => {
        const stream = concatBytes(...messages.map((bytes) => encodeVpcdFrame(bytes)));
        const decoder = new VpcdFrameDecoder();
        const decoded = splitAt(stream, cuts).flatMap((chunk) => decoder.push(chunk));
        assert.deepEqual(decoded, messages);
        assert.equal(decoder.pendingBytes, 0);
      }),
    );
  });

  it('reassembles a frame delivered one byte at a time and keeps the partial bytes pending', () => {
    const decoder = new VpcdFrameDecoder();
    const frame = encodeVpcdFrame(fromHex('80EE000003010203'));
    for (let index = 0; index < frame.length - 1; index++) {
      assert.deepEqual(decoder.push(frame.subarray(index, index + 1)), []);
      assert.equal(decoder.pendingBytes, index + 1);
    }
    assert.deepEqual(decoder.push(frame.subarray(-1)), [fromHex('80EE000003010203')]);
  });

  it('reads several frames from one chunk, including control messages and an empty message', () => {
    const chunk = fromHex('0001 01  0001 04  0000  0005 00A4040000  0001 00'.replace(/\s/g, ''));
    assert.deepEqual(new VpcdFrameDecoder().push(chunk), [fromHex('01'), fromHex('04'), new Uint8Array(0), fromHex('00A4040000'), fromHex('00')]);
  });

  it('returns fresh messages, never views of the received chunk', () => {
    const chunk = fromHex('0002AABB');
    const [decoded] = new VpcdFrameDecoder().push(chunk);
    chunk.fill(0);
    assert.deepEqual(decoded, fromHex('AABB'));
  });

  it('rejects a frame longer than its limit and then refuses the out-of-step stream', () => {
    const decoder = new VpcdFrameDecoder(16);
    assert.deepEqual(decoder.push(encodeVpcdFrame(new Uint8Array(16))), [new Uint8Array(16)]);
    assert.throws(() => decoder.push(fromHex('0011')), { code: VpcdErrorCode.frameTooLong });
    assert.throws(() => decoder.push(fromHex('0001')), { code: VpcdErrorCode.frameTooLong });
  });

  it('never crashes on arbitrary input: it yields messages or a frame-too-long error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), fc.integer({ min: 1, max: 300 }), (chunks, limit) => {
        const decoder = new VpcdFrameDecoder(limit);
        try {
          for (const chunk of chunks) for (const decoded of decoder.push(chunk)) assert.ok(decoded.length <= limit);
        } catch (error) {
          assert.equal((error as { code?: unknown }).code, VpcdErrorCode.frameTooLong);
        }
      }),
    );
  });

  it('asserts a sane limit (a programmer error, not input)', () => {
    assert.throws(() => new VpcdFrameDecoder(0), assert.AssertionError);
    assert.throws(() => new VpcdFrameDecoder(VPCD_MESSAGE_BYTES_MAX + 1), assert.AssertionError);
  });
});
