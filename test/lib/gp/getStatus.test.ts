import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  aidMatchesSearchQualifier, decodeGetStatusCriteria, decodeLegacyRegistryEntries, decodePrivileges, decodeRegistryEntries,
  encodeGetStatusCriteria, encodeLegacyRegistryEntries, encodeRegistryEntries, encodeRegistryEntry, lifeCycleStateName,
  paginateRegistryEntries,
} from '../../../src/lib/gp/index.js';
import type { LegacyRegistryEntry, RegistryEntry } from '../../../src/lib/gp/index.js';
import { constructedNode, primitiveNode, tagFromHex } from '../../../src/lib/tlv/index.js';
import { validPrivilegesArbitrary } from './arbitraries.js';
import { aidArbitrary, loadFixture, onlyTesseraErrors, throwsTessera } from './helpers.js';

interface ExpectedEntry {
  readonly aid?: string;
  readonly lifeCycleState?: number;
  readonly privileges?: readonly string[];
  readonly privilegeCount?: number;
  readonly executableLoadFileAID?: string;
  readonly executableLoadFileVersion?: string;
  readonly associatedSecurityDomainAID?: string;
  readonly implicitSelectionParameters?: readonly number[];
}
interface Expected {
  readonly count: number;
  readonly entries: Readonly<Record<string, ExpectedEntry>>;
}
interface GetStatusFixture {
  readonly responses: readonly {
    readonly name: string;
    readonly p1: string;
    readonly data: string;
    readonly reencoded?: string;
    readonly expected: Expected;
  }[];
  readonly truncated: { readonly complete: string; readonly whole: string; readonly expected: Expected };
  readonly criteria: readonly {
    readonly data: string;
    readonly malformed?: boolean;
    readonly aidQualifier?: string;
    readonly tagList?: readonly string[];
  }[];
}

const fixture = loadFixture<GetStatusFixture>('get-status.json');

function checkEntries(entries: readonly RegistryEntry[], expected: Expected, name: string): void {
  assert.equal(entries.length, expected.count, name);
  for (const [index, want] of Object.entries(expected.entries)) {
    const entry = entries[Number(index)];
    assert.ok(entry, `${name}: entry ${index}`);
    if (want.aid !== undefined) assert.equal(toHex(entry.aid), want.aid, `${name} ${index} aid`);
    if (want.lifeCycleState !== undefined) assert.equal(entry.lifeCycleState, want.lifeCycleState, `${name} ${index} state`);
    if (want.privileges !== undefined) assert.deepEqual(entry.privileges ?? [], want.privileges, `${name} ${index} privileges`);
    if (want.privilegeCount !== undefined) assert.equal(entry.privileges?.length, want.privilegeCount, `${name} ${index}`);
    if (want.executableLoadFileAID !== undefined) assert.equal(toHex(entry.executableLoadFileAID ?? new Uint8Array(0)), want.executableLoadFileAID);
    if (want.executableLoadFileVersion !== undefined) assert.equal(toHex(entry.executableLoadFileVersion ?? new Uint8Array(0)), want.executableLoadFileVersion);
    if (want.associatedSecurityDomainAID !== undefined) assert.equal(toHex(entry.associatedSecurityDomainAID ?? new Uint8Array(0)), want.associatedSecurityDomainAID);
    if (want.implicitSelectionParameters !== undefined) assert.deepEqual(entry.implicitSelectionParameters, want.implicitSelectionParameters);
  }
}

describe('GET STATUS responses captured from real cards (tag-list format, GP 2.3 Table 11-36)', () => {
  for (const response of fixture.responses) {
    it(`decodes ${response.name} and re-encodes it byte for byte`, () => {
      const entries = decodeRegistryEntries(fromHex(response.data));
      checkEntries(entries, response.expected, response.name);
      assert.equal(toHex(encodeRegistryEntries(entries)), response.reencoded ?? response.data);
    });
  }

  it("keeps the second '9F70' byte and the 'EA' template of the kaoh/globalplatform SCP03 card", () => {
    const [isd] = decodeRegistryEntries(fromHex(fixture.responses.find((r) => r.name === 'kaoh-scp03-isd')?.data ?? ''));
    assert.ok(isd);
    assert.equal(isd.lifeCycleState, 0x0f);
    assert.equal(isd.lifeCycleStateSecondByte, 0x00);
    assert.equal(lifeCycleStateName('card', isd.lifeCycleState), 'SECURED');
    assert.deepEqual(isd.other.map((node) => [node.tag, toHex(node.value)]), [[0xea, '8003008000']]);
  });

  it('decodes the four whole entries of the kaoh/globalplatform statusTest buffer and refuses the truncated fifth', () => {
    checkEntries(decodeRegistryEntries(fromHex(fixture.truncated.complete)), fixture.truncated.expected, 'statusTest');
    throwsTessera(() => decodeRegistryEntries(fromHex(fixture.truncated.whole)), LibErrorCode.gpMalformed, 0x6a80);
  });

  it('decodes concatenated pages as one list (after 6310 and GET STATUS next occurrence)', () => {
    const [first, second] = fixture.responses;
    assert.ok(first && second);
    const entries = decodeRegistryEntries(concatBytes(fromHex(first.data), fromHex(second.data)));
    assert.equal(entries.length, first.expected.count + second.expected.count);
  });
});

describe('GET STATUS search criteria (GP 2.3 §11.4.2.2)', () => {
  it('decodes the pysim commands and re-encodes them; refuses the malformed published test vector (6A80)', () => {
    for (const { data, malformed, aidQualifier, tagList } of fixture.criteria) {
      if (malformed === true) {
        throwsTessera(() => decodeGetStatusCriteria(fromHex(data)), LibErrorCode.gpMalformed, 0x6a80);
        continue;
      }
      const criteria = decodeGetStatusCriteria(fromHex(data));
      assert.equal(toHex(criteria.aidQualifier), aidQualifier);
      assert.deepEqual(criteria.tagList, tagList?.map(tagFromHex));
      assert.equal(toHex(encodeGetStatusCriteria(criteria)), data);
    }
  });

  it('matches AIDs by prefix, and everything for an empty qualifier', () => {
    assert.equal(aidMatchesSearchQualifier(fromHex('A0000001515350'), new Uint8Array(0)), true);
    assert.equal(aidMatchesSearchQualifier(fromHex('A0000001515350'), fromHex('A000000151')), true);
    assert.equal(aidMatchesSearchQualifier(fromHex('A0000001515350'), fromHex('A000000152')), false);
    assert.equal(aidMatchesSearchQualifier(fromHex('A000000151'), fromHex('A00000015100')), false);
  });

  it("refuses criteria without '4F' first, an over-long qualifier, and a broken tag list", () => {
    throwsTessera(() => decodeGetStatusCriteria(fromHex('5C014F')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodeGetStatusCriteria(new Uint8Array(0)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeGetStatusCriteria(fromHex(`4F11${'00'.repeat(17)}`)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeGetStatusCriteria(fromHex('4F005C019F')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeGetStatusCriteria(fromHex('4F004F00')), LibErrorCode.gpMalformed);
  });
});

describe('GET STATUS responses built by the card', () => {
  const entry: RegistryEntry = {
    aid: fromHex('A0000000041010'),
    lifeCycleState: 0x07,
    privileges: ['cardReset'],
    implicitSelectionParameters: [],
    executableLoadFileAID: fromHex('A0000000041000'),
    executableModuleAIDs: [],
    associatedSecurityDomainAID: fromHex('A000000151000000'),
    other: [],
  };

  it('writes the tag-list format in table order, C5 on 3 bytes (constructed example)', () => {
    assert.equal(
      toHex(encodeRegistryEntry(entry)),
      'E3254F07A00000000410109F700107C503040000C407A0000000041000CC08A000000151000000',
    );
  });

  it("writes only the tags of a '5C' tag list, besides '4F' and '9F70'", () => {
    const encoded = encodeRegistryEntry(entry, [0x4f, 0x9f70, 0xc5, 0xcc]);
    assert.equal(toHex(encoded), 'E31C4F07A00000000410109F700107C503040000CC08A000000151000000');
    assert.equal(toHex(encodeRegistryEntry(entry, [0xc5])), 'E3124F07A00000000410109F700107C503040000');
  });

  it('cuts pages at whole entries, and refuses an entry larger than a page', () => {
    const one = encodeRegistryEntry(entry);
    const pages = paginateRegistryEntries([one, one, one, one, one, one, one], 100);
    assert.deepEqual(pages.map((page) => page.length), [78, 78, 78, 39]);
    assert.equal(decodeRegistryEntries(concatBytes(...pages)).length, 7);
    throwsTessera(() => paginateRegistryEntries([one], 20), LibErrorCode.gpLimit);
  });

  it("refuses entries without '4F' or '9F70', with bad lengths or repeated single tags", () => {
    throwsTessera(() => decodeRegistryEntries(fromHex('E3039F7001')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('E3074F05A000000001')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('E30B4F05A0000000019F700301')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('E30E4F05A0000000019F70000000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('E30F4F05A0000000019F700101C5028000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('E3104F05A0000000019F7001014F05A000000002')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeRegistryEntries(fromHex('6F00')), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x for random entries, and random bytes raise only TesseraErrors', () => {
    const entryArbitrary: fc.Arbitrary<RegistryEntry> = fc
      .record({
        aid: aidArbitrary,
        lifeCycleState: fc.integer({ min: 0, max: 255 }),
        second: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        privileges: fc.option(validPrivilegesArbitrary, { nil: undefined }),
        implicit: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
        elf: fc.option(aidArbitrary, { nil: undefined }),
        version: fc.option(fc.uint8Array({ minLength: 1, maxLength: 2 }), { nil: undefined }),
        modules: fc.array(aidArbitrary, { maxLength: 3 }),
        domain: fc.option(aidArbitrary, { nil: undefined }),
        extra: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: undefined }),
      })
      .map((r) => ({
        aid: r.aid,
        lifeCycleState: r.lifeCycleState,
        ...(r.second === undefined ? {} : { lifeCycleStateSecondByte: r.second }),
        ...(r.privileges === undefined ? {} : { privileges: r.privileges }),
        implicitSelectionParameters: r.implicit,
        ...(r.elf === undefined ? {} : { executableLoadFileAID: r.elf }),
        ...(r.version === undefined ? {} : { executableLoadFileVersion: r.version }),
        executableModuleAIDs: r.modules,
        ...(r.domain === undefined ? {} : { associatedSecurityDomainAID: r.domain }),
        other: r.extra === undefined ? [] : [constructedNode(0xea, [primitiveNode(0x80, r.extra)])],
      }));
    fc.assert(fc.property(fc.array(entryArbitrary, { maxLength: 4 }), (entries) => {
      assert.deepEqual(decodeRegistryEntries(encodeRegistryEntries(entries)), entries);
    }));
    onlyTesseraErrors(decodeRegistryEntries);
    onlyTesseraErrors(decodeGetStatusCriteria);
  });
});

describe('GET STATUS legacy format (P2 00)', () => {
  it('writes and reads entries as GlobalPlatformPro populate_legacy reads them (constructed example)', () => {
    const entries: LegacyRegistryEntry[] = [
      { aid: fromHex('A000000003000000'), lifeCycleState: 0x0f, privileges: 0x9e },
      { aid: fromHex('A0000000031010'), lifeCycleState: 0x07, privileges: 0x00 },
    ];
    const encoded = encodeLegacyRegistryEntries(entries, false);
    assert.equal(toHex(encoded), '08A0000000030000000F9E07A0000000031010' + '0700');
    assert.deepEqual(decodeLegacyRegistryEntries(encoded, false), entries);
    assert.deepEqual(decodePrivileges(Uint8Array.of(0x9e)), ['securityDomain', 'cardLock', 'cardTerminate', 'cardReset', 'cvmManagement']);
  });

  it('reads the module list of P1 10 responses', () => {
    const encoded = fromHex('07A0000000031000 01 00 02 08A000000003101001 07A0000000031020'.replace(/ /g, ''));
    const [file] = decodeLegacyRegistryEntries(encoded, true);
    assert.equal(file?.executableModuleAIDs?.length, 2);
    assert.equal(toHex(encodeLegacyRegistryEntries(decodeLegacyRegistryEntries(encoded, true), true)), toHex(encoded));
    throwsTessera(() => decodeLegacyRegistryEntries(fromHex('07A00000000310000100'), true), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const legacy = (withModules: boolean): fc.Arbitrary<LegacyRegistryEntry> =>
      fc.record({ aid: aidArbitrary, state: fc.integer({ min: 0, max: 255 }), privileges: fc.integer({ min: 0, max: 255 }), modules: fc.array(aidArbitrary, { maxLength: 3 }) })
        .map((r) => ({ aid: r.aid, lifeCycleState: r.state, privileges: r.privileges, ...(withModules ? { executableModuleAIDs: r.modules } : {}) }));
    for (const withModules of [false, true]) {
      fc.assert(fc.property(fc.array(legacy(withModules), { maxLength: 4 }), (entries) => {
        assert.deepEqual(decodeLegacyRegistryEntries(encodeLegacyRegistryEntries(entries, withModules), withModules), entries);
      }));
      onlyTesseraErrors((bytes) => decodeLegacyRegistryEntries(bytes, withModules));
    }
  });
});
