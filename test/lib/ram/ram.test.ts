import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  BadFormat, RAM_RESPONSE_BYTES_MAX, RAM_SCRIPT_BYTES_MAX, RAM_SCRIPT_COMMANDS_MAX, RAMErrorCode, RAM_TRUNCATED_STATUS_WORD, badFormatOf,
  decodeCommandScript, decodeResponseScript, describeBadFormat, encodeCommandScript, encodeResponseScript, responseContinuesScript,
  statusWordContinuesScript, trailingStatusWord, type ResponseScript,
} from '../../../src/lib/ram/index.js';

// --- Vectors: a captured session and constructed goldens, sources named in vectors.json -----------

interface Vectors {
  readonly captured: {
    readonly exchanges: readonly { step: string; commandScript: string; commands: string[]; responseScript?: string; responses?: string[] }[];
  };
  readonly constructed: {
    readonly commandScripts: readonly { hex: string; commands: string[] }[];
    readonly responseScripts: readonly (Omit<ResponseScript, 'responses'> & { hex: string; responses: string[] })[];
    readonly longForms: { commandPrefix: string; responsePrefix: string };
  };
}

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;

function hexList(list: readonly Uint8Array[]): string[] {
  return list.map((bytes) => toHex(bytes));
}

function throwsRAM(action: () => unknown, code: string, badFormat?: number, offset?: number): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (badFormat !== undefined) assert.equal(error.details?.['badFormat'], badFormat, error.message);
    if (offset !== undefined) assert.equal(error.details?.['offset'], offset, error.message);
    return true;
  });
}

describe('expanded remote format: captured session (indefinite length coding)', () => {
  for (const exchange of vectors.captured.exchanges) {
    it(`decodes the command script of "${exchange.step}"`, () => {
      const script = decodeCommandScript(fromHex(exchange.commandScript));
      assert.equal(script.lengthCoding, 'indefinite');
      assert.deepEqual(hexList(script.commands), exchange.commands);
      // Tessera always answers with the definite form of the same commands.
      const definite = encodeCommandScript(script.commands);
      assert.equal(definite[0], 0xaa);
      assert.deepEqual(hexList(decodeCommandScript(definite).commands), exchange.commands);
    });
    if (exchange.responseScript !== undefined) {
      it(`decodes the card's response script of "${exchange.step}"`, () => {
        const script = decodeResponseScript(fromHex(exchange.responseScript ?? ''));
        assert.equal(script.lengthCoding, 'indefinite');
        assert.deepEqual(hexList(script.responses), exchange.responses);
        // The indefinite coding has no executed-count object: the count is the number of R-APDUs.
        assert.equal(script.executedCount, exchange.responses?.length);
      });
    }
  }
});

describe('expanded remote format: constructed goldens (definite length coding)', () => {
  for (const vector of vectors.constructed.commandScripts) {
    it(`encodes and decodes the command script ${vector.hex}`, () => {
      const commands = vector.commands.map(fromHex);
      assert.equal(toHex(encodeCommandScript(commands)), vector.hex);
      const decoded = decodeCommandScript(fromHex(vector.hex));
      assert.equal(decoded.lengthCoding, 'definite');
      assert.deepEqual(hexList(decoded.commands), vector.commands);
    });
  }
  for (const vector of vectors.constructed.responseScripts) {
    it(`encodes and decodes the response script ${vector.hex}`, () => {
      const { hex, responses, ...rest } = vector;
      const script: ResponseScript = { ...rest, responses: responses.map(fromHex) };
      assert.equal(toHex(encodeResponseScript(script)), hex);
      assert.deepEqual(decodeResponseScript(fromHex(hex)), { ...script, lengthCoding: 'definite' });
    });
  }
  it('uses long-form lengths for a 200-byte command and a 200-byte response', () => {
    const command = concatBytes(fromHex('80F24000C3'), Uint8Array.from({ length: 195 }, (_, i) => i));
    const encoded = encodeCommandScript([command]);
    assert.equal(toHex(encoded.subarray(0, 6)), vectors.constructed.longForms.commandPrefix);
    assert.deepEqual(decodeCommandScript(encoded).commands, [command]);
    const response = concatBytes(Uint8Array.from({ length: 198 }, (_, i) => i), fromHex('9000'));
    const answer = encodeResponseScript({ executedCount: 1, responses: [response] });
    assert.equal(toHex(answer.subarray(0, 9)), vectors.constructed.longForms.responsePrefix);
    assert.deepEqual(decodeResponseScript(answer).responses, [response]);
  });
});

describe('expanded remote format: rules', () => {
  it('encodes counts of 128 and more as positive INTEGERs and reads a bare byte as unsigned', () => {
    const responses = Array.from({ length: 200 }, () => fromHex('9000'));
    const encoded = encodeResponseScript({ executedCount: 200, responses });
    // AB 82 0324 (4 + 200 × 4 bytes), then the count: 80 02 00C8.
    assert.equal(toHex(encoded.subarray(0, 8)), 'AB820324800200C8');
    assert.equal(decodeResponseScript(encoded).executedCount, 200);
    assert.equal(decodeResponseScript(fromHex('AB038001C8')).executedCount, 200);
  });
  it('accepts an empty command script and an empty response', () => {
    assert.equal(toHex(encodeCommandScript([])), 'AA00');
    assert.deepEqual(decodeCommandScript(fromHex('AA00')).commands, []);
    assert.deepEqual(decodeCommandScript(fromHex('AE800000')).commands, []);
    assert.deepEqual(decodeResponseScript(fromHex('AB03800100')), { executedCount: 0, responses: [], lengthCoding: 'definite' });
  });
  it('names the Bad format value of each kind of fault (TS 102 226 table 5.12)', () => {
    throwsRAM(() => decodeCommandScript(fromHex('AA0423020000')), RAMErrorCode.badFormat, BadFormat.unknownTag, 2);
    throwsRAM(() => decodeCommandScript(fromHex('AB00')), RAMErrorCode.badFormat, BadFormat.unknownTag, 0);
    throwsRAM(() => decodeCommandScript(fromHex('AA06220580CA0085')), RAMErrorCode.badFormat, BadFormat.wrongLength, 2);
    throwsRAM(() => decodeCommandScript(fromHex('AA0122')), RAMErrorCode.badFormat, BadFormat.lengthNotFound, 3);
    throwsRAM(() => decodeCommandScript(fromHex('AA')), RAMErrorCode.badFormat, BadFormat.lengthNotFound, 1);
    throwsRAM(() => decodeCommandScript(fromHex('')), RAMErrorCode.badFormat, BadFormat.lengthNotFound, 0);
    throwsRAM(() => decodeCommandScript(fromHex('AA03220180')), RAMErrorCode.badFormat, BadFormat.wrongLength, 2); // 1-byte C-APDU
    throwsRAM(() => decodeCommandScript(fromHex('AA0022')), RAMErrorCode.badFormat, BadFormat.wrongLength, 2); // trailing byte
    throwsRAM(() => decodeCommandScript(fromHex('AE80220480000000')), RAMErrorCode.badFormat, BadFormat.lengthNotFound, 8); // no 00 00
    throwsRAM(() => decodeCommandScript(fromHex('AE8022048000000000')), RAMErrorCode.badFormat, BadFormat.wrongLength, 8); // half an end-of-contents
    throwsRAM(() => decodeCommandScript(fromHex('AE80000000')), RAMErrorCode.badFormat, BadFormat.wrongLength, 2); // bytes after 00 00
    throwsRAM(() => decodeCommandScript(fromHex('AE0422028000')), RAMErrorCode.badFormat, BadFormat.wrongLength, 1);
    throwsRAM(() => decodeCommandScript(fromHex('AA0422808000')), RAMErrorCode.badFormat, BadFormat.wrongLength, 3);
    throwsRAM(() => decodeResponseScript(fromHex('AB0423029000')), RAMErrorCode.badFormat, BadFormat.unknownTag, 2); // no count
    throwsRAM(() => decodeResponseScript(fromHex('AB058001012301')), RAMErrorCode.badFormat, BadFormat.wrongLength);
    throwsRAM(() => decodeResponseScript(fromHex('AB0880010190010190 0101'.replace(/ /g, ''))), RAMErrorCode.badFormat, BadFormat.wrongLength);
    throwsRAM(() => decodeResponseScript(fromHex('AB09800101900101900101')), RAMErrorCode.badFormat, BadFormat.unknownTag, 8);
    assert.equal(describeBadFormat(BadFormat.lengthNotFound), 'length not found');
  });
  it('refuses Immediate Action, Error Action and Script Chaining objects as unsupported (answered as unknown tags)', () => {
    for (const tag of ['81', '82', '83']) {
      assert.throws(() => decodeCommandScript(fromHex(`AA03${tag}0101`)), (error: unknown) => {
        assert.ok(error instanceof TesseraError);
        assert.equal(error.code, RAMErrorCode.unsupported);
        assert.equal(badFormatOf(error), BadFormat.unknownTag);
        return true;
      });
    }
  });
  it('enforces the limits on commands per script and bytes per script', () => {
    const tooMany = Array.from({ length: RAM_SCRIPT_COMMANDS_MAX + 1 }, () => fromHex('00A40000'));
    throwsRAM(() => encodeCommandScript(tooMany), RAMErrorCode.limit);
    // 256 C-APDU TLVs of 6 bytes: AA 82 0600 and 1536 bytes of objects.
    const items = concatBytes(...tooMany.map(() => fromHex('220400A40000')));
    throwsRAM(() => decodeCommandScript(concatBytes(fromHex('AA820600'), items)), RAMErrorCode.limit);
    throwsRAM(() => decodeCommandScript(new Uint8Array(RAM_SCRIPT_BYTES_MAX + 1)), RAMErrorCode.limit);
    const big = new Uint8Array(RAM_RESPONSE_BYTES_MAX);
    throwsRAM(() => encodeResponseScript({ executedCount: 2, responses: [big, big] }), RAMErrorCode.limit);
    throwsRAM(() => encodeResponseScript({ executedCount: 256, responses: [] }), RAMErrorCode.limit);
    throwsRAM(() => encodeCommandScript([fromHex('00A4')]), 'ERR_APDU_MALFORMED');
  });
  it('continues a script after 9000, 61xx, 62xx and 63xx only', () => {
    for (const sw of [0x9000, 0x6110, 0x6283, RAM_TRUNCATED_STATUS_WORD, 0x63c2]) assert.equal(statusWordContinuesScript(sw), true);
    for (const sw of [0x6a82, 0x6982, 0x6d00, 0x6f00, 0x9100, 0x6400]) assert.equal(statusWordContinuesScript(sw), false);
  });
  it('reads the status word at the end of a response APDU; one too short to hold one stops the script', () => {
    assert.equal(trailingStatusWord(fromHex('01026A82')), 0x6a82);
    assert.equal(responseContinuesScript(fromHex('0102039000')), true);
    assert.equal(responseContinuesScript(fromHex('6310')), true);
    assert.equal(responseContinuesScript(fromHex('6A88')), false);
    assert.equal(responseContinuesScript(fromHex('90')), false);
    assert.equal(responseContinuesScript(new Uint8Array(0)), false);
  });
});

// --- Properties ------------------------------------------------------------------------------------

const commandArbitrary = fc.uint8Array({ minLength: 4, maxLength: 300 });
const responseArbitrary = fc.uint8Array({ minLength: 2, maxLength: 300 });
const optionalByte = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });
const responseScriptArbitrary = fc
  .record({
    responses: fc.array(responseArbitrary, { maxLength: 12 }),
    extra: fc.integer({ min: 0, max: 3 }),
    badFormat: optionalByte,
    immediateActionResponse: optionalByte,
    scriptChainingResponse: optionalByte,
  })
  .map(({ responses, extra, badFormat, immediateActionResponse, scriptChainingResponse }): ResponseScript => ({
    executedCount: responses.length + extra,
    responses,
    ...(badFormat === undefined ? {} : { badFormat }),
    ...(immediateActionResponse === undefined ? {} : { immediateActionResponse }),
    ...(scriptChainingResponse === undefined ? {} : { scriptChainingResponse }),
  }));

/** Any failure must be a TesseraError from the codec: never a RangeError, never an assertion. */
function onlyTesseraErrors(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof TesseraError, `unexpected ${String(error)}`);
    assert.ok((Object.values(RAMErrorCode) as string[]).includes(error.code), error.code);
  }
}

describe('expanded remote format: properties', () => {
  it('decode(encode(commands)) returns the commands', () => {
    fc.assert(fc.property(fc.array(commandArbitrary, { maxLength: 20 }), (commands) => {
      assert.deepEqual(decodeCommandScript(encodeCommandScript(commands)).commands, commands);
    }));
  });
  it('decode(encode(response script)) returns the script', () => {
    fc.assert(fc.property(responseScriptArbitrary, (script) => {
      assert.deepEqual(decodeResponseScript(encodeResponseScript(script)), { ...script, lengthCoding: 'definite' });
    }));
  });
  it('the indefinite form of the same objects decodes to the same commands', () => {
    fc.assert(fc.property(fc.array(commandArbitrary, { maxLength: 10 }), (commands) => {
      const definite = encodeCommandScript(commands);
      const headerBytes = definite[1] === undefined || definite[1] < 0x80 ? 2 : 2 + (definite[1] & 0x7f);
      const indefinite = concatBytes(fromHex('AE80'), definite.subarray(headerBytes), fromHex('0000'));
      assert.deepEqual(decodeCommandScript(indefinite).commands, commands);
    }));
  });
  it('random bytes make the decoders return or throw a codec TesseraError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      onlyTesseraErrors(() => decodeCommandScript(bytes));
      onlyTesseraErrors(() => decodeResponseScript(bytes));
    }), { numRuns: 2000 });
  });
  it('random bytes behind a valid template tag and length do the same', () => {
    fc.assert(fc.property(fc.constantFrom(0xaa, 0xae, 0xab, 0xaf), fc.uint8Array({ maxLength: 200 }), (tag, body) => {
      const bytes = concatBytes(Uint8Array.of(tag), tag === 0xae || tag === 0xaf ? Uint8Array.of(0x80) : Uint8Array.of(Math.min(body.length, 0x7f)), body);
      onlyTesseraErrors(() => decodeCommandScript(bytes));
      onlyTesseraErrors(() => decodeResponseScript(bytes));
    }), { numRuns: 2000 });
  });
  it('truncating or flipping a byte of a valid script never escapes as another error', () => {
    fc.assert(fc.property(fc.array(commandArbitrary, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (commands, at, value) => {
      const encoded = encodeCommandScript(commands);
      const index = at % encoded.length;
      onlyTesseraErrors(() => decodeCommandScript(encoded.subarray(0, index)));
      const flipped = encoded.slice();
      flipped[index] = value;
      onlyTesseraErrors(() => decodeCommandScript(flipped));
    }));
  });
});
