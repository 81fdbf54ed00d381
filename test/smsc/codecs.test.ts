import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import smpp from 'smpp';
import { TesseraError } from '../../src/lib/errors.js';
import { parseHandsetEvent, parseHandsetRequest } from '../../src/smsc/handsetProtocol.js';
import { readBind, readHeader, readQuerySm, readSubmitSm, SMPPStatusError } from '../../src/smsc/pdu.js';
import { formatReceipt, parseReceipt } from '../../src/smsc/receipt.js';
import { formatReceiptDate, parseSMPPTime } from '../../src/smsc/smppTime.js';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');

describe('SMPP time (SMPP 3.4 §7.1.1)', () => {
  it('reads absolute times with their UTC offset in quarter hours', () => {
    assert.equal(parseSMPPTime('261121120000000+', NOW), NOW);
    // 20:00 local at UTC+8 (32 quarter hours) is 12:00 UTC.
    assert.equal(parseSMPPTime('261121200000032+', NOW), NOW);
    assert.equal(parseSMPPTime('261121070000020-', NOW), NOW);
    assert.equal(parseSMPPTime('261121120000500+', NOW), NOW + 500);
  });

  it('reads relative times from now', () => {
    assert.equal(parseSMPPTime('000000000100000R', NOW), NOW + 60_000);
    assert.equal(parseSMPPTime('000001020000000R', NOW), NOW + 26 * 3_600_000);
  });

  it('refuses what is not the format', () => {
    for (const value of ['', '2611211200', '261321120000000+', '261131120000000+', '261121250000000+', '261121120000000X', '261121120000049+']) {
      assert.equal(parseSMPPTime(value, NOW), undefined, value);
    }
  });

  it('writes receipt dates as YYMMDDhhmm in UTC', () => {
    assert.equal(formatReceiptDate(NOW), '2611211200');
  });
});

describe('delivery receipts (SMPP 3.4 Appendix B)', () => {
  it('writes the standard short_message and reads it back', () => {
    const text = formatReceipt({
      messageId: '0123456789ABCDEF', submitted: 1, delivered: 1, submitMs: NOW, doneMs: NOW + 60_000, state: 'DELIVERED', errorCode: 0, text: 'Your code is 123456, valid',
    });
    assert.equal(text, 'id:0123456789ABCDEF sub:001 dlvrd:001 submit date:2611211200 done date:2611211201 stat:DELIVRD err:000 text:Your code is 123456,');
    assert.deepEqual(parseReceipt(text), {
      id: '0123456789ABCDEF', sub: '001', dlvrd: '001', submitDate: '2611211200', doneDate: '2611211201', stat: 'DELIVRD', err: '000', text: 'Your code is 123456,',
    });
  });

  it('reads the published examples of other SMSCs', () => {
    // https://help.nexmo.com/hc/en-us/articles/215468998 and https://smppcenter.com/kb/how-read-smpp-delivery-receipt
    assert.equal(parseReceipt('id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:none')?.stat, 'DELIVRD');
    assert.equal(parseReceipt('id:64567564356765435676 sub:001 dlvrd:001 submit date:190608165232 done date:190608165237 stat:DELIVRD err:000 text:Hello World')?.text, 'Hello World');
    assert.equal(parseReceipt('hello'), undefined);
  });
});

function pduBytes(command: string, fields: Record<string, unknown>): Uint8Array {
  return new Uint8Array(new smpp.PDU(command, { sequence_number: 1, ...fields }).toBuffer());
}

describe('strict SMPP readers', () => {
  it('read what an independent encoder wrote', () => {
    assert.deepEqual(readBind(pduBytes('bind_transceiver', { system_id: 'shop', password: 'secret1', system_type: 'WWW' })),
      { systemId: 'shop', password: 'secret1', systemType: 'WWW', interfaceVersion: 0x50 });
    const submit = readSubmitSm(pduBytes('submit_sm', {
      source_addr: '8888', destination_addr: '8613800138000', esm_class: 0x40, registered_delivery: 1, data_coding: 8,
      validity_period: '000001000000000R', short_message: Buffer.from([5, 0, 3, 1, 2, 1, 0x4f, 0x60]),
    }), 2000);
    assert.equal(submit.destinationAddr, '8613800138000');
    assert.equal(submit.validityPeriod, '000001000000000R');
    assert.deepEqual([...submit.userData], [5, 0, 3, 1, 2, 1, 0x4f, 0x60]);
    assert.equal(readQuerySm(pduBytes('query_sm', { message_id: 'ABC', source_addr: '8888' })).messageId, 'ABC');
  });

  it('refuse over-long fields with the status SMPP names for them', () => {
    assert.throws(() => readBind(pduBytes('bind_transmitter', { system_id: 'a'.repeat(16), password: 'x' })),
      (error: unknown) => error instanceof SMPPStatusError && error.commandStatus === 0x0f);
    assert.throws(() => readBind(pduBytes('bind_transmitter', { system_id: 'shop', password: '123456789' })),
      (error: unknown) => error instanceof SMPPStatusError && error.commandStatus === 0x0e);
  });

  it('random bytes never throw anything but a TesseraError (property)', () => {
    const header = fc.uint8Array({ minLength: 16, maxLength: 16 });
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 300 }), (head, body) => {
      const pdu = new Uint8Array([...head, ...body]);
      for (const read of [() => readHeader(pdu), () => readBind(pdu), () => readSubmitSm(pdu, 2000), () => readQuerySm(pdu)]) {
        try {
          read();
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
      }
    }));
  });
});

describe('handset protocol frames', () => {
  it('parses each request and event type', () => {
    const frame = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    assert.deepEqual(parseHandsetRequest(frame({ type: 'attach', msisdn: '+8613800138000', secret: 's' })), { type: 'attach', msisdn: '+8613800138000', secret: 's' });
    assert.deepEqual(parseHandsetRequest(frame({ type: 'submit', ref: '1', to: '8888', text: '你好' })), { type: 'submit', ref: '1', to: '8888', text: '你好' });
    assert.deepEqual(parseHandsetEvent(frame({ type: 'deliver', id: 'A', from: '8888', text: '', parts: 1, submittedAt: 'x' })),
      { type: 'deliver', id: 'A', from: '8888', text: '', parts: 1, submittedAt: 'x' });
    assert.throws(() => parseHandsetRequest(frame({ type: 'attach', msisdn: 5 })), (error: unknown) => error instanceof TesseraError && error.code === 'ERR_SMSC_HANDSET_PROTOCOL');
    assert.throws(() => parseHandsetRequest(frame([1, 2])), TesseraError);
  });

  it('random bytes never throw anything but a TesseraError (property)', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json().map((json) => new TextEncoder().encode(json))), (bytes) => {
      for (const parse of [parseHandsetRequest, parseHandsetEvent]) {
        try {
          parse(bytes);
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
      }
    }));
  });
});
