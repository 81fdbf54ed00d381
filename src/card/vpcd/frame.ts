import assert from 'node:assert/strict';
import { TesseraError } from '../../lib/errors.js';
import { VPCD_LENGTH_PREFIX_BYTES, VPCD_MESSAGE_BYTES_MAX } from './constants.js';
import { VpcdErrorCode } from './errors.js';

/**
 * Framing of the vpcd link: every message is a 2-byte big-endian length and that many bytes
 * (vpcd.c sendToVICC: `htons(length)` then the buffer). TCP delivers a byte stream, so a frame may
 * arrive split over several chunks and one chunk may carry several frames.
 */

/** One message framed for the wire: length prefix then the message bytes. */
export function encodeVpcdFrame(message: Uint8Array, messageBytesMax: number = VPCD_MESSAGE_BYTES_MAX): Uint8Array {
  assertMessageBytesMax(messageBytesMax);
  if (message.length > messageBytesMax) {
    throw new TesseraError(VpcdErrorCode.frameTooLong, `expected a message of at most ${messageBytesMax} bytes, received ${message.length}`);
  }
  const frame = new Uint8Array(VPCD_LENGTH_PREFIX_BYTES + message.length);
  frame[0] = message.length >>> 8;
  frame[1] = message.length & 0xff;
  frame.set(message, VPCD_LENGTH_PREFIX_BYTES);
  return frame;
}

/**
 * Reassembles messages from a byte stream. Each message is a fresh array (never a view of a
 * received chunk), allocated once its length is known, so a large frame dribbling in one byte at
 * a time costs no re-copying. Memory held is bounded by one frame of at most `messageBytesMax`.
 *
 * A frame longer than `messageBytesMax` throws ERR_CARD_VPCD_FRAME_TOO_LONG; the stream is out of
 * step after that, so the decoder refuses further input and the caller must drop the connection.
 */
export class VpcdFrameDecoder {
  readonly #messageBytesMax: number;
  readonly #prefix = new Uint8Array(VPCD_LENGTH_PREFIX_BYTES);
  #prefixFilled = 0;
  #body: Uint8Array | undefined = undefined;
  #bodyFilled = 0;
  #failed = false;

  constructor(messageBytesMax: number = VPCD_MESSAGE_BYTES_MAX) {
    assertMessageBytesMax(messageBytesMax);
    this.#messageBytesMax = messageBytesMax;
  }

  /** Bytes received that do not yet form a whole message (0 between messages). */
  get pendingBytes(): number {
    return this.#body === undefined ? this.#prefixFilled : VPCD_LENGTH_PREFIX_BYTES + this.#bodyFilled;
  }

  /** Feeds one received chunk; returns the messages it completed, in order (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) {
      throw new TesseraError(VpcdErrorCode.frameTooLong, 'the stream is out of step after an oversized frame');
    }
    const messages: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#body === undefined) {
        this.#prefix[this.#prefixFilled] = chunk[offset] as number;
        this.#prefixFilled += 1;
        offset += 1;
        if (this.#prefixFilled < VPCD_LENGTH_PREFIX_BYTES) continue;
        const length = ((this.#prefix[0] as number) << 8) | (this.#prefix[1] as number);
        this.#prefixFilled = 0;
        if (length > this.#messageBytesMax) {
          this.#failed = true;
          throw new TesseraError(
            VpcdErrorCode.frameTooLong,
            `expected a frame of at most ${this.#messageBytesMax} bytes, received a length of ${length}`,
          );
        }
        if (length === 0) {
          messages.push(new Uint8Array(0));
          continue;
        }
        this.#body = new Uint8Array(length);
        this.#bodyFilled = 0;
        continue;
      }
      const take = Math.min(this.#body.length - this.#bodyFilled, chunk.length - offset);
      this.#body.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
      this.#bodyFilled += take;
      offset += take;
      if (this.#bodyFilled === this.#body.length) {
        messages.push(this.#body);
        this.#body = undefined;
        this.#bodyFilled = 0;
      }
    }
    return messages;
  }
}

function assertMessageBytesMax(messageBytesMax: number): void {
  // A programmer error, not input: the limit comes from code or config, never from the wire.
  assert.ok(Number.isInteger(messageBytesMax), 'messageBytesMax must be an integer');
  assert.ok(messageBytesMax >= 1, 'messageBytesMax must be at least 1');
  assert.ok(messageBytesMax <= VPCD_MESSAGE_BYTES_MAX, `messageBytesMax must be at most ${VPCD_MESSAGE_BYTES_MAX}`);
}
