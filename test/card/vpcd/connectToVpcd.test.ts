/**
 * The bridge against a loopback stand-in for vpcd, for what the real stack cannot stage on demand:
 * frames split and coalesced at chosen points, vpcd appearing late or never, a dropped link.
 * The end-to-end behaviour through real pcscd + vpcd is in pcsc.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { VpcdControl, VpcdErrorCode, VpcdFrameDecoder, connectToVpcd, encodeVpcdFrame } from '../../../src/card/vpcd/index.js';
import type { VpcdBridge } from '../../../src/card/vpcd/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { ISD_AID_HEX, ISD_FCI_HEX, TEST_ATR, TestCard } from './testCard.js';

/** Per-test bound on waiting for the stand-in to see something. */
const WAIT_TIMEOUT_MS = 5_000;
const FAST = { reconnectDelayMsMin: 10, reconnectDelayMsMax: 40 } as const;

/** One accepted connection of the stand-in: send frames, read answers. */
class FakeVpcdConnection {
  readonly #decoder = new VpcdFrameDecoder();
  readonly #answers: Uint8Array[] = [];
  #waiters: Array<() => void> = [];
  readonly closed: Promise<unknown>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#answers.push(...this.#decoder.push(chunk));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = once(socket, 'close');
  }

  async nextAnswer(): Promise<string> {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    while (this.#answers.length === 0) {
      assert.ok(Date.now() < deadline, 'no answer from the bridge');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return toHex(this.#answers.shift() as Uint8Array);
  }

  get answerCount(): number {
    return this.#answers.length;
  }
}

class FakeVpcd {
  readonly connections: FakeVpcdConnection[] = [];
  #server: Server | undefined;
  #sockets = new Set<Socket>();

  async listen(port = 0): Promise<number> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      this.connections.push(new FakeVpcdConnection(socket));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  async nextConnection(index: number): Promise<FakeVpcdConnection> {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    while (this.connections[index] === undefined) {
      assert.ok(Date.now() < deadline, `no connection #${index + 1} from the bridge`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.connections[index];
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (this.#server === undefined) return;
    const server = this.#server;
    this.#server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A port nothing listens on (bound once, then released). */
async function unusedPort(): Promise<number> {
  const fake = new FakeVpcd();
  const port = await fake.listen();
  await fake.close();
  return port;
}

const frame = (hex: string): Uint8Array => encodeVpcdFrame(fromHex(hex));
const controlFrame = (value: number): Uint8Array => encodeVpcdFrame(Uint8Array.of(value));

describe('connectToVpcd', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  function track(fake: FakeVpcd, bridge?: VpcdBridge): void {
    cleanups.push(async () => {
      await bridge?.stop();
      await fake.close();
    });
  }

  it('serves power, ATR and APDUs over frames that arrive coalesced and split', async () => {
    const fake = new FakeVpcd();
    const port = await fake.listen();
    const card = new TestCard();
    const bridge = connectToVpcd(card, { host: '127.0.0.1', port });
    track(fake, bridge);
    await bridge.connected;
    assert.equal(bridge.isConnected(), true);
    const connection = await fake.nextConnection(0);

    // Power on and get ATR in one TCP write, as a fast vpcd may coalesce them.
    connection.socket.write(concatBytes(controlFrame(VpcdControl.powerOn), controlFrame(VpcdControl.getATR)));
    assert.equal(await connection.nextAnswer(), toHex(TEST_ATR));
    assert.equal(card.powered, true);

    // One APDU split inside its length prefix and inside its body.
    const select = frame(`00A4040008${ISD_AID_HEX}00`);
    connection.socket.write(select.subarray(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    connection.socket.write(select.subarray(1, 7));
    await new Promise((resolve) => setTimeout(resolve, 20));
    connection.socket.write(select.subarray(7));
    assert.equal(await connection.nextAnswer(), `${ISD_FCI_HEX}9000`);

    // Two APDUs and a reset in one write: answered in order, the reset unanswered.
    connection.socket.write(concatBytes(frame('80EE000002ABCD'), controlFrame(VpcdControl.reset), frame('80EE00000101')));
    assert.equal(await connection.nextAnswer(), 'ABCD9000');
    assert.equal(await connection.nextAnswer(), '019000');
    assert.equal(card.resetCount, 1);
    assert.equal(connection.answerCount, 0);
  });

  it('keeps trying until vpcd listens, then connects', async () => {
    const port = await unusedPort();
    const bridge = connectToVpcd(new TestCard(), { host: '127.0.0.1', port, ...FAST });
    const fake = new FakeVpcd();
    track(fake, bridge);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(bridge.isConnected(), false);
    await fake.listen(port);
    await bridge.connected;
    await fake.nextConnection(0);
  });

  it('removes the card (power off) when the link drops, and reconnects', async () => {
    const fake = new FakeVpcd();
    const port = await fake.listen();
    const card = new TestCard();
    const bridge = connectToVpcd(card, { host: '127.0.0.1', port, ...FAST });
    track(fake, bridge);
    const first = await fake.nextConnection(0);
    first.socket.write(controlFrame(VpcdControl.powerOn));
    first.socket.write(controlFrame(VpcdControl.getATR));
    await first.nextAnswer();
    assert.equal(card.powered, true);

    first.socket.destroy();
    const second = await fake.nextConnection(1);
    assert.equal(card.powered, false);
    assert.equal(card.powerOffCount, 1);
    second.socket.write(controlFrame(VpcdControl.powerOn));
    second.socket.write(frame('80EE00000107'));
    assert.equal(await second.nextAnswer(), '079000');
  });

  it('gives up after connectAttemptsMax consecutive failures with ERR_CARD_VPCD_UNREACHABLE', async () => {
    const port = await unusedPort();
    const bridge = connectToVpcd(new TestCard(), { host: '127.0.0.1', port, connectAttemptsMax: 3, ...FAST });
    await assert.rejects(bridge.connected, { code: VpcdErrorCode.unreachable });
    await assert.rejects(bridge.closed, { code: VpcdErrorCode.unreachable });
    await bridge.stop();
  });

  it('counts a vpcd that accepts and hangs up without a word as a failed attempt, and gives up', async () => {
    const server = createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    let accepted = 0;
    server.on('connection', () => (accepted += 1));
    const bridge = connectToVpcd(new TestCard(), { host: '127.0.0.1', port, connectAttemptsMax: 4, ...FAST });
    await assert.rejects(bridge.closed, { code: VpcdErrorCode.unreachable });
    assert.equal(accepted, 4);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('stops cleanly before it ever connected', async () => {
    const port = await unusedPort();
    const bridge = connectToVpcd(new TestCard(), { host: '127.0.0.1', port, ...FAST });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bridge.stop();
    await assert.rejects(bridge.connected, { code: VpcdErrorCode.stopped });
    await bridge.closed;
    // Nothing reconnects afterwards.
    const fake = new FakeVpcd();
    await fake.listen(port);
    track(fake);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fake.connections.length, 0);
  });

  it('stops cleanly while connected: the connection closes and the card loses power', async () => {
    const fake = new FakeVpcd();
    const port = await fake.listen();
    const card = new TestCard();
    const bridge = connectToVpcd(card, { host: '127.0.0.1', port, ...FAST });
    track(fake, bridge);
    const connection = await fake.nextConnection(0);
    connection.socket.write(controlFrame(VpcdControl.powerOn));
    connection.socket.write(controlFrame(VpcdControl.getATR));
    await connection.nextAnswer();
    await bridge.stop();
    await bridge.stop();
    await connection.closed;
    assert.equal(bridge.isConnected(), false);
    assert.equal(card.powered, false);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(fake.connections.length, 1);
  });

  it('removes a card whose runtime throws on a power request, without crashing', async () => {
    const fake = new FakeVpcd();
    const port = await fake.listen();
    const card = new TestCard();
    card.powerOn = () => {
      throw new Error('card runtime bug');
    };
    const bridge = connectToVpcd(card, { host: '127.0.0.1', port, ...FAST });
    track(fake, bridge);
    const first = await fake.nextConnection(0);
    first.socket.write(controlFrame(VpcdControl.powerOn));
    await first.closed;
    // It comes back (the reader sees a reinserted card) and still answers get ATR.
    const second = await fake.nextConnection(1);
    second.socket.write(controlFrame(VpcdControl.getATR));
    assert.equal(await second.nextAnswer(), toHex(TEST_ATR));
  });

  it('logs command headers and status words, never command or response data', async () => {
    const fake = new FakeVpcd();
    const port = await fake.listen();
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
    const bridge = connectToVpcd(new TestCard(), { host: '127.0.0.1', port, logger });
    track(fake, bridge);
    const connection = await fake.nextConnection(0);
    connection.socket.write(controlFrame(VpcdControl.powerOn));
    // An ECHO carrying bytes that stand in for a PIN block.
    connection.socket.write(frame('80EE0000082412345FFFFFFFFF'));
    assert.equal(await connection.nextAnswer(), '2412345FFFFFFFFF9000');
    const output = lines.join('');
    assert.ok(output.includes('"ins":"EE"'), output);
    assert.ok(output.includes('"sw":"9000"'), output);
    assert.ok(!output.toUpperCase().includes('2412345F'), 'APDU data reached the log');
  });
});
