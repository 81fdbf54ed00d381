import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { isTesseraError, type TesseraError } from '../../lib/errors.js';
import { netError, NetErrorCode } from './errors.js';
import { encodeFrame, FrameDecoder, FRAME_PAYLOAD_BYTES_MAX } from './frameDecoder.js';

/** Frames received but not yet consumed before the socket is paused (receive backpressure). */
export const FRAME_QUEUE_MAX = 64;
/** How long close() waits for the peer to finish before it destroys the socket. */
export const CLOSE_GRACE_MS = 2_000;

export interface FramedConnectionOptions {
  readonly payloadBytesMax?: number;
  /** Destroy the connection after this long without a byte in either direction (0: never). */
  readonly idleTimeoutMs?: number;
}

/**
 * One TCP connection carrying length-prefixed frames. Receive with `receive()` or `for await`;
 * a clean end of stream ends the iteration, a broken one (oversized header, EOF inside a frame,
 * socket error) throws a TesseraError. `send` resolves once the frame is handed to the kernel,
 * so a sender that awaits it cannot outrun a slow peer.
 */
export class FramedConnection implements AsyncIterable<Uint8Array> {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  private readonly decoder: FrameDecoder;
  private readonly queue: Uint8Array[] = [];
  private waiter: { resolve: (frame: Uint8Array | undefined) => void; reject: (error: unknown) => void } | undefined;
  private ended = false;
  private failure: TesseraError | undefined;

  constructor(private readonly socket: Socket, private readonly options: FramedConnectionOptions = {}) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.decoder = new FrameDecoder(options.payloadBytesMax ?? FRAME_PAYLOAD_BYTES_MAX);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    if ((options.idleTimeoutMs ?? 0) > 0) {
      socket.setTimeout(options.idleTimeoutMs ?? 0, () => this.fail(netError(NetErrorCode.closed, 'the connection was idle too long')));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error) => this.fail(netError(NetErrorCode.closed, 'the connection failed', error)));
    socket.on('close', () => this.onEnd());
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  private onData(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const frame of frames) this.deliver(frame);
    if (this.queue.length >= FRAME_QUEUE_MAX) this.socket.pause();
  }

  private deliver(frame: Uint8Array): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve(frame);
      return;
    }
    this.queue.push(frame);
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.failure === undefined && this.decoder.bufferedBytes > 0) {
      this.failure = netError(NetErrorCode.frameTruncated, `the connection ended inside a frame (${this.decoder.bufferedBytes} bytes pending)`);
    }
    this.settleWaiter();
  }

  private fail(error: unknown): void {
    this.failure ??= isTesseraError(error) ? error : netError(NetErrorCode.closed, 'the connection failed', error);
    this.ended = true;
    this.socket.destroy();
    this.settleWaiter();
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.queue.length > 0) return;
    this.waiter = undefined;
    if (this.failure === undefined) waiter.resolve(undefined);
    else waiter.reject(this.failure);
  }

  /** The next frame; undefined after a clean end of stream. Frames queued before a failure come first. */
  receive(): Promise<Uint8Array | undefined> {
    assert.equal(this.waiter, undefined, 'one receive() at a time');
    const next = this.queue.shift();
    if (next !== undefined) {
      if (this.queue.length < FRAME_QUEUE_MAX / 2 && this.socket.isPaused()) this.socket.resume();
      return Promise.resolve(next);
    }
    if (this.ended) return this.failure === undefined ? Promise.resolve(undefined) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      if (this.socket.isPaused()) this.socket.resume();
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const frame = await this.receive();
      if (frame === undefined) return;
      yield frame;
    }
  }

  send(payload: Uint8Array): Promise<void> {
    const frame = encodeFrame(payload, this.options.payloadBytesMax ?? FRAME_PAYLOAD_BYTES_MAX);
    if (!this.isOpen) return Promise.reject(netError(NetErrorCode.closed, 'the connection is closed'));
    return new Promise((resolve, reject) => {
      this.socket.write(frame, (error) => {
        if (error === undefined || error === null) resolve();
        else reject(netError(NetErrorCode.closed, 'the frame could not be sent', error));
      });
    });
  }

  /** Ends our side, waits for the peer to close (at most CLOSE_GRACE_MS), then destroys. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return this.closed;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    await this.closed;
    clearTimeout(timer);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
