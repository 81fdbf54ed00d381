import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isTesseraError } from '../../../src/lib/errors.js';
import { buildResponse, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, type ISO8583Message } from '../../../src/lib/iso8583/index.js';
import {
  buildReversal, ISO8583ChannelErrorCode, ISO8583Client, startISO8583Server, type ISO8583Server,
} from '../../../src/bank/network/channel.js';

function purchase(stan: string, terminal = 'TERM0001', amount = '000000001250'): ISO8583Message {
  return {
    mti: '0200',
    fields: new Map<number, string | Uint8Array>([
      [2, '4761739001010119'], [3, '000000'], [4, amount], [7, '1121120000'], [11, stan], [41, terminal], [42, 'MERCHANT0000001'], [49, '978'],
    ]),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('ISO 8583 channel over TCP (2-byte length framing)', () => {
  let server: ISO8583Server;
  const received: ISO8583Message[] = [];
  const errors: unknown[] = [];
  /** STANs the host never answers (to provoke timeouts). */
  const silent = new Set<string>();

  before(async () => {
    server = await startISO8583Server({
      host: '127.0.0.1', port: 0, dialect: ISO8583_ASCII_DIALECT,
      onError: (error) => errors.push(error),
      async handle(request) {
        received.push(request);
        const stan = request.fields.get(11) as string;
        if (request.mti === '0200' && silent.has(stan)) return new Promise<never>(() => {});
        // Later STANs answer sooner, so answers overtake each other.
        await sleep(Math.max(0, 40 - Number(stan) * 5));
        if (request.fields.get(4) === '999999999999') throw new Error('the host failed');
        return buildResponse(request, { responseCode: request.mti.startsWith('04') ? '00' : '00', fields: new Map([[38, `A${stan.slice(1)}`]]) });
      },
    });
  });

  after(async () => {
    await server.close();
  });

  it('matches answers that come back out of order to their requests', async () => {
    const client = await ISO8583Client.connect({ host: '127.0.0.1', port: server.port, dialect: ISO8583_ASCII_DIALECT });
    try {
      const stans = ['000001', '000002', '000003', '000004', '000005'];
      const answers = await Promise.all(stans.map((stan) => client.request(purchase(stan))));
      for (const [index, answer] of answers.entries()) {
        assert.equal(answer.mti, '0210');
        assert.equal(answer.fields.get(11), stans[index]);
        assert.equal(answer.fields.get(38), `A${stans[index]?.slice(1) ?? ''}`);
        assert.equal(answer.fields.get(39), '00');
      }
      assert.equal(await client.echo(), '00', '0800 echo answered by the server itself');
      assert.ok(!received.some((message) => message.mti === '0800'), 'the handler never sees network management');
    } finally {
      await client.close();
    }
  });

  it('reverses a purchase that times out, with field 90 naming the original', async () => {
    silent.add('000042');
    const client = await ISO8583Client.connect({ host: '127.0.0.1', port: server.port, dialect: ISO8583_ASCII_DIALECT, requestTimeoutMs: 150 });
    try {
      const error = await client.request(purchase('000042')).catch((caught: unknown) => caught);
      assert.ok(isTesseraError(error) && error.code === ISO8583ChannelErrorCode.timeout);
      const reversal = received.find((message) => message.mti === '0400' && message.fields.get(11) === '000042');
      assert.ok(reversal !== undefined, 'the host received an 0400 before the caller heard of the timeout');
      assert.equal(reversal.fields.get(90), '0200' + '000042' + '1121120000' + '0'.repeat(22));
      assert.equal(reversal.fields.get(4), '000000001250');
    } finally {
      await client.close();
    }
  });

  it('answers 96 when the handler fails, and keeps serving after garbage', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Uint8Array.of(0x00, 0x05, 0x30, 0x32, 0x30, 0x30, 0xff));
    socket.end();
    const client = await ISO8583Client.connect({ host: '127.0.0.1', port: server.port, dialect: ISO8583_ASCII_DIALECT });
    try {
      const answer = await client.request(purchase('000007', 'TERM0001', '999999999999'));
      assert.equal(answer.fields.get(39), '96');
      assert.equal((await client.request(purchase('000008'))).fields.get(39), '00');
      assert.ok(errors.length >= 2, 'both the garbage and the failure were reported');
    } finally {
      await client.close();
    }
  });

  it('refuses a second request with the same STAN and terminal while the first is in flight', async () => {
    const client = await ISO8583Client.connect({ host: '127.0.0.1', port: server.port, dialect: ISO8583_ASCII_DIALECT });
    try {
      const first = client.request(purchase('000001'));
      const second = await client.request(purchase('000001')).catch((caught: unknown) => caught);
      assert.ok(isTesseraError(second) && second.code === ISO8583ChannelErrorCode.duplicate);
      assert.equal((await first).fields.get(39), '00');
    } finally {
      await client.close();
    }
  });

  it('fails what is in flight when the host goes away', async () => {
    const host = await startISO8583Server({ host: '127.0.0.1', port: 0, dialect: ISO8583_BCD_DIALECT, handle: () => new Promise<never>(() => {}) });
    const client = await ISO8583Client.connect({ host: '127.0.0.1', port: host.port, dialect: ISO8583_BCD_DIALECT, requestTimeoutMs: 5_000 });
    const pending = client.request(purchase('000009'), { reverseOnTimeout: false }).catch((caught: unknown) => caught);
    await sleep(50);
    await host.close();
    const error = await pending;
    assert.ok(isTesseraError(error) && error.code === ISO8583ChannelErrorCode.closed);
    await client.close();
  });

  it('builds reversals that repeat the money fields and no secret', () => {
    const original: ISO8583Message = { mti: '0200', fields: new Map([...purchase('000123').fields, [35, '4761739001010119D29122010000000000']]) };
    const reversal = buildReversal(original);
    assert.equal(reversal.mti, '0400');
    assert.equal(reversal.fields.get(35), undefined, 'track 2 is not repeated');
    assert.equal(reversal.fields.get(41), 'TERM0001');
  });
});
