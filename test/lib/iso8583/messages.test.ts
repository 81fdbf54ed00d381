import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  buildEchoRequest, buildNetworkManagementRequest, buildResponse, decodeISO8583, describeResponseCode, encodeISO8583,
  formatTransmissionDateTime, isAnswerableMTI, isApprovedResponseCode, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT,
  ISO8583_RESPONSE_CODES, ISO8583ErrorCode, messageFromJSON, messageToJSON, NetworkManagementCode, parseMTI,
  ResponseCode, responseMTI, type ISO8583FieldValue,
} from '../../../src/lib/iso8583/index.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import { throwsISO8583 } from './helpers.js';

const AT = new Date(Date.UTC(2026, 10, 21, 21, 53, 20));

describe('MTI', () => {
  it('names the four digits (ISO 8583:1987 §4.2)', () => {
    assert.deepEqual(parseMTI('0100'), {
      version: '0', messageClass: '1', messageFunction: '0', origin: '0',
      className: 'authorization', functionName: 'request', originName: 'acquirer',
    });
    assert.equal(parseMTI('0421').className, 'reversal and chargeback');
    assert.equal(parseMTI('0421').functionName, 'advice');
    assert.equal(parseMTI('0421').originName, 'acquirer repeat');
    assert.equal(parseMTI('0810').className, 'network management');
  });

  it('answers requests, advices and notifications with function + 1', () => {
    assert.equal(responseMTI('0100'), '0110');
    assert.equal(responseMTI('0200'), '0210');
    assert.equal(responseMTI('0220'), '0230');
    assert.equal(responseMTI('0420'), '0430');
    assert.equal(responseMTI('0800'), '0810');
    assert.equal(responseMTI('0624'), '0634');
    for (const mti of ['0110', '0230', '0810', '0150']) {
      assert.equal(isAnswerableMTI(mti), false);
      throwsISO8583(() => responseMTI(mti), ISO8583ErrorCode.mti);
    }
    throwsISO8583(() => parseMTI('1100'), ISO8583ErrorCode.mti);
  });
});

describe('response codes (field 39)', () => {
  it('has the codes an issuer needs, with meaning and approval', () => {
    for (const code of ['00', '05', '12', '13', '14', '30', '51', '54', '55', '57', '58', '61', '65', '75', '91', '94', '96']) {
      const info = ISO8583_RESPONSE_CODES.get(code);
      assert.ok(info, code);
      assert.equal(info.code, code);
      assert.ok(info.meaning.length > 0);
      assert.equal(info.approved, code === '00', code);
    }
    assert.equal(describeResponseCode(ResponseCode.insufficientFunds).meaning, 'Not sufficient funds');
    assert.equal(isApprovedResponseCode('00'), true);
    assert.equal(isApprovedResponseCode('10'), true);
    assert.equal(isApprovedResponseCode('51'), false);
    assert.equal(describeResponseCode('91').action, 'retry');
    assert.equal(describeResponseCode('04').action, 'pickUp');
  });

  it('treats an unknown code as a decline (fail closed)', () => {
    assert.deepEqual(describeResponseCode('Z9'), { code: 'Z9', meaning: 'Unknown response code', approved: false, action: 'decline' });
  });
});

describe('network management and responses', () => {
  it('formats field 7 as MMDDhhmmss in UTC', () => {
    assert.equal(formatTransmissionDateTime(AT), '1121215320');
    assert.equal(formatTransmissionDateTime(new Date(Date.UTC(2027, 0, 2, 3, 4, 5))), '0102030405');
  });

  it('builds an 0800 echo test and its 0810 answer in both dialects', () => {
    const echo = buildEchoRequest('000042', AT);
    assert.equal(echo.mti, '0800');
    assert.deepEqual(echo.fields, new Map([[7, '1121215320'], [11, '000042'], [70, NetworkManagementCode.echoTest]]));
    assert.equal(Buffer.from(encodeISO8583(echo, ISO8583_ASCII_DIALECT)).toString('latin1'), '0800822000000000000004000000000000001121215320000042301');
    assert.equal(toHex(encodeISO8583(echo, ISO8583_BCD_DIALECT)), '0800822000000000000004000000000000001121215320000042' + '0301');
    const answer = buildResponse(echo, { responseCode: ResponseCode.approved });
    assert.equal(answer.mti, '0810');
    assert.deepEqual(answer.fields, new Map([[7, '1121215320'], [11, '000042'], [70, '301'], [39, '00']]));
    assert.deepEqual(decodeISO8583(encodeISO8583(answer, ISO8583_BCD_DIALECT), ISO8583_BCD_DIALECT).fields, answer.fields);
    const signOn = buildNetworkManagementRequest({ code: NetworkManagementCode.signOn, stan: '000001', transmittedAt: AT });
    assert.equal(signOn.fields.get(70), '001');
  });

  it('answers an authorization: echoes the matching fields, sets 39, adds 38 and 55, drops what is not echoed', () => {
    const request = {
      mti: '0100',
      fields: new Map<number, ISO8583FieldValue>([
        [2, '5266092201416174'], [3, '000000'], [4, '000000001000'], [7, '1121215320'], [11, '000123'],
        [22, '071'], [35, '5266092201416174D28122010000056700100'], [41, 'TERM0001'], [42, 'MERCHANT0000001'],
        [49, '978'], [52, fromHex('0123456789ABCDEF')], [55, encodeTLV([primitiveNode(0x9f26, fromHex('8E19ABF1BC2D3F4A'))])],
      ]),
    };
    const arpc = encodeTLV([primitiveNode(0x91, fromHex('1A2B3C4D5E6F00120000'))]);
    const response = buildResponse(request, { responseCode: '00', fields: new Map<number, ISO8583FieldValue>([[38, 'A1B2C3'], [55, arpc]]) });
    assert.equal(response.mti, '0110');
    assert.deepEqual([...response.fields.keys()].sort((a, b) => a - b), [2, 3, 4, 7, 11, 38, 39, 41, 42, 49, 55]);
    assert.equal(response.fields.has(35), false, 'track 2 is not echoed');
    assert.equal(response.fields.has(52), false, 'the PIN block is not echoed');
    const withoutPAN = buildResponse(request, { responseCode: '51', fields: new Map([[2, undefined]]) });
    assert.equal(withoutPAN.fields.has(2), false);
    assert.equal(withoutPAN.fields.get(39), '51');
    assert.deepEqual(decodeISO8583(encodeISO8583(response, ISO8583_ASCII_DIALECT), ISO8583_ASCII_DIALECT), response);
    throwsISO8583(() => buildResponse(response, { responseCode: '00' }), ISO8583ErrorCode.mti);
  });
});

describe('JSON form', () => {
  const icc = encodeTLV([
    primitiveNode(0x9f26, fromHex('8E19ABF1BC2D3F4A')),
    constructedNode(0x72, [primitiveNode(0x9f18, fromHex('00000001')), primitiveNode(0x86, fromHex('84240000'))]),
  ]);
  const message = {
    mti: '0100',
    fields: new Map<number, ISO8583FieldValue>([[3, '000000'], [41, 'TERM0001'], [52, fromHex('0123456789abcdef')], [55, icc]]),
  };

  it('writes binary fields as upper-case hex and field 55 as a list of data objects', () => {
    assert.deepEqual(messageToJSON(message, ISO8583_BCD_DIALECT), {
      mti: '0100',
      fields: {
        3: '000000',
        41: 'TERM0001',
        52: '0123456789ABCDEF',
        55: [
          { tag: '9F26', value: '8E19ABF1BC2D3F4A' },
          { tag: '72', children: [{ tag: '9F18', value: '00000001' }, { tag: '86', value: '84240000' }] },
        ],
      },
    });
  });

  it('reads back what it writes, and field 55 given as hex', () => {
    const json = JSON.parse(JSON.stringify(messageToJSON(message, ISO8583_ASCII_DIALECT))) as unknown;
    assert.deepEqual(messageFromJSON(json, ISO8583_ASCII_DIALECT), message);
    const hexForm = { mti: '0100', fields: { 55: toHex(icc) } };
    assert.deepEqual(messageFromJSON(hexForm, ISO8583_ASCII_DIALECT).fields.get(55), icc);
  });

  it('refuses JSON of the wrong shape with ERR_ISO8583_JSON', () => {
    const bad: unknown[] = [
      null, [], 'x', { mti: 100, fields: {} }, { mti: '0100' }, { mti: '0100', fields: [] },
      { mti: '0100', fields: { x: '1' } }, { mti: '0100', fields: { 1: '1' } }, { mti: '0100', fields: { 200: '1' } },
      { mti: '0100', fields: { 3: 0 } }, { mti: '0100', fields: { 52: 'XYZ' } }, { mti: '0100', fields: { 52: ['00'] } },
      { mti: '0100', fields: { 55: [{ tag: 'ZZ', value: '00' }] } },
      { mti: '0100', fields: { 55: [{ tag: '9F26' }] } },
      { mti: '0100', fields: { 55: [{ tag: '72', value: '00' }] } },
      { mti: '0100', fields: { 55: [{ tag: '9F26', value: '00', children: [] }] } },
      { mti: '0100', fields: { 55: [null] } },
    ];
    for (const json of bad) throwsISO8583(() => messageFromJSON(json, ISO8583_ASCII_DIALECT), ISO8583ErrorCode.json);
    throwsISO8583(() => messageFromJSON({ mti: '0100', fields: { 8: '1' } }, ISO8583_ASCII_DIALECT), ISO8583ErrorCode.fieldUndefined, { field: 8 });
  });

  it('refuses deeply nested JSON data objects without recursing', () => {
    let nested: unknown = { tag: '9F26', value: '00' };
    for (let depth = 0; depth < 40; depth++) nested = { tag: '72', children: [nested] };
    throwsISO8583(() => messageFromJSON({ mti: '0100', fields: { 55: [nested] } }, ISO8583_ASCII_DIALECT), ISO8583ErrorCode.json);
  });
});
