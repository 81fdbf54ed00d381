import assert from 'node:assert/strict';
import { netError, NetErrorCode } from './errors.js';

/**
 * Length-prefixed framing: a 2-byte big-endian payload length, then the payload. The same framing
 * carries the SMSC's handset protocol and the ISO 8583 channel (the common "2-byte binary length
 * header" of ISO 8583 links).
 */
export const FRAME_HEADER_BYTES = 2;
/** What the 2-byte header can express; a connection may set a lower limit. */
export const FRAME_PAYLOAD_BYTES_MAX = 0xffff;

export function encodeFrame(payload: Uint8Array, payloadBytesMax = FRAME_PAYLOAD_BYTES_MAX): Uint8Array {
  assert.ok(payloadBytesMax <= FRAME_PAYLOAD_BYTES_MAX, 'the frame limit cannot exceed what the header can say');
  if (payload.length > payloadBytesMax) {
    throw netError(NetErrorCode.frameTooLarge, `a ${payload.length}-byte frame is over the ${payloadBytesMax}-byte limit`);
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  frame[0] = payload.length >> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Turns a byte stream arriving in arbitrary chunks into frames. It holds at most one partial
 * frame, so its memory is bounded by the frame limit plus one chunk.
 */
export class FrameDecoder {
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly payloadBytesMax = FRAME_PAYLOAD_BYTES_MAX) {
    assert.ok(payloadBytesMax >= 0 && payloadBytesMax <= FRAME_PAYLOAD_BYTES_MAX, 'frame limit out of range');
  }

  /** Bytes received that do not yet make a whole frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /** Adds a chunk and returns the frames it completes (copies: the caller may keep them). */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const frames: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      if (data.length - offset < FRAME_HEADER_BYTES) break;
      const length = ((data[offset] ?? 0) << 8) | (data[offset + 1] ?? 0);
      if (length > this.payloadBytesMax) {
        this.pending = new Uint8Array(0);
        throw netError(NetErrorCode.frameTooLarge, `the peer announced a ${length}-byte frame; the limit is ${this.payloadBytesMax}`);
      }
      if (data.length - offset - FRAME_HEADER_BYTES < length) break;
      frames.push(data.slice(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
      offset += FRAME_HEADER_BYTES + length;
    }
    this.pending = data.slice(offset);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
