import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCommandAPDU, parseResponseAPDU } from '../../src/lib/apdu.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/lib/bytes.js';
import { TesseraError } from '../../src/lib/errors.js';
import {
  buildDOLData, constructedNode, decodeDOL, decodeSingleTLV, decodeTLV, encodeDOL, encodeTLV, findAllTags, findPath,
  findTag, isConstructedTag, isValidTag, primitiveNode, tagClassOf, tagFromHex, tagToHex, TLV_BYTES_MAX,
  TLV_DEPTH_MAX, TLV_NODES_MAX,
} from '../../src/lib/tlv/index.js';
import type { DOLEntry, DOLValue, TLVNode } from '../../src/lib/tlv/index.js';

// --- Fixtures: real captures, sources named in each file -----------------------------------------

interface Exchange {
  readonly step: string;
  readonly command: string;
  readonly response: string;
}
interface TranscriptFixture {
  readonly source: string;
  readonly exchanges: readonly Exchange[];
}

function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/emv/${name}`, import.meta.url), 'utf8')) as T;
}

const mastercard = loadFixture<TranscriptFixture>('mastercard-debit-contactless.json');
const girocard = loadFixture<TranscriptFixture>('girocard-contactless.json');
const javaEMVReader = loadFixture<TranscriptFixture>('javaemvreader-visa-bankaxept-contact.json');
const pseRecord = loadFixture<{ source: string; data: string }>('javaemvreader-pse-record.json');
const maestro = loadFixture<Record<'source' | 'pseFci' | 'pseRecord' | 'applicationFci' | 'gpoResponse' | 'logFormat', string>>(
  'emv-tools-maestro.json',
);
const transcripts = [mastercard, girocard, javaEMVReader];

function exchange(fixture: TranscriptFixture, stepStart: string): Exchange {
  const found = fixture.exchanges.find((candidate) => candidate.step.startsWith(stepStart));
  assert.ok(found, `fixture has a step starting with ${stepStart}`);
  return found;
}

/** The response data field of an exchange, after checking SW 9000. */
function responseData(fixture: TranscriptFixture, stepStart: string): Uint8Array {
  const response = parseResponseAPDU(fromHex(exchange(fixture, stepStart).response));
  assert.equal(response.sw, 0x9000);
  return response.data;
}

function valueAt(nodes: readonly TLVNode[], path: readonly number[]): string {
  const node = findPath(nodes, path);
  assert.ok(node, `path ${path.map(tagToHex).join('/')} exists`);
  return toHex(node.value);
}

function throwsTessera(action: () => unknown, code: string, offset?: number): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `expected a TesseraError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (offset !== undefined) {
      assert.equal(error.details?.['offset'], offset, error.message);
      assert.match(error.message, new RegExp(`offset ${offset}\\b`));
    }
    return true;
  });
}

/** Nested constructed objects `depth` deep, built by hand (the encoder refuses to go past its limit). */
function nestedTemplates(depth: number): Uint8Array {
  let inner: Uint8Array = new Uint8Array(0);
  for (let level = 0; level < depth; level++) {
    const length = inner.length;
    const lengthField = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
    inner = concatBytes(Uint8Array.of(0x70, ...lengthField), inner);
  }
  return inner;
}

// --- Real records ------------------------------------------------------------------------------

describe('BER-TLV on real EMV captures', () => {
  it('decodes every response data field and re-encodes the unpadded ones byte for byte', () => {
    let decoded = 0;
    for (const fixture of transcripts) {
      for (const { step, response } of fixture.exchanges) {
        const { data } = parseResponseAPDU(fromHex(response));
        if (data.length === 0) continue;
        const node = decodeSingleTLV(data);
        decoded++;
        if (step.includes('padding')) {
          assert.ok(encodeTLV([node]).length < data.length, `${step}: padding is dropped on re-encoding`);
        } else {
          assert.equal(toHex(encodeTLV([node])), toHex(data), step);
        }
      }
    }
    assert.ok(decoded >= 20);
  });

  it('reads the FCI of SELECT PPSE: DF name 2PAY.SYS.DDF01 and the application template (Mastercard)', () => {
    const fci = decodeTLV(responseData(mastercard, 'SELECT PPSE'));
    assert.equal(fci.length, 1);
    assert.equal(fci[0]?.tag, 0x6f);
    assert.equal(valueAt(fci, [0x6f, 0x84]), toHex(utf8('2PAY.SYS.DDF01')));
    assert.equal(valueAt(fci, [0x6f, 0x84]), '325041592E5359532E4444463031');
    assert.equal(valueAt(fci, [0x6f, 0xa5, 0xbf0c, 0x61, 0x4f]), 'A0000000041010');
    assert.equal(Buffer.from(fromHex(valueAt(fci, [0x6f, 0xa5, 0xbf0c, 0x61, 0x50]))).toString('latin1'), 'Debit MasterCard');
    assert.equal(valueAt(fci, [0x6f, 0xa5, 0xbf0c, 0x61, 0x87]), '01');
  });

  it('lists the three applications of a girocard PPSE in document order', () => {
    const fci = decodeTLV(responseData(girocard, 'SELECT PPSE'));
    assert.deepEqual(
      findAllTags(fci, 0x4f).map((node) => toHex(node.value)),
      ['A00000005945430100', 'A0000003591010028001', 'D27600002547410100'],
    );
    assert.equal(findAllTags(fci, 0x61).length, 3);
    // findPath tries every 61 template; a path that only the second one completes is still found.
    assert.equal(findPath(fci, [0x6f, 0xa5, 0xbf0c, 0x61, 0x9f0a])?.value.length, 8);
    assert.equal(findPath(fci, [0x6f, 0xbf0c]), undefined, 'BF0C is not a direct child of 6F');
  });

  it('reads the FCI of SELECT AID with its PDOL (Mastercard and girocard)', () => {
    const mastercardFCI = decodeTLV(responseData(mastercard, 'SELECT AID'));
    assert.equal(valueAt(mastercardFCI, [0x6f, 0x84]), 'A0000000041010');
    assert.equal(findTag(mastercardFCI, 0x9f38), undefined, 'this Mastercard asks for no PDOL');
    assert.equal(Buffer.from(fromHex(valueAt(mastercardFCI, [0x6f, 0xa5, 0x5f2d]))).toString('latin1'), 'deen');

    const girocardFCI = decodeTLV(responseData(girocard, 'SELECT AID'));
    assert.equal(valueAt(girocardFCI, [0x6f, 0xa5, 0x9f38]), '9F02069F1D02');
    assert.equal(valueAt(girocardFCI, [0x6f, 0xa5, 0xbf0c, 0x9f4d]), '190A');
  });

  it('reads GET PROCESSING OPTIONS responses in format 2 (77) and format 1 (80)', () => {
    const format2 = decodeSingleTLV(responseData(mastercard, 'GET PROCESSING OPTIONS'));
    assert.equal(format2.tag, 0x77);
    assert.equal(valueAt([format2], [0x77, 0x82]), '1980');
    assert.equal(valueAt([format2], [0x77, 0x94]), '080101001001010120010200');

    // Format 1: one primitive 80 whose value is AIP (2 bytes) then AFL (4 bytes per entry).
    const format1 = decodeSingleTLV(responseData(javaEMVReader, 'GET PROCESSING OPTIONS with PDOL'));
    assert.equal(format1.tag, 0x80);
    assert.equal(format1.constructed, false);
    assert.equal(toHex(format1.value), '5C000801010008020501');
    const noPDOL = decodeSingleTLV(responseData(javaEMVReader, 'GET PROCESSING OPTIONS (no PDOL)'));
    assert.equal(toHex(noPDOL.value), '180008010100');

    const maestroGPO = decodeSingleTLV(fromHex(maestro.gpoResponse));
    assert.equal(valueAt([maestroGPO], [0x77, 0x94]), '0801050010010201');
  });

  it('reads READ RECORD templates with long-form lengths (81 E0, 81 C0)', () => {
    const record = decodeSingleTLV(responseData(mastercard, 'READ RECORD SFI 4 record 2'));
    assert.equal(record.tag, 0x70);
    assert.equal(record.value.length, 0xe0);
    assert.ok(record.constructed);
    assert.deepEqual(record.children.map((child) => tagToHex(child.tag)), ['8F', '9F32', '92', '90']);
    assert.equal(findTag([record], 0x90)?.value.length, 0xb0);

    const contactRecord = decodeSingleTLV(responseData(javaEMVReader, 'READ RECORD SFI 1 record 4'));
    assert.equal(contactRecord.value.length, 0xc0);
    assert.equal(valueAt([contactRecord], [0x70, 0x8f]), '07');
    assert.equal(findTag([contactRecord], 0x90)?.value.length, 0x90);
  });

  it('skips the 00 padding real cards leave inside a record, and can refuse it', () => {
    const padded = responseData(girocard, 'READ RECORD SFI 4 record 1');
    const record = decodeSingleTLV(padded);
    assert.ok(record.constructed);
    assert.equal(record.value.length, 0x33, 'the received value keeps its padding');
    assert.deepEqual(record.children.map((child) => tagToHex(child.tag)), ['9F47', '9F48']);
    assert.equal(valueAt([record], [0x70, 0x9f47]), '010001');
    assert.equal(toHex(encodeTLV([record])), '70139F47030100019F480A757271487E0B220C81CB');
    // First padding byte: after 70 33 (2), 9F47 03 010001 (6) and 9F48 0A + 10 bytes (13).
    throwsTessera(() => decodeTLV(padded, { padding: 'reject' }), 'ERR_TLV_MALFORMED', 21);

    const certificateRecord = decodeSingleTLV(responseData(girocard, 'READ RECORD SFI 3 record 1'));
    assert.ok(certificateRecord.constructed);
    assert.deepEqual(certificateRecord.children.map((child) => tagToHex(child.tag)), ['8F', '90', '9F32', '92']);
  });

  it('reads PSE directory records (contact cards)', () => {
    const record = decodeSingleTLV(fromHex(pseRecord.data));
    const labels = findAllTags([record], 0x50).map((node) => Buffer.from(node.value).toString('latin1'));
    assert.deepEqual(labels, ['PIN', 'MAESTRO', 'SecureCode Auth', 'Chipknip']);
    assert.equal(valueAt(decodeTLV(fromHex(maestro.pseRecord)), [0x70, 0x61, 0x4f]), 'A0000000043060');
    assert.equal(valueAt(decodeTLV(fromHex(maestro.pseFci)), [0x6f, 0xa5, 0x88]), '01');
    assert.equal(valueAt(decodeTLV(fromHex(maestro.applicationFci)), [0x6f, 0xa5, 0xbf0c, 0x9f4d]), '0B0A');
  });

  it('copies its input: changing the received bytes later changes no decoded value', () => {
    const received = responseData(mastercard, 'GET PROCESSING OPTIONS');
    const node = decodeSingleTLV(received);
    received.fill(0);
    assert.equal(valueAt([node], [0x77, 0x82]), '1980');
  });
});

// --- Data Object Lists -----------------------------------------------------------------------------

describe('Data Object Lists (EMV Book 3 §5.4)', () => {
  const terminalData: ReadonlyMap<number, DOLValue> = new Map<number, DOLValue>([
    [0x9f02, { value: fromHex('000000001000'), format: 'n' }], // Amount, Authorised: 10.00
    [0x9f1a, { value: fromHex('0826'), format: 'n' }], // Terminal Country Code: United Kingdom
    [0x5f2a, { value: fromHex('0826'), format: 'n' }], // Transaction Currency Code: GBP
  ]);
  const lookup = (tag: number): DOLValue | undefined => terminalData.get(tag);

  it('rebuilds the GET PROCESSING OPTIONS data the real terminals sent from the card PDOL', () => {
    const cases: [TranscriptFixture, string, string][] = [
      [girocard, 'SELECT AID', 'GET PROCESSING OPTIONS'],
      [javaEMVReader, 'SELECT AID A1234567891010', 'GET PROCESSING OPTIONS with PDOL'],
    ];
    for (const [fixture, select, gpo] of cases) {
      const pdol = findTag(decodeTLV(responseData(fixture, select)), 0x9f38);
      assert.ok(pdol);
      const built = buildDOLData(decodeDOL(pdol.value), lookup);
      const command = parseCommandAPDU(fromHex(exchange(fixture, gpo).command));
      // GPO data is the Command Template 83 around the PDOL data (EMV Book 3 §6.5.8.3).
      assert.equal(toHex(command.data), toHex(encodeTLV([primitiveNode(0x83, built)])), gpo);
    }
  });

  it('parses the CDOL1 and CDOL2 of a real record, and the Log Format DOL', () => {
    const record = decodeTLV(responseData(javaEMVReader, 'READ RECORD SFI 1 record 3'));
    const cdol1 = decodeDOL(findTag(record, 0x8c)?.value ?? new Uint8Array(0));
    assert.deepEqual(cdol1.map((entry) => `${tagToHex(entry.tag)}:${entry.length}`), [
      '9F02:6', '9F03:6', '9F1A:2', '95:5', '5F2A:2', '9A:3', '9C:1', '9F37:4',
    ]);
    assert.equal(cdol1.reduce((sum, entry) => sum + entry.length, 0), 29);
    const cdol2 = decodeDOL(findTag(record, 0x8d)?.value ?? new Uint8Array(0));
    assert.equal(cdol2[0]?.tag, 0x8a);
    assert.equal(cdol2.length, 9);
    assert.equal(toHex(encodeDOL(cdol1)), valueAt(record, [0x70, 0x8c]));

    const logFormat = decodeSingleTLV(fromHex(maestro.logFormat));
    assert.deepEqual(decodeDOL(logFormat.value).map((entry) => tagToHex(entry.tag)), [
      '9F27', '9F02', '5F2A', '9A', '9F36', '9F52',
    ]);
  });

  it('fits values to the DOL length by format: n on the left, cn with FF, others on the right', () => {
    // Constructed examples, one per rule of EMV Book 3 §5.4.
    const entries: DOLEntry[] = [
      { tag: 0x9f02, length: 4 }, // n, 6 bytes: keep the rightmost 4
      { tag: 0x9f03, length: 8 }, // n, 2 bytes: pad with leading 00
      { tag: 0x5a, length: 10 }, // cn, 8 bytes: pad with trailing FF
      { tag: 0x9f37, length: 2 }, // b, 4 bytes: keep the leftmost 2
      { tag: 0x9f4e, length: 5 }, // ans, 3 bytes: pad with trailing 00
      { tag: 0x9f7c, length: 3 }, // unknown to the terminal: 00s
      { tag: 0xbf0c, length: 2 }, // constructed: 00s even if a value is known
      { tag: 0x95, length: 0 }, // zero length: nothing
    ];
    const values = new Map<number, DOLValue>([
      [0x9f02, { value: fromHex('000000012345'), format: 'n' }],
      [0x9f03, { value: fromHex('0500'), format: 'n' }],
      [0x5a, { value: fromHex('5413330089020011'), format: 'cn' }],
      [0x9f37, { value: fromHex('A1B2C3D4'), format: 'b' }],
      [0x9f4e, { value: utf8('ABC'), format: 'ans' }],
      [0xbf0c, { value: fromHex('FFFF'), format: 'b' }],
      [0x95, { value: fromHex('8000000000'), format: 'b' }],
    ]);
    const built = buildDOLData(entries, (tag) => values.get(tag));
    assert.equal(
      toHex(built),
      ['00012345', '0000000000000500', '5413330089020011FFFF', 'A1B2', '4142430000', '000000', '0000'].join(''),
    );
  });

  it('refuses malformed DOLs with typed errors', () => {
    throwsTessera(() => decodeDOL(fromHex('9F02')), 'ERR_TLV_MALFORMED', 2); // length missing
    throwsTessera(() => decodeDOL(fromHex('9F0206 00 02')), 'ERR_TLV_MALFORMED', 3); // padding is not a tag
    throwsTessera(() => decodeDOL(fromHex('9F0280')), 'ERR_TLV_MALFORMED', 2); // indefinite length
    throwsTessera(() => decodeDOL(fromHex('9F02830100009F0301')), 'ERR_TLV_LIMIT', 0); // 65 536 bytes asked
    throwsTessera(() => decodeDOL(new Uint8Array(2 * 129).fill(0x01)), 'ERR_TLV_LIMIT', 256);
    throwsTessera(() => encodeDOL([{ tag: 0x9f, length: 1 }]), 'ERR_TLV_MALFORMED');
    throwsTessera(() => buildDOLData([{ tag: 0x9a, length: -1 }], () => undefined), 'ERR_TLV_MALFORMED');
  });

  it('round-trips arbitrary DOLs and always builds exactly the requested length', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(tagArbitrary(), fc.integer({ min: 0, max: 300 })).map(([tag, length]): DOLEntry => ({ tag, length })),
          { maxLength: 20 },
        ),
        fc.uint8Array({ maxLength: 40 }), fc.constantFrom<DOLValue['format']>('n', 'cn', 'b', 'an'),
        (entries, value, format) => {
          assert.deepEqual(decodeDOL(encodeDOL(entries)), entries);
          const built = buildDOLData(entries, () => ({ value, format }));
          assert.equal(built.length, entries.reduce((sum, entry) => sum + entry.length, 0));
        }),
      { numRuns: 1000 },
    );
  });
});

// --- Encoding rules and malformed input ----------------------------------------------------------

describe('BER-TLV encoding rules', () => {
  it('reads tags of one to four bytes and knows their class and constructed bit', () => {
    assert.equal(tagToHex(0x9f38), '9F38');
    assert.equal(tagFromHex('bf0c'), 0xbf0c);
    assert.equal(tagFromHex('DF8101'), 0xdf8101);
    assert.equal(isConstructedTag(0x70), true);
    assert.equal(isConstructedTag(0xbf0c), true);
    assert.equal(isConstructedTag(0x9f38), false);
    assert.equal(tagClassOf(0x4f), 'application');
    assert.equal(tagClassOf(0x9f38), 'context-specific');
    assert.equal(tagClassOf(0xdf8101), 'private');
    assert.equal(tagClassOf(0x30), 'universal');
    const fourByteTag = decodeSingleTLV(fromHex('DF81820301AA'));
    assert.equal(fourByteTag.tag, 0xdf818203);
    assert.equal(toHex(encodeTLV([fourByteTag])), 'DF81820301AA');
    for (const invalid of [0, 0x1f, 0x9f, 0xff01, 0x9f80, 0x9f8180, 0x9f0101, 0xdf81828384, -1, 1.5]) {
      assert.equal(isValidTag(invalid), false, String(invalid));
    }
    assert.throws(() => tagFromHex('9F'), TesseraError);
    assert.throws(() => tagFromHex('9F3801'), TesseraError);
  });

  it('reads short and long definite lengths (81, 82, 83, 84)', () => {
    const value = new Uint8Array(70_000).fill(0xa5);
    for (const [lengthField, size] of [['81FF', 255], ['820100', 256], ['83011170', 70_000], ['8400000080', 128]] as const) {
      const input = concatBytes(fromHex(`C1${lengthField}`), value.subarray(0, size));
      const [node] = decodeTLV(input, { bytesMax: 80_000 });
      assert.equal(node?.value.length, size, lengthField);
    }
    assert.equal(toHex(encodeTLV([primitiveNode(0xc1, new Uint8Array(256))])).slice(0, 8), 'C1820100');
    assert.equal(toHex(encodeTLV([primitiveNode(0xc1, new Uint8Array(127))])).slice(0, 4), 'C17F');
  });

  it('accepts non-minimal long-form lengths as BER does, unless asked for minimal lengths', () => {
    const nonMinimal = fromHex('9F02 81 06 000000001000');
    assert.equal(toHex(decodeSingleTLV(nonMinimal).value), '000000001000');
    assert.equal(toHex(encodeTLV(decodeTLV(nonMinimal))), '9F0206000000001000');
    throwsTessera(() => decodeTLV(nonMinimal, { lengths: 'minimal' }), 'ERR_TLV_MALFORMED', 2);
    throwsTessera(() => decodeTLV(fromHex('C1 82 0080'), { lengths: 'minimal' }), 'ERR_TLV_MALFORMED', 1);
  });

  it('refuses indefinite and over-long length fields', () => {
    throwsTessera(() => decodeTLV(fromHex('70 80 5A01 00 0000')), 'ERR_TLV_MALFORMED', 1);
    throwsTessera(() => decodeTLV(fromHex('C1 85 0000000001 AA')), 'ERR_TLV_MALFORMED', 1);
    throwsTessera(() => decodeTLV(fromHex('C1 FF')), 'ERR_TLV_MALFORMED', 1);
  });

  it('reports truncated tags, lengths and values at the offset of the fault', () => {
    const gpo = responseData(mastercard, 'GET PROCESSING OPTIONS');
    // Truncated value: the real GPO response without its last byte.
    throwsTessera(() => decodeTLV(gpo.subarray(0, gpo.length - 1)), 'ERR_TLV_MALFORMED', 0);
    // A child running past its parent: the 94 (AFL) at offset 6 claims 13 bytes inside a 77 of 0x12.
    const stretched = Uint8Array.from(gpo);
    stretched[7] = 0x0d;
    throwsTessera(() => decodeTLV(stretched), 'ERR_TLV_MALFORMED', 6);
    // Truncated length: the real record's 81 E0 length cut after 81.
    const record = responseData(mastercard, 'READ RECORD');
    throwsTessera(() => decodeTLV(record.subarray(0, 2)), 'ERR_TLV_MALFORMED', 1);
    // Truncated tag: 9F needs a second byte.
    throwsTessera(() => decodeTLV(fromHex('9F')), 'ERR_TLV_MALFORMED', 0);
    throwsTessera(() => decodeTLV(fromHex('5A0112 9F')), 'ERR_TLV_MALFORMED', 3);
    // Length missing after a complete tag.
    throwsTessera(() => decodeTLV(fromHex('5A0112 9F38')), 'ERR_TLV_MALFORMED', 5);
  });

  it('refuses trailing bytes after a single data object, but not trailing padding', () => {
    const gpo = responseData(mastercard, 'GET PROCESSING OPTIONS');
    throwsTessera(() => decodeSingleTLV(concatBytes(gpo, fromHex('9000'))), 'ERR_TLV_MALFORMED', gpo.length);
    throwsTessera(() => decodeSingleTLV(concatBytes(gpo, fromHex('01'))), 'ERR_TLV_MALFORMED', gpo.length);
    assert.equal(decodeSingleTLV(concatBytes(fromHex('FF00'), gpo, fromHex('00FFFF'))).tag, 0x77);
    throwsTessera(() => decodeSingleTLV(concatBytes(gpo, fromHex('00')), { padding: 'reject' }), 'ERR_TLV_MALFORMED', gpo.length);
    throwsTessera(() => decodeSingleTLV(fromHex('0000')), 'ERR_TLV_MALFORMED', 2);
    assert.deepEqual(decodeTLV(new Uint8Array(0)), []);
  });

  it('stops a depth bomb at TLV_DEPTH_MAX without recursing', () => {
    assert.equal(decodeTLV(nestedTemplates(TLV_DEPTH_MAX)).length, 1);
    // The 17th template starts after 16 headers of 2 bytes.
    throwsTessera(() => decodeTLV(nestedTemplates(TLV_DEPTH_MAX + 1)), 'ERR_TLV_LIMIT', 2 * TLV_DEPTH_MAX);
    // Deep enough to overflow a recursive parser's stack many times over.
    throwsTessera(() => decodeTLV(nestedTemplates(20_000), { bytesMax: 1_000_000 }), 'ERR_TLV_LIMIT');
    let deep: TLVNode = primitiveNode(0x5a, fromHex('12'));
    for (let level = 0; level < TLV_DEPTH_MAX; level++) deep = { tag: 0x70, constructed: true, value: new Uint8Array(0), children: [deep] };
    throwsTessera(() => encodeTLV([deep]), 'ERR_TLV_LIMIT');
  });

  it('refuses tags longer than four bytes and tags with a leading zero group', () => {
    throwsTessera(() => decodeTLV(fromHex('DF8182838401AA')), 'ERR_TLV_LIMIT', 0);
    throwsTessera(() => decodeTLV(fromHex('5A0112 9F800101AA')), 'ERR_TLV_MALFORMED', 3);
  });

  it('enforces the input size and node count limits', () => {
    throwsTessera(() => decodeTLV(new Uint8Array(TLV_BYTES_MAX + 1)), 'ERR_TLV_LIMIT', 0);
    throwsTessera(() => decodeTLV(fromHex('5A0112'), { bytesMax: 2 }), 'ERR_TLV_LIMIT', 0);
    const manyNodes = new Uint8Array(2 * (TLV_NODES_MAX + 1)).fill(0x01); // 01 01 = tag 01, length 1 ... as pairs
    for (let i = 0; i < manyNodes.length; i += 2) manyNodes[i + 1] = 0x00;
    throwsTessera(() => decodeTLV(manyNodes), 'ERR_TLV_LIMIT', 2 * TLV_NODES_MAX);
    assert.equal(decodeTLV(manyNodes.subarray(0, 2 * TLV_NODES_MAX)).length, TLV_NODES_MAX);
  });

  it('refuses to encode invalid tags or a constructed flag that disagrees with the tag', () => {
    throwsTessera(() => encodeTLV([{ tag: 0x9f, constructed: false, value: new Uint8Array(0) }]), 'ERR_TLV_MALFORMED');
    throwsTessera(() => encodeTLV([{ tag: 0x00, constructed: false, value: new Uint8Array(0) }]), 'ERR_TLV_MALFORMED');
    throwsTessera(() => primitiveNode(0x70, new Uint8Array(0)), 'ERR_TLV_MALFORMED');
    throwsTessera(() => constructedNode(0x5a, []), 'ERR_TLV_MALFORMED');
  });
});

// --- Properties ----------------------------------------------------------------------------------

/** Valid tags of 1 to 4 bytes, primitive or constructed as asked (either when undefined). */
function tagArbitrary(constructed?: boolean): fc.Arbitrary<number> {
  const constructedBit = constructed === undefined ? fc.boolean() : fc.constant(constructed);
  const oneByte = fc
    .tuple(fc.integer({ min: 0, max: 3 }), constructedBit, fc.integer({ min: 0, max: 30 }))
    .map(([tagClass, isConstructed, number]) => (tagClass << 6) | (isConstructed ? 0x20 : 0) | number);
  const multiByte = fc
    .tuple(fc.integer({ min: 0, max: 3 }), constructedBit, fc.array(fc.integer({ min: 0, max: 0x7f }), { minLength: 1, maxLength: 3 }))
    .map(([tagClass, isConstructed, groups]) => {
      let tag = (tagClass << 6) | (isConstructed ? 0x20 : 0) | 0x1f;
      groups.forEach((group, index) => {
        const more = index < groups.length - 1 ? 0x80 : 0;
        tag = tag * 256 + (more | (index === 0 && more !== 0 && group === 0 ? 1 : group));
      });
      return tag;
    });
  // 'FF' cannot start a tag (it is padding); the filter drops the private constructed '1F' form.
  return fc.oneof(oneByte, multiByte).filter(isValidTag);
}

const valueArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }) },
);

const { tree: treeArbitrary } = fc.letrec<{ tree: TLVNode; primitive: TLVNode; template: TLVNode }>((tie) => ({
  tree: fc.oneof({ maxDepth: 6, depthIdentifier: 'tlv' }, tie('primitive'), tie('template')),
  primitive: fc.tuple(tagArbitrary(false), valueArbitrary).map(([tag, value]) => primitiveNode(tag, value)),
  template: fc
    .tuple(tagArbitrary(true), fc.array(tie('tree'), { maxLength: 4, depthIdentifier: 'tlv' }))
    .map(([tag, children]) => constructedNode(tag, children)),
}));

/** Bytes drawn mostly from values that mean something to a BER-TLV parser, to reach deep paths. */
const tlvLikeBytes = fc.oneof(
  fc.uint8Array({ maxLength: 96 }),
  fc
    .array(fc.constantFrom(0x00, 0x01, 0x02, 0x1f, 0x20, 0x3f, 0x5a, 0x6f, 0x70, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0x9f, 0xbf, 0xdf, 0xff), { maxLength: 96 })
    .map((values) => Uint8Array.from(values)),
);

describe('BER-TLV properties', () => {
  it('decode(encode(trees)) returns the trees', () => {
    fc.assert(
      fc.property(fc.array(treeArbitrary, { maxLength: 4 }), (trees) => {
        const encoded = encodeTLV(trees);
        fc.pre(encoded.length <= TLV_BYTES_MAX);
        assert.deepStrictEqual(decodeTLV(encoded, { padding: 'reject', lengths: 'minimal' }), trees);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes either decode or fail with a TesseraError, and what decodes re-encodes stably', () => {
    fc.assert(
      fc.property(tlvLikeBytes, fc.constantFrom<'skip' | 'reject'>('skip', 'reject'), (bytes, padding) => {
        let nodes: TLVNode[];
        try {
          nodes = decodeTLV(bytes, { padding });
        } catch (error) {
          assert.ok(error instanceof TesseraError, `unexpected ${String(error)}`);
          assert.match(error.code, /^ERR_TLV_(MALFORMED|LIMIT)$/);
          return;
        }
        const encoded = encodeTLV(nodes);
        assert.equal(toHex(encodeTLV(decodeTLV(encoded))), toHex(encoded));
        assert.ok(encoded.length <= bytes.length, 'encoding drops padding and shortens lengths, never adds');
        for (const node of nodes) assert.equal(findTag(nodes, node.tag), findAllTags(nodes, node.tag)[0]);
      }),
      { numRuns: 5000 },
    );
  });

  it('random bytes given to decodeSingleTLV and decodeDOL fail only with TesseraErrors', () => {
    fc.assert(
      fc.property(tlvLikeBytes, (bytes) => {
        for (const decode of [decodeSingleTLV, decodeDOL]) {
          try {
            decode(bytes);
          } catch (error) {
            assert.ok(error instanceof TesseraError, `unexpected ${String(error)}`);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
