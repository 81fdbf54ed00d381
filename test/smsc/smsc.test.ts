import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PDU } from 'smpp';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { encodeGSM7, segmentText } from '../../src/lib/sms/index.js';
import { connectFramed } from '../../src/infra/net/index.js';
import {
  connectHandset, connectSMPP, createESMEAccount, messageStatus, parseReceipt, registerHandset, type HandsetClient, type IncomingReceipt,
  type IncomingText,
} from '../../src/smsc/client.js';
import { connectESME, startTestSMSC, waitFor, type TestSMSC } from './helpers.js';

const random = createSystemRandomSource();
const ESME_ROK = 0x00;
const ESME_RINVCMDLEN = 0x02;
const ESME_RINVCMDID = 0x03;
const ESME_RINVBNDSTS = 0x04;
const ESME_RINVPASWD = 0x0e;
const ESME_RINVSYSID = 0x0f;
const ESME_RINVDSTADR = 0x0b;
const ESME_RINVSRCADR = 0x0a;

const PHONE = '8613800138000';
const OFFLINE_PHONE = '8613900139000';
const SLOW_PHONE = '8613700137000';
const SECRET = 'phone-secret-1';

/** 150 Chinese characters: three UCS-2 parts of 67, 67 and 16. */
const CHINESE = '您的支付授权码已发送请在五分钟内输入以完成付款谢谢'.repeat(6);

interface DecodedShortMessage { readonly message: string; readonly udh?: readonly Buffer[] }

function shortMessageOf(pdu: PDU): DecodedShortMessage {
  return pdu['short_message'] as DecodedShortMessage;
}

describe('SMS center over real sockets', () => {
  let t: TestSMSC;
  let handset: HandsetClient;

  before(async () => {
    t = await startTestSMSC();
    await createESMEAccount(t.db.db, { systemId: 'shop', password: 'secret1', addresses: ['8888'] }, random);
    for (const msisdn of [PHONE, OFFLINE_PHONE, SLOW_PHONE]) await registerHandset(t.db.db, { msisdn, secret: SECRET }, random);
    handset = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: `+${PHONE}`, secret: SECRET });
  });
  after(async () => {
    await handset.detach();
    await t.close();
  });

  async function bound(kind: 'transmitter' | 'receiver' | 'transceiver', systemId = 'shop', password = 'secret1') {
    const esme = await connectESME(t.smsc.smppPort);
    const response = await esme.request(`bind_${kind}`, { system_id: systemId, password });
    return { esme, response };
  }

  it('delivers GSM 7-bit and long Chinese UCS-2 messages intact, and the receipt reaches a bound receiver', async () => {
    const receiver = await bound('receiver');
    assert.equal(receiver.response.command_status, ESME_ROK);
    const { esme, response } = await bound('transmitter');
    assert.equal(response.command_status, ESME_ROK);
    assert.equal(response['system_id'], 'TESSERA');

    const latin = 'Your code is 123456 {valid 5 min} €10 @shop';
    const first = await esme.request('submit_sm', {
      source_addr: '8888', destination_addr: `+${PHONE}`, data_coding: 0x00, registered_delivery: 1,
      short_message: Buffer.from(encodeGSM7(latin)),
    });
    assert.equal(first.command_status, ESME_ROK);
    const messageId = first['message_id'] as string;
    assert.match(messageId, /^[0-9A-F]{16}$/);

    // A long GSM 7-bit text with 8-bit references, and Chinese with 16-bit references, parts out of order.
    const longLatin = `${'Pay 10.00 EUR at Shop [order 42] ~ '.repeat(6)}end`;
    const gsmParts = segmentText(longLatin, { reference: 42 });
    const chineseParts = segmentText(CHINESE, { reference: 0x1234, referenceBits: 16 });
    assert.deepEqual([gsmParts.segments.length, chineseParts.segments.length], [2, 3]);
    for (const [parts, order] of [[gsmParts, [1, 0]], [chineseParts, [2, 0, 1]]] as const) {
      for (const index of order) {
        const part = await esme.request('submit_sm', {
          source_addr: '8888', destination_addr: PHONE, esm_class: 0x40, data_coding: parts.dataCoding,
          short_message: Buffer.from(parts.segments[index] ?? []),
        });
        assert.equal(part.command_status, ESME_ROK);
      }
    }

    const received = [await handset.nextMessage(), await handset.nextMessage(), await handset.nextMessage()];
    assert.deepEqual(
      received.map((message) => [message.from, message.text, message.parts]).sort(),
      [['8888', CHINESE, 3], ['8888', latin, 1], ['8888', longLatin, 2]].sort(),
    );

    const receipt = await receiver.esme.nextDeliver((pdu) => pdu['esm_class'] === 0x04);
    const parsed = parseReceipt(shortMessageOf(receipt).message);
    assert.equal(parsed?.id, messageId);
    assert.equal(parsed.stat, 'DELIVRD');
    assert.equal(parsed.sub, '001');
    assert.equal(parsed.dlvrd, '001');
    assert.match(shortMessageOf(receipt).message, /^id:[0-9A-F]{16} sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:/);
    assert.equal(receipt['receipted_message_id'], messageId);
    assert.equal(receipt['message_state'], 2);
    assert.equal(receipt['source_addr'], PHONE);
    assert.equal(receipt['destination_addr'], '8888');

    // The inbox row is written when the acknowledgement arrives, just after the handset has the message.
    const inbox = await waitFor(async () => {
      const entries = await t.smsc.listInbox(PHONE);
      return entries.length === 3 ? entries : undefined;
    });
    assert.deepEqual(inbox.map((entry) => entry.text).sort(), [CHINESE, latin, longLatin].sort());
    const status = await messageStatus(t.db.db, messageId);
    assert.deepEqual(status?.transitions.map((transition) => [transition.from, transition.to]), [[null, 'ENROUTE'], ['ENROUTE', 'DELIVERED']]);

    const query = await esme.request('query_sm', { message_id: messageId, source_addr: '8888' });
    assert.equal(query.command_status, ESME_ROK);
    assert.equal(query['message_state'], 2);
    await esme.close();
    await receiver.esme.close();
  });

  it('keeps a message for an offline handset and delivers it when the handset attaches', async () => {
    const { esme } = await bound('transmitter');
    const sent = await esme.request('submit_sm', { destination_addr: OFFLINE_PHONE, data_coding: 0x08, short_message: Buffer.from('\u4f60\u597d', 'utf16le').swap16() });
    assert.equal(sent.command_status, ESME_ROK);
    await t.smsc.runWorkerOnce();
    assert.equal((await messageStatus(t.db.db, sent['message_id'] as string))?.state, 'ENROUTE');

    const late = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: OFFLINE_PHONE, secret: SECRET });
    const message = await late.nextMessage();
    assert.equal(message.text, '你好');
    assert.equal(message.from, '8888', 'an empty source_addr becomes the ESME\'s address');
    await late.detach();
    await esme.close();
  });

  it('expires a message after its validity period and reports it in a receipt', async () => {
    const { esme } = await bound('transceiver');
    const sent = await esme.request('submit_sm', {
      destination_addr: '8613600136000', registered_delivery: 1, validity_period: '000000000100000R', data_coding: 0x00,
      short_message: Buffer.from(encodeGSM7('expires soon')),
    });
    assert.equal(sent.command_status, ESME_ROK);
    t.clock.nowMs += 59_000;
    await t.smsc.runWorkerOnce();
    assert.equal((await messageStatus(t.db.db, sent['message_id'] as string))?.state, 'ENROUTE');
    t.clock.nowMs += 2_000;
    await t.smsc.runWorkerOnce();
    assert.equal((await messageStatus(t.db.db, sent['message_id'] as string))?.state, 'EXPIRED');
    const receipt = await esme.nextDeliver((pdu) => pdu['esm_class'] === 0x04 && pdu['receipted_message_id'] === sent['message_id']);
    assert.equal(parseReceipt(shortMessageOf(receipt).message)?.stat, 'EXPIRED');
    await esme.close();
  });

  it('retries a handset that does not acknowledge, with backoff, then gives up as UNDELIVERABLE', async () => {
    const silent = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: SLOW_PHONE, secret: SECRET, autoAck: false });
    const { messageId } = await t.smsc.sendSMS({ from: '8888', to: SLOW_PHONE, text: 'are you there?' });
    const attempts = async () => (await t.db.db.selectFrom('smsc.messages').select(['attempts', 'next_attempt_at']).where('id', '=', messageId).executeTakeFirstOrThrow());
    await t.smsc.runWorkerOnce();
    const afterFirst = await attempts();
    assert.equal(afterFirst.attempts, 1);
    assert.equal(afterFirst.next_attempt_at.getTime(), t.clock.nowMs + 2_000, 'backoff: RETRY_DELAY_MS_BASE after the first failure');
    await t.smsc.runWorkerOnce();
    assert.equal((await attempts()).attempts, 1, 'no attempt before the backoff has passed');
    for (let attempt = 2; attempt <= 5; attempt++) {
      t.clock.nowMs += 10 * 60_000;
      await t.smsc.runWorkerOnce();
    }
    const status = await messageStatus(t.db.db, messageId);
    assert.equal(status?.state, 'UNDELIVERABLE');
    assert.deepEqual(status.transitions.map((transition) => transition.to), ['ENROUTE', 'UNDELIVERABLE']);
    await silent.detach();
  });

  it('retries at once when a handset that missed a delivery attaches again', async () => {
    const flaky = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: SLOW_PHONE, secret: SECRET, autoAck: false });
    const { messageId } = await t.smsc.sendSMS({ from: '8888', to: SLOW_PHONE, text: 'second try' });
    await flaky.nextMessage();
    flaky.destroy();
    await waitFor(async () => {
      const row = await t.db.db.selectFrom('smsc.messages').select('attempts').where('id', '=', messageId).executeTakeFirstOrThrow();
      return row.attempts === 1 ? true : undefined;
    });
    const back = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: SLOW_PHONE, secret: SECRET });
    assert.equal((await back.nextMessage()).text, 'second try', 'no waiting out the backoff (the clock is pinned)');
    await waitFor(async () => ((await messageStatus(t.db.db, messageId))?.state === 'DELIVERED' ? true : undefined));
    await back.detach();
  });

  it('lets the handset refuse a message (REJECTED)', async () => {
    const picky = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: OFFLINE_PHONE, secret: SECRET, autoAck: false });
    const { messageId } = await t.smsc.sendSMS({ from: '8888', to: OFFLINE_PHONE, text: 'spam' });
    const message = await picky.nextMessage();
    await picky.reject(message.id, 'blocked sender');
    await waitFor(async () => ((await messageStatus(t.db.db, messageId))?.state === 'REJECTED' ? true : undefined));
    await picky.detach();
  });

  it('refuses a wrong password and an unknown system_id', async () => {
    const wrong = await bound('transceiver', 'shop', 'nope');
    assert.equal(wrong.response.command_status, ESME_RINVPASWD);
    const unknown = await bound('transmitter', 'nobody', 'secret1');
    assert.equal(unknown.response.command_status, ESME_RINVSYSID);
    const submit = await wrong.esme.request('submit_sm', { destination_addr: PHONE, short_message: Buffer.from('x') });
    assert.equal(submit.command_status, ESME_RINVBNDSTS, 'a refused bind leaves the session unbound');
    await wrong.esme.close();
    await unknown.esme.close();
  });

  it('refuses submit_sm before bind and from a receiver-only session', async () => {
    const esme = await connectESME(t.smsc.smppPort);
    const early = await esme.request('submit_sm', { destination_addr: PHONE, short_message: Buffer.from(encodeGSM7('hi')) });
    assert.equal(early.command_status, ESME_RINVBNDSTS);
    const enquire = await esme.request('enquire_link', {});
    assert.equal(enquire.command_status, ESME_ROK);
    await esme.close();
    const receiver = await bound('receiver');
    const refused = await receiver.esme.request('submit_sm', { destination_addr: PHONE, short_message: Buffer.from(encodeGSM7('hi')) });
    assert.equal(refused.command_status, ESME_RINVBNDSTS);
    await receiver.esme.close();
  });

  it('checks addresses: the destination is an MSISDN, the source one of the ESME\'s', async () => {
    const { esme } = await bound('transmitter');
    const badDestination = await esme.request('submit_sm', { destination_addr: 'abc', short_message: Buffer.from(encodeGSM7('hi')) });
    assert.equal(badDestination.command_status, ESME_RINVDSTADR);
    const spoofed = await esme.request('submit_sm', { source_addr: '95588', destination_addr: PHONE, short_message: Buffer.from(encodeGSM7('hi')) });
    assert.equal(spoofed.command_status, ESME_RINVSRCADR);
    const unbind = await esme.request('unbind', {});
    assert.equal(unbind.command_status, ESME_ROK);
    await esme.close();
  });

  it('answers malformed PDUs with generic_nack and stays up', async () => {
    const socket = connect({ host: '127.0.0.1', port: t.smsc.smppPort });
    await new Promise((resolve) => socket.once('connect', resolve));
    const answers: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk));
    const header = (length: number, commandId: number, sequence: number) => {
      const buffer = Buffer.alloc(16);
      buffer.writeUInt32BE(length, 0);
      buffer.writeUInt32BE(commandId, 4);
      buffer.writeUInt32BE(sequence, 12);
      return buffer;
    };
    // An unknown command id, then a submit_sm whose body has no NUL-terminated strings.
    socket.write(header(16, 0x00000999, 7));
    socket.write(Buffer.concat([header(20, 0x00000004, 8), Buffer.from([0x41, 0x41, 0x41, 0x41])]));
    const pdus = await waitFor(() => {
      const all = Buffer.concat(answers);
      return all.length >= 32 ? all : undefined;
    });
    assert.deepEqual([pdus.readUInt32BE(4), pdus.readUInt32BE(8), pdus.readUInt32BE(12)], [0x80000000, ESME_RINVCMDID, 7]);
    assert.deepEqual([pdus.readUInt32BE(20), pdus.readUInt32BE(24), pdus.readUInt32BE(28)], [0x80000000, ESME_RINVCMDLEN, 8]);
    // A command_length below the header size: generic_nack, then the connection is dropped.
    socket.write(header(8, 0x00000015, 9));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(Buffer.concat(answers).readUInt32BE(32 + 4), 0x80000000);

    const { esme, response } = await bound('transmitter');
    assert.equal(response.command_status, ESME_ROK, 'the server still serves others');
    await esme.close();
  });

  it('routes a mobile-originated message to the bound receiver, split into concatenated parts', async () => {
    const { esme } = await bound('receiver');
    const text = `查询余额 ${'账户'.repeat(40)}`;
    const id = await handset.submit('8888', text);
    assert.match(id, /^[0-9A-F]{16}$/);
    const parts: PDU[] = [];
    parts.push(await esme.nextDeliver());
    parts.push(await esme.nextDeliver());
    const decoded = parts.map((pdu) => {
      assert.equal(pdu['data_coding'], 0x08);
      assert.equal((pdu['esm_class'] as number) & 0x40, 0x40);
      assert.equal(pdu['source_addr'], PHONE);
      assert.equal(pdu['destination_addr'], '8888');
      const { message, udh } = shortMessageOf(pdu);
      const concat = udh?.[0];
      assert.equal(concat?.[0], 0x00, 'IEI 00: 8-bit reference');
      return { sequence: concat[4] ?? 0, total: concat[3], message };
    }).sort((a, b) => a.sequence - b.sequence);
    assert.deepEqual(decoded.map((part) => [part.sequence, part.total]), [[1, 2], [2, 2]]);
    assert.equal(decoded.map((part) => part.message).join(''), text);
    await waitFor(async () => ((await messageStatus(t.db.db, id))?.state === 'DELIVERED' ? true : undefined));

    await handset.submit('8888', 'BAL? 100€');
    const short = await esme.nextDeliver();
    assert.deepEqual([short['data_coding'], short['esm_class'], shortMessageOf(short).message], [0x00, 0x00, 'BAL? 100€']);
    await esme.close();
  });

  it('refuses a handset with the wrong secret, and one that does not attach first', async () => {
    await assert.rejects(
      connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: PHONE, secret: 'wrong' }),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ERR_SMSC_ATTACH_REFUSED',
    );
    const raw = await connectFramed({ host: '127.0.0.1', port: t.smsc.handsetPort });
    await raw.send(new TextEncoder().encode(JSON.stringify({ type: 'submit', ref: '1', to: '8888', text: 'sneaky' })));
    const answer = JSON.parse(new TextDecoder().decode(await raw.receive())) as { type: string; code: string };
    assert.deepEqual([answer.type, answer.code], ['error', 'ERR_SMSC_HANDSET_PROTOCOL']);
    assert.equal(await raw.receive(), undefined, 'the SMSC closes the connection');
  });

  it('answers a mobile-originated message with no route with an error for that ref', async () => {
    await assert.rejects(handset.submit('nowhere!', 'x'), (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ERR_SMSC_NO_ROUTE');
    const id = await handset.submit('8888', 'still attached');
    assert.match(id, /^[0-9A-F]{16}$/);
  });
});

describe('connectSMPP, the ESME other services use', () => {
  let t: TestSMSC;
  before(async () => {
    t = await startTestSMSC();
    await createESMEAccount(t.db.db, { systemId: 'gateway', password: 'gw-pass', addresses: ['95588'] }, random);
    await registerHandset(t.db.db, { msisdn: PHONE, secret: SECRET }, random);
  });
  after(() => t.close());

  it('sends concatenated Chinese text, gets a receipt per part, and receives reassembled MO text', async () => {
    const receipts: IncomingReceipt[] = [];
    const texts: IncomingText[] = [];
    const gateway = await connectSMPP({
      host: '127.0.0.1', port: t.smsc.smppPort, systemId: 'gateway', password: 'gw-pass',
      onReceipt: (receipt) => receipts.push(receipt), onText: (text) => texts.push(text),
    });
    const phone = await connectHandset({ host: '127.0.0.1', port: t.smsc.handsetPort, msisdn: PHONE, secret: SECRET });
    const ids = await gateway.sendText({ from: '95588', to: PHONE, text: CHINESE, receipt: true, validityMs: 5 * 60_000 });
    assert.equal(ids.length, 3);
    assert.equal((await phone.nextMessage()).text, CHINESE);
    await waitFor(() => (receipts.length === 3 ? true : undefined));
    assert.deepEqual(receipts.map((receipt) => receipt.receiptedMessageId).sort(), [...ids].sort());
    assert.ok(receipts.every((receipt) => receipt.stat === 'DELIVRD'));

    const reply = `确认 ${'付款'.repeat(50)}`;
    await phone.submit('95588', reply);
    await waitFor(() => (texts.length === 1 ? true : undefined));
    assert.deepEqual(texts[0], { from: PHONE, to: '95588', text: reply });

    await gateway.enquireLink();
    await assert.rejects(gateway.sendText({ from: '8888', to: PHONE, text: 'spoof' }),
      (error: unknown) => error instanceof Error && 'details' in error && (error.details as { commandStatus: number }).commandStatus === ESME_RINVSRCADR);
    await gateway.close();
    await phone.detach();
  });

  it('fails with ERR_SMSC_SMPP when the bind is refused', async () => {
    await assert.rejects(connectSMPP({ host: '127.0.0.1', port: t.smsc.smppPort, systemId: 'gateway', password: 'wrong' }),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ERR_SMSC_SMPP');
  });
});
