import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import {
  decodeISO8583, encodeISO8583, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, ISO8583_DIALECTS, ISO8583_MESSAGE_BYTES_MAX,
  ISO8583ErrorCode, worstCaseMessageBytes, type ISO8583Dialect, type ISO8583FieldValue, type ISO8583Message,
} from '../../../src/lib/iso8583/index.js';
import { constructedNode, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import { throwsISO8583 } from './helpers.js';

function message(mti: string, entries: readonly (readonly [number, ISO8583FieldValue])[]): ISO8583Message {
  return { mti, fields: new Map(entries) };
}

function ascii(text: string): Uint8Array {
  return utf8(text);
}

function asText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

// An authorization request as the acquirer sends it: EMV data in 55, track 2 in 35, a PIN block in 52.
const ICC_DATA = encodeTLV([
  primitiveNode(0x9f26, fromHex('8E19ABF1BC2D3F4A')),
  primitiveNode(0x9f27, fromHex('80')),
  primitiveNode(0x9f10, fromHex('06010A03A00000')),
  primitiveNode(0x9f37, fromHex('1A2B3C4D')),
  primitiveNode(0x9f36, fromHex('0012')),
  primitiveNode(0x95, fromHex('0000000000')),
  primitiveNode(0x9a, fromHex('261121')),
  primitiveNode(0x9c, fromHex('00')),
  primitiveNode(0x9f02, fromHex('000000001000')),
  primitiveNode(0x5f2a, fromHex('0978')),
  primitiveNode(0x82, fromHex('1980')),
]);
const AUTHORIZATION = message('0100', [
  [2, '5266092201416174'],
  [3, '000000'],
  [4, '000000001000'],
  [7, '1121215320'],
  [11, '000123'],
  [12, '225320'],
  [13, '1121'],
  [14, '2812'],
  [18, '5411'],
  [22, '071'],
  [23, '001'],
  [25, '00'],
  [35, '5266092201416174D28122010000056700100'],
  [37, '632522000123'],
  [41, 'TERM0001'],
  [42, 'MERCHANT0000001'],
  [43, `${'Tessera Test Shop'.padEnd(25)}${'Helsinki'.padEnd(13)}FI`],
  [49, '978'],
  [52, fromHex('0123456789ABCDEF')],
  [55, ICC_DATA],
]);

describe('ISO 8583 encoding rules', () => {
  it('writes an authorization request in the BCD dialect: BCD MTI, binary bitmap, packed numerics, ASCII text', () => {
    const encoded = encodeISO8583(AUTHORIZATION, ISO8583_BCD_DIALECT);
    assert.equal(toHex(encoded.subarray(0, 2)), '0100');
    // Fields 2,3,4,7 | 11,12,13,14 | 18 | 22,23,25 | 35,37 | 41,42,43 | 49,52,55: no bit 1.
    assert.equal(toHex(encoded.subarray(2, 10)), '723C468028E09200');
    // Field 2: LL '16' in BCD then 8 bytes of PAN.
    assert.equal(toHex(encoded.subarray(10, 19)), '165266092201416174');
    assert.deepEqual(decodeISO8583(encoded, ISO8583_BCD_DIALECT), AUTHORIZATION);
  });

  it('writes the same request in the ASCII dialect as printable text, binary fields in hex', () => {
    const encoded = encodeISO8583(AUTHORIZATION, ISO8583_ASCII_DIALECT);
    const text = asText(encoded);
    assert.match(text, /^[\x20-\x7e]+$/);
    assert.ok(text.startsWith('0100723C468028E09200' + '165266092201416174' + '000000' + '000000001000'));
    assert.ok(text.includes('0123456789ABCDEF'), 'field 52 as 16 hex digits');
    assert.ok(text.endsWith(`${String(ICC_DATA.length).padStart(3, '0')}${toHex(ICC_DATA)}`), 'field 55: LLL counts bytes, value in hex');
    assert.deepEqual(decodeISO8583(encoded, ISO8583_ASCII_DIALECT), AUTHORIZATION);
  });

  it('pads odd BCD numerics on the left with 0, and track 2 on the right with F (separator nibble D)', () => {
    const encoded = encodeISO8583(message('0200', [[2, '4761739001010010123'], [35, '4761739001010010D2512201']]), ISO8583_BCD_DIALECT);
    // MTI, bitmap 4000000020000000, LL 19, 0 + 19 digits; LL 24, 24 digits even: no pad.
    assert.equal(toHex(encoded), '0200' + '4000000020000000' + '19' + '04761739001010010123' + '24' + '4761739001010010D2512201');
    const odd = encodeISO8583(message('0200', [[35, '4761739001010010D25122011']]), ISO8583_BCD_DIALECT);
    assert.equal(toHex(odd), '0200' + '0000000020000000' + '25' + '4761739001010010D25122011F');
    assert.equal(toHex(encodeISO8583(message('0800', [[70, '301']]), ISO8583_BCD_DIALECT)), '0800' + '8000000000000000' + '0400000000000000' + '0301');
  });

  it('writes LLLVAR prefixes as three ASCII digits or two BCD bytes', () => {
    const fields48 = message('0100', [[48, 'A'.repeat(123)]]);
    assert.ok(asText(encodeISO8583(fields48, ISO8583_ASCII_DIALECT)).startsWith('0100' + '0000000000010000' + '123AAA'));
    assert.equal(toHex(encodeISO8583(fields48, ISO8583_BCD_DIALECT).subarray(10, 12)), '0123');
  });

  it('emits the secondary bitmap only when a field 65-128 is present', () => {
    const primaryOnly = encodeISO8583(message('0800', [[7, '1121215320'], [11, '000001']]), ISO8583_ASCII_DIALECT);
    assert.equal(asText(primaryOnly), '0800' + '0220000000000000' + '1121215320000001');
    const withSecondary = encodeISO8583(message('0800', [[7, '1121215320'], [11, '000001'], [70, '301']]), ISO8583_ASCII_DIALECT);
    assert.equal(asText(withSecondary), '0800' + '8220000000000000' + '0400000000000000' + '1121215320000001301');
    const onlyField128 = encodeISO8583(message('0200', [[128, fromHex('0102030405060708')]]), ISO8583_BCD_DIALECT);
    assert.equal(toHex(onlyField128), '0200' + '8000000000000000' + '0000000000000001' + '0102030405060708');
  });

  it('writes fields in ascending order whatever order the map holds them in', () => {
    const forward = encodeISO8583(message('0800', [[7, '1121215320'], [11, '000001'], [70, '001']]), ISO8583_BCD_DIALECT);
    const backward = encodeISO8583(message('0800', [[70, '001'], [11, '000001'], [7, '1121215320']]), ISO8583_BCD_DIALECT);
    assert.equal(toHex(backward), toHex(forward));
  });

  it('keeps each built-in dialect\'s worst case within the message limit', () => {
    for (const dialect of Object.values(ISO8583_DIALECTS)) {
      assert.ok(worstCaseMessageBytes(dialect) <= ISO8583_MESSAGE_BYTES_MAX, dialect.name);
    }
  });
});

describe('ISO 8583 values are checked against their spec on encode', () => {
  const cases: readonly { readonly what: string; readonly field: number; readonly value: ISO8583FieldValue }[] = [
    { what: 'a fixed n field one digit short', field: 3, value: '00000' },
    { what: 'a fixed n field one digit long', field: 11, value: '0000001' },
    { what: 'a letter in an n field', field: 4, value: '00000000100A' },
    { what: 'a PAN over 19 digits', field: 2, value: '12345678901234567890' },
    { what: 'a control character in an ans field', field: 41, value: 'TERM\n001' },
    { what: 'a non-ASCII character in an ans field', field: 43, value: `${'é'.padEnd(40, ' ')}` },
    { what: 'punctuation in an an field', field: 39, value: '0-' },
    { what: 'text in a b field', field: 52, value: '0123456789ABCDEF' },
    { what: 'bytes in a text field', field: 41, value: utf8('TERM0001') },
    { what: 'a 7-byte PIN block', field: 52, value: new Uint8Array(7) },
    { what: 'field 55 that is not BER-TLV', field: 55, value: fromHex('9F2608') },
    { what: 'field 55 with padding between data objects', field: 55, value: fromHex('9F270180009C0100') },
    { what: 'track 2 without a separator', field: 35, value: '52660922014161742812201' },
    { what: 'track 2 with month 13', field: 35, value: '5266092201416174=2813201' },
    { what: 'track 2 over 37 characters', field: 35, value: '5266092201416174=2812201000005670010012' },
    { what: 'field 48 over 999 characters', field: 48, value: 'x'.repeat(1000) },
  ];
  for (const { what, field, value } of cases) {
    it(`refuses ${what} (ERR_ISO8583_FIELD_INVALID naming field ${field})`, () => {
      for (const dialect of [ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT]) {
        throwsISO8583(() => encodeISO8583(message('0100', [[field, value]]), dialect), ISO8583ErrorCode.fieldInvalid, { field });
      }
    });
  }

  it('refuses the separator = in the BCD dialect (BCD can only write D), accepts it in ASCII', () => {
    const track = message('0100', [[35, '5266092201416174=2812201']]);
    throwsISO8583(() => encodeISO8583(track, ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 35 });
    assert.deepEqual(decodeISO8583(encodeISO8583(track, ISO8583_ASCII_DIALECT), ISO8583_ASCII_DIALECT), track);
  });

  it('refuses field numbers the dialect does not define, and field 1 (the bitmap is the encoder\'s)', () => {
    for (const field of [1, 0, 8, 65, 129, 2.5, -3]) {
      throwsISO8583(() => encodeISO8583(message('0100', [[field, '0']]), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.fieldUndefined);
    }
  });

  it('refuses an MTI that is not four digits of version 0', () => {
    for (const mti of ['100', '01000', '0A00', '1100', '2100', ' 100', '']) {
      throwsISO8583(() => encodeISO8583(message(mti, []), ISO8583_BCD_DIALECT), ISO8583ErrorCode.mti);
    }
  });

  it('never echoes a value in an error message', () => {
    const error = throwsISO8583(
      () => encodeISO8583(message('0100', [[2, '52660922014161741234']]), ISO8583_ASCII_DIALECT),
      ISO8583ErrorCode.fieldInvalid,
      { field: 2 },
    );
    assert.doesNotMatch(error.message, /5266/);
  });
});

describe('ISO 8583 decoding fails closed on malformed input', () => {
  const valid = encodeISO8583(message('0100', [[2, '5266092201416174'], [3, '000000'], [41, 'TERM0001'], [55, ICC_DATA]]), ISO8583_BCD_DIALECT);

  it('decodes the valid message the cases below break', () => {
    assert.equal(decodeISO8583(valid, ISO8583_BCD_DIALECT).fields.size, 4);
  });

  it('refuses every truncation with ERR_ISO8583_TRUNCATED', () => {
    for (let length = 0; length < valid.length; length++) {
      throwsISO8583(() => decodeISO8583(valid.subarray(0, length), ISO8583_BCD_DIALECT), ISO8583ErrorCode.truncated);
    }
  });

  it('names the field that was cut short, and where', () => {
    // MTI 2 + bitmap 8 + field 2 (1 + 8) = 19: cut inside field 3.
    throwsISO8583(() => decodeISO8583(valid.subarray(0, 20), ISO8583_BCD_DIALECT), ISO8583ErrorCode.truncated, { field: 3, offset: 19 });
  });

  it('refuses trailing bytes with their offset', () => {
    throwsISO8583(() => decodeISO8583(concatBytes(valid, Uint8Array.of(0)), ISO8583_BCD_DIALECT), ISO8583ErrorCode.trailingBytes, { offset: valid.length });
  });

  it('refuses a bitmap naming a field the dialect does not define', () => {
    // Bit 8 (field 8, amount cardholder billing fee) is not in the table.
    const bytes = fromHex('0100' + '0100000000000000' + '00000000');
    throwsISO8583(() => decodeISO8583(bytes, ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldUndefined, { field: 8, offset: 2 });
    // Bit 65 in the secondary bitmap (the tertiary bitmap indicator).
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '8000000000000000' + '8000000000000000'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldUndefined, { field: 65 });
  });

  it('refuses bit 1 with a secondary bitmap that names no field', () => {
    throwsISO8583(() => decodeISO8583(fromHex('0100' + 'A000000000000000' + '0000000000000000' + '000000'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.bitmap, { offset: 2 });
    throwsISO8583(() => decodeISO8583(ascii('0800' + '8000000000000000' + '0000000000000000'), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.bitmap);
  });

  it('refuses a hex bitmap that is not hex', () => {
    throwsISO8583(() => decodeISO8583(ascii('0800' + '022000000000000G' + '1121215320000001'), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.bitmap, { offset: 4 });
  });

  it('accepts lower-case hex in an ASCII bitmap and re-encodes it upper case', () => {
    const decoded = decodeISO8583(ascii('0800' + '8220000000000000' + '0400000000000000' + '1121215320000001301'), ISO8583_ASCII_DIALECT);
    const lower = decodeISO8583(ascii('0800' + '8220000000000000'.toLowerCase() + '0400000000000000' + '1121215320000001301'), ISO8583_ASCII_DIALECT);
    assert.deepEqual(lower, decoded);
  });

  it('refuses an MTI that is not BCD digits, or not version 0', () => {
    throwsISO8583(() => decodeISO8583(fromHex('0A00' + '0000000000000000'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.mti, { offset: 0 });
    throwsISO8583(() => decodeISO8583(fromHex('1100' + '0000000000000000'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.mti);
    throwsISO8583(() => decodeISO8583(ascii('01x0' + '0000000000000000'), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.mti);
  });

  it('refuses a length prefix over the field\'s maximum or not decimal', () => {
    // Field 2 (n..19) with LL 20.
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '4000000000000000' + '20' + '00'.repeat(10)), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 2, offset: 10 });
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '4000000000000000' + '1A' + '00'.repeat(10)), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 2 });
    throwsISO8583(() => decodeISO8583(ascii('0100' + '4000000000000000' + '1x' + '0'.repeat(16)), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 2 });
    // Field 48 (LLLVAR) with BCD prefix 1000: four digits where three are allowed.
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '0000000000010000' + '1000'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 48 });
  });

  it('refuses BCD digits above 9 and a wrong pad nibble', () => {
    // Field 3 with a nibble A.
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '2000000000000000' + '00000A'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 3, offset: 10 });
    // Field 2 with 15 digits: the left pad nibble must be 0.
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '4000000000000000' + '15' + '1234567890123456'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 2 });
    // Field 35 with 25 characters: the right pad nibble must be F.
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '0000000020000000' + '25' + '4761739001010010D25122011E'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 35 });
  });

  it('refuses field 55 that is not well-formed BER-TLV, and binary hex that is not hex', () => {
    throwsISO8583(() => decodeISO8583(fromHex('0100' + '0000000000000200' + '0003' + '9F2605'), ISO8583_BCD_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 55 });
    throwsISO8583(() => decodeISO8583(ascii('0100' + '0000000000001000' + '0123456789ABCDEZ'), ISO8583_ASCII_DIALECT), ISO8583ErrorCode.fieldInvalid, { field: 52 });
  });

  it('refuses a message over ISO8583_MESSAGE_BYTES_MAX before reading it', () => {
    throwsISO8583(() => decodeISO8583(new Uint8Array(ISO8583_MESSAGE_BYTES_MAX + 1), ISO8583_BCD_DIALECT), ISO8583ErrorCode.limit);
  });

  it('copies binary values: changing the input afterwards changes nothing', () => {
    const received = encodeISO8583(message('0100', [[52, fromHex('0123456789ABCDEF')]]), ISO8583_BCD_DIALECT);
    const decoded = decodeISO8583(received, ISO8583_BCD_DIALECT);
    received.fill(0);
    assert.equal(toHex(decoded.fields.get(52) as Uint8Array), '0123456789ABCDEF');
  });
});

describe('ISO 8583 field 55 carries EMV data as BER-TLV', () => {
  it('round-trips constructed templates (issuer scripts, 71/72) in field 55', () => {
    const scripts = encodeTLV([
      primitiveNode(0x91, fromHex('0102030405060708')),
      constructedNode(0x71, [primitiveNode(0x9f18, fromHex('00000001')), primitiveNode(0x86, fromHex('8424000008AABBCCDDEEFF0011'))]),
    ]);
    const response = message('0110', [[39, '00'], [55, scripts]]);
    for (const dialect of [ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT] as ISO8583Dialect[]) {
      assert.deepEqual(decodeISO8583(encodeISO8583(response, dialect), dialect), response);
    }
  });
});
