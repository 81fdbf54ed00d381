import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  connectFramed, createFramedServer, encodeFrame, FrameDecoder, FRAME_QUEUE_MAX, type FramedConnection, type FramedServer,
} from '../../../src/infra/net/index.js';

function hasCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof TesseraError && error.code === code;
}

describe('FrameDecoder', () => {
  it('reads frames however the stream is chunked (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((payload) => encodeFrame(payload)));
        const decoder = new FrameDecoder();
        const received: Uint8Array[] = [];
        let offset = 0;
        let index = 0;
        while (offset < stream.length) {
          const size = cuts[index++ % cuts.length] ?? 1;
          received.push(...decoder.push(new Uint8Array(stream.subarray(offset, offset + size))));
          offset += size;
        }
        assert.deepEqual(received, payloads);
        assert.equal(decoder.bufferedBytes, 0);
      },
    ));
  });

  it('refuses a header above the limit, and random bytes throw nothing but a TesseraError', () => {
    assert.throws(() => new FrameDecoder(10).push(Uint8Array.of(0x00, 0x0b)), hasCode('ERR_NET_FRAME_TOO_LARGE'));
    assert.throws(() => encodeFrame(new Uint8Array(11), 10), hasCode('ERR_NET_FRAME_TOO_LARGE'));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 300 }), (bytes, limit) => {
      try {
        new FrameDecoder(limit).push(bytes);
      } catch (error) {
        assert.ok(error instanceof TesseraError, String(error));
      }
    }));
  });
});

describe('framed TCP connections (real sockets)', () => {
  const servers: FramedServer[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  async function echoServer(payloadBytesMax?: number): Promise<FramedServer> {
    const server = await createFramedServer({
      host: '127.0.0.1', port: 0, ...(payloadBytesMax === undefined ? {} : { payloadBytesMax }),
      onConnection(connection) {
        void (async () => {
          try {
            for await (const frame of connection) await connection.send(frame);
          } catch {
            // A broken peer: the connection is already destroyed.
          }
          await connection.close();
        })();
      },
    });
    servers.push(server);
    return server;
  }

  it('echoes frames of every size, including empty and the largest', async () => {
    const server = await echoServer();
    const client = await connectFramed({ host: '127.0.0.1', port: server.port });
    const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(0xffff).fill(7)];
    for (const payload of payloads) await client.send(payload);
    for (const payload of payloads) assert.deepEqual(await client.receive(), payload);
    await client.close();
  });

  it('reassembles frames the peer writes one byte at a time', async () => {
    const server = await echoServer();
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const frames = [encodeFrame(Uint8Array.of(9, 8, 7)), encodeFrame(Uint8Array.of(6))];
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    for (const byte of Buffer.concat(frames)) {
      socket.write(Uint8Array.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (Buffer.concat(chunks).length < 7) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), new Uint8Array(Buffer.concat(frames)));
    socket.destroy();
  });

  it('keeps order and loses nothing when the receiver is slower than the sender (backpressure)', async () => {
    let onAccepted!: (connection: FramedConnection) => void;
    const accepted = new Promise<FramedConnection>((resolve) => { onAccepted = resolve; });
    const server = await createFramedServer({ host: '127.0.0.1', port: 0, onConnection: (connection) => onAccepted(connection) });
    servers.push(server);
    const client = await connectFramed({ host: '127.0.0.1', port: server.port });
    const count = FRAME_QUEUE_MAX * 8;
    const sending = (async () => {
      for (let index = 0; index < count; index++) await client.send(new Uint8Array(1000).fill(index & 0xff));
      await client.close();
    })();
    let received = 0;
    for await (const frame of await accepted) {
      assert.equal(frame[0], received & 0xff);
      received++;
      if (received % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await sending;
    assert.equal(received, count);
  });

  it('drops a peer that announces an oversized frame, and stays up for others', async () => {
    const server = await echoServer(100);
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Uint8Array.of(0x01, 0x00));
    await new Promise((resolve) => socket.once('close', resolve));
    const client = await connectFramed({ host: '127.0.0.1', port: server.port, payloadBytesMax: 100 });
    await client.send(Uint8Array.of(42));
    assert.deepEqual(await client.receive(), Uint8Array.of(42));
    await client.close();
  });

  it('reports a stream that ends inside a frame', async () => {
    let connection: FramedConnection | undefined;
    const server = await createFramedServer({ host: '127.0.0.1', port: 0, onConnection: (accepted) => { connection = accepted; } });
    servers.push(server);
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end(Uint8Array.of(0x00, 0x05, 1, 2));
    while (connection === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(connection.receive(), hasCode('ERR_NET_FRAME_TRUNCATED'));
  });

  it('closes cleanly: the peer sees the end of stream, sending afterwards fails, the server stops', async () => {
    const server = await createFramedServer({ host: '127.0.0.1', port: 0, onConnection: () => undefined });
    const client = await connectFramed({ host: '127.0.0.1', port: server.port });
    const closing = server.close();
    assert.equal(await client.receive(), undefined);
    await client.close();
    await closing;
    await assert.rejects(client.send(Uint8Array.of(1)), hasCode('ERR_NET_CLOSED'));
    await assert.rejects(connectFramed({ host: '127.0.0.1', port: server.port }), hasCode('ERR_NET_CONNECT'));
  });
});
