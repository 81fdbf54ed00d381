import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  APDU_COMMAND_BYTES_MAX, APDU_DATA_BYTES_MAX, APDU_RESPONSE_BYTES_MAX, APDU_RESPONSE_DATA_BYTES_MAX, commandCaseOf,
  decodeCLA, encodeCLA, encodeCommandAPDU, encodeResponseAPDU, isValidINS, parseCommandAPDU, parseResponseAPDU,
} from '../../src/lib/apdu.js';
import type { ClassByte, CommandAPDU } from '../../src/lib/apdu.js';
import { concatBytes, fromHex, toHex } from '../../src/lib/bytes.js';
import { TesseraError } from '../../src/lib/errors.js';

interface TranscriptFixture {
  readonly source: string;
  readonly exchanges: readonly { step: string; command: string; response: string }[];
}

const transcripts = [
  'mastercard-debit-contactless.json',
  'girocard-contactless.json',
  'javaemvreader-visa-bankaxept-contact.json',
].map((name) => JSON.parse(readFileSync(new URL(`../fixtures/emv/${name}`, import.meta.url), 'utf8')) as TranscriptFixture);

function throwsMalformed(action: () => unknown): void {
  assert.throws(action, (error: unknown) => error instanceof TesseraError && error.code === 'ERR_APDU_MALFORMED');
}

describe('command APDUs on real captures', () => {
  it('parses every real command and re-encodes it byte for byte', () => {
    for (const { exchanges } of transcripts) {
      for (const { step, command } of exchanges) {
        const parsed = parseCommandAPDU(fromHex(command));
        assert.equal(toHex(encodeCommandAPDU(parsed)), command, step);
        assert.equal(parsed.extended, false, `${step}: payment cards use short lengths`);
      }
    }
  });

  it('reads SELECT PPSE as case 4S with Le 00 meaning 256', () => {
    const select = parseCommandAPDU(fromHex('00A404000E325041592E5359532E444446303100'));
    assert.deepEqual({ ...select, data: toHex(select.data) }, {
      cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: '325041592E5359532E4444463031', le: 256, extended: false,
    });
    assert.equal(commandCaseOf(select), '4S');
  });

  it('reads READ RECORD, GET DATA and an empty SELECT as case 2S', () => {
    for (const hex of ['00B2011400', '80CA9F3600', '00A4040000']) {
      const command = parseCommandAPDU(fromHex(hex));
      assert.equal(commandCaseOf(command), '2S', hex);
      assert.equal(command.le, 256, hex);
      assert.equal(command.data.length, 0, hex);
    }
    // GET PROCESSING OPTIONS with an empty PDOL is case 4S with two data bytes (83 00).
    const gpo = parseCommandAPDU(fromHex('80A8000002830000'));
    assert.equal(commandCaseOf(gpo), '4S');
    assert.equal(toHex(gpo.data), '8300');
  });
});

describe('command APDU cases (ISO/IEC 7816-4 §5.1)', () => {
  // Constructed examples, one per case.
  const cases: [string, string, Partial<Record<'le' | 'dataLength', number>>][] = [
    ['1', '80F28000', {}],
    ['2S', '80CA9F7F00', { le: 256 }],
    ['2S', '80CA9F7F2D', { le: 0x2d }],
    ['3S', '84F2200203AABBCC', { dataLength: 3 }],
    ['4S', '00A4040005A00000000300', { dataLength: 5, le: 256 }],
    ['2E', '00B00000000000', { le: 65_536 }],
    ['2E', '00B00000000100', { le: 256 }],
    ['3E', '80E8000000000301020' + '3', { dataLength: 3 }],
    ['4E', '80E80000000003010203FFFF', { dataLength: 3, le: 65_535 }],
    ['4E', '80E800000000030102030000', { dataLength: 3, le: 65_536 }],
  ];

  it('parses and re-encodes each case', () => {
    for (const [expectedCase, hex, { le, dataLength }] of cases) {
      const command = parseCommandAPDU(fromHex(hex));
      assert.equal(commandCaseOf(command), expectedCase, hex);
      assert.equal(command.le, le, hex);
      assert.equal(command.data.length, dataLength ?? 0, hex);
      assert.equal(command.extended, expectedCase.endsWith('E'), hex);
      assert.equal(toHex(encodeCommandAPDU(command)), hex);
    }
  });

  it('handles the largest extended command', () => {
    const data = new Uint8Array(APDU_DATA_BYTES_MAX).fill(0x5a);
    const encoded = encodeCommandAPDU({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data, le: APDU_RESPONSE_DATA_BYTES_MAX });
    assert.equal(encoded.length, APDU_COMMAND_BYTES_MAX);
    const parsed = parseCommandAPDU(encoded);
    assert.equal(commandCaseOf(parsed), '4E');
    assert.equal(parsed.data.length, APDU_DATA_BYTES_MAX);
    throwsMalformed(() => parseCommandAPDU(concatBytes(encoded, fromHex('00'))));
  });

  it('picks short length fields when they fit, extended ones when they must, or as told', () => {
    const base = { cla: 0x80, ins: 0xe8, p1: 0x00, p2: 0x00 };
    assert.equal(toHex(encodeCommandAPDU({ ...base, data: fromHex('01'), le: 256 })), '80E80000010100');
    assert.equal(toHex(encodeCommandAPDU({ ...base, data: new Uint8Array(0), le: 257 })), '80E80000000101');
    assert.equal(encodeCommandAPDU({ ...base, data: new Uint8Array(256) }).length, 4 + 3 + 256);
    assert.equal(toHex(encodeCommandAPDU({ ...base, data: fromHex('01'), extended: true })), '80E8000000000101');
    throwsMalformed(() => encodeCommandAPDU({ ...base, data: new Uint8Array(256), extended: false }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, data: new Uint8Array(0), le: 257, extended: false }));
    assert.equal(commandCaseOf({ ...base, data: new Uint8Array(300) }), '3E');
  });

  it('refuses inconsistent Lc and Le fields (a card answers 6700)', () => {
    for (const hex of [
      '', '00', '00A404', // shorter than a header
      '00A4040005A0000000', // Lc 5, 4 data bytes
      '00A4040005A000000003100000', // Lc 5, 5 data bytes and 2 more
      '00A404000000', // '00' then one byte: neither short nor extended
      '00B000000000000000', // extended Lc 0000
      '80E8000000000301', // extended Lc 3, 1 data byte
      '80E80000000003010203FF', // extended Lc 3, data and a 1-byte Le
      '80E80000000003010203FFFFFF', // extended Lc 3, data and 3 bytes
    ]) {
      throwsMalformed(() => parseCommandAPDU(fromHex(hex)));
    }
    throwsMalformed(() => parseCommandAPDU(new Uint8Array(APDU_COMMAND_BYTES_MAX + 1)));
  });

  it('refuses to encode out-of-range fields', () => {
    const base = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: new Uint8Array(0) };
    throwsMalformed(() => encodeCommandAPDU({ ...base, cla: 0x100 }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, p2: -1 }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, le: 0 }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, le: 65_537 }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, le: 1.5 }));
    throwsMalformed(() => encodeCommandAPDU({ ...base, data: new Uint8Array(APDU_DATA_BYTES_MAX + 1) }));
  });

  it('copies the data field out of the received bytes', () => {
    const received = fromHex('00A4040007A000000004101000');
    const command = parseCommandAPDU(received);
    received.fill(0xff);
    assert.equal(toHex(command.data), 'A0000000041010');
  });
});

describe('response APDUs', () => {
  it('splits every real response into data and status word, and re-encodes it', () => {
    const statusWords = new Set<number>();
    for (const { exchanges } of transcripts) {
      for (const { step, response } of exchanges) {
        const parsed = parseResponseAPDU(fromHex(response));
        statusWords.add(parsed.sw);
        assert.equal(toHex(encodeResponseAPDU(parsed)), response, step);
      }
    }
    assert.deepEqual([...statusWords].sort(), [0x6a81, 0x6a82, 0x6a83, 0x9000]);
    const notFound = parseResponseAPDU(fromHex('6A82'));
    assert.equal(notFound.data.length, 0);
  });

  it('refuses responses without a valid status word', () => {
    throwsMalformed(() => parseResponseAPDU(fromHex('90')));
    throwsMalformed(() => parseResponseAPDU(fromHex('6F006000'))); // SW1 '60' is the T=0 NULL byte
    throwsMalformed(() => parseResponseAPDU(fromHex('1234')));
    throwsMalformed(() => parseResponseAPDU(new Uint8Array(APDU_RESPONSE_BYTES_MAX + 1)));
    throwsMalformed(() => encodeResponseAPDU({ data: new Uint8Array(0), sw: 0x10000 }));
    throwsMalformed(() => encodeResponseAPDU({ data: new Uint8Array(APDU_RESPONSE_DATA_BYTES_MAX + 1), sw: 0x9000 }));
  });
});

describe('class and instruction bytes (ISO/IEC 7816-4 §5.4)', () => {
  it('decodes the interindustry and GlobalPlatform class bytes', () => {
    const expected: [number, ClassByte | undefined][] = [
      [0x00, { interindustry: true, logicalChannel: 0, secureMessaging: 'none', chaining: false }],
      [0x03, { interindustry: true, logicalChannel: 3, secureMessaging: 'none', chaining: false }],
      [0x04, { interindustry: true, logicalChannel: 0, secureMessaging: 'proprietary', chaining: false }],
      [0x08, { interindustry: true, logicalChannel: 0, secureMessaging: 'header-not-authenticated', chaining: false }],
      [0x0c, { interindustry: true, logicalChannel: 0, secureMessaging: 'header-authenticated', chaining: false }],
      [0x10, { interindustry: true, logicalChannel: 0, secureMessaging: 'none', chaining: true }],
      [0x40, { interindustry: true, logicalChannel: 4, secureMessaging: 'none', chaining: false }],
      [0x4f, { interindustry: true, logicalChannel: 19, secureMessaging: 'none', chaining: false }],
      [0x61, { interindustry: true, logicalChannel: 5, secureMessaging: 'header-not-authenticated', chaining: false }],
      [0x50, { interindustry: true, logicalChannel: 4, secureMessaging: 'none', chaining: true }],
      [0x7f, { interindustry: true, logicalChannel: 19, secureMessaging: 'header-not-authenticated', chaining: true }],
      // GlobalPlatform: '80'-'83' plain, '84'-'87' secure messaging, 'C0'-'CF', 'E0'-'EF' further channels.
      [0x80, { interindustry: false, logicalChannel: 0, secureMessaging: 'none', chaining: false }],
      [0x84, { interindustry: false, logicalChannel: 0, secureMessaging: 'proprietary', chaining: false }],
      [0x91, { interindustry: false, logicalChannel: 1, secureMessaging: 'none', chaining: true }],
      [0xc1, { interindustry: false, logicalChannel: 5, secureMessaging: 'none', chaining: false }],
      [0xe2, { interindustry: false, logicalChannel: 6, secureMessaging: 'header-not-authenticated', chaining: false }],
      [0x20, undefined], [0x3f, undefined], [0xa0, undefined], [0xbf, undefined], [0xff, undefined], [0x100, undefined],
    ];
    for (const [cla, classByte] of expected) assert.deepEqual(decodeCLA(cla), classByte, cla.toString(16));
  });

  it('encodes class bytes as the inverse of decoding', () => {
    for (let cla = 0; cla <= 0xff; cla++) {
      const decoded = decodeCLA(cla);
      if (decoded !== undefined) assert.equal(encodeCLA(decoded), cla, cla.toString(16));
    }
    throwsMalformed(() => encodeCLA({ interindustry: true, logicalChannel: 20, secureMessaging: 'none', chaining: false }));
    throwsMalformed(() => encodeCLA({ interindustry: true, logicalChannel: 4, secureMessaging: 'header-authenticated', chaining: false }));
  });

  it('knows INS 6X and 9X are invalid', () => {
    assert.equal(isValidINS(0xa4), true);
    assert.equal(isValidINS(0xca), true);
    assert.equal(isValidINS(0x60), false);
    assert.equal(isValidINS(0x9f), false);
    assert.equal(isValidINS(0x100), false);
  });
});

// --- Properties ----------------------------------------------------------------------------------

const byte = fc.integer({ min: 0, max: 0xff });
const commandArbitrary: fc.Arbitrary<CommandAPDU> = fc
  .record({
    cla: byte, ins: byte, p1: byte, p2: byte,
    data: fc.oneof(
      { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 60_000, maxLength: APDU_DATA_BYTES_MAX }) },
    ),
    le: fc.option(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: APDU_RESPONSE_DATA_BYTES_MAX })), { nil: undefined }),
    extendedIfPossible: fc.boolean(),
  })
  .map(({ cla, ins, p1, p2, data, le, extendedIfPossible }) => {
    const isCase1 = data.length === 0 && le === undefined;
    const needsExtended = data.length > 255 || (le ?? 0) > 256;
    const extended = !isCase1 && (needsExtended || extendedIfPossible);
    return le === undefined ? { cla, ins, p1, p2, data, extended } : { cla, ins, p1, p2, data, le, extended };
  });

describe('APDU properties', () => {
  it('parse(encode(command)) returns the command', () => {
    fc.assert(
      fc.property(commandArbitrary, (command) => {
        const parsed = parseCommandAPDU(encodeCommandAPDU(command));
        assert.deepStrictEqual({ ...parsed, data: toHex(parsed.data) }, { ...command, data: toHex(command.data) });
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes either parse, and then re-encode to the same bytes, or fail with ERR_APDU_MALFORMED', () => {
    const apduLike = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      // A header, a plausible length field and a body of about the announced size.
      fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constantFrom(0, 1, 2, 3, 5), fc.uint8Array({ maxLength: 12 }))
        .map(([header, first, rest]) => concatBytes(header, Uint8Array.of(first === 0 ? 0 : rest.length - first), rest)),
    );
    fc.assert(
      fc.property(apduLike, (bytes) => {
        let parsed: CommandAPDU;
        try {
          parsed = parseCommandAPDU(bytes);
        } catch (error) {
          assert.ok(error instanceof TesseraError && error.code === 'ERR_APDU_MALFORMED', String(error));
          return;
        }
        assert.equal(toHex(encodeCommandAPDU(parsed)), toHex(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('responses round-trip and random bytes fail only with ERR_APDU_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          assert.equal(toHex(encodeResponseAPDU(parseResponseAPDU(bytes))), toHex(bytes));
        } catch (error) {
          assert.ok(error instanceof TesseraError && error.code === 'ERR_APDU_MALFORMED', String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
