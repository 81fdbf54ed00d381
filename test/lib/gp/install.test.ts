import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCommandAPDU } from '../../../src/lib/apdu.js';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  decodeInstallCommand, decodeInstallParameters, encodeInstallCommand, encodeInstallParameters, GPInstruction, InstallP1,
} from '../../../src/lib/gp/index.js';
import type { InstallCommandData, InstallForInstall } from '../../../src/lib/gp/index.js';
import { primitiveNode } from '../../../src/lib/tlv/index.js';
import { byteOnePrivilegesArbitrary, bytesArbitrary, installParametersArbitrary, validPrivilegesArbitrary } from './arbitraries.js';
import { aidArbitrary, loadFixture, onlyTesseraErrors, optionalAIDArbitrary, throwsTessera } from './helpers.js';

interface InstallFixture {
  readonly commands: readonly {
    readonly source: string;
    readonly apdu: string;
    readonly expected: {
      readonly loadFileAID: string;
      readonly moduleAID: string;
      readonly applicationAID: string;
      readonly privileges: readonly string[];
      readonly privilegesLength: number;
      readonly applicationSpecific: string;
      readonly installToken: string;
    };
  }[];
  readonly installParameters: readonly {
    readonly data: string;
    readonly expected: {
      readonly applicationSpecific: string;
      readonly nonVolatileMemoryBytes?: number;
      readonly volatileMemoryBytes?: number;
      readonly otherSystemSpecific?: readonly (readonly [string, string])[];
    };
  }[];
}

const fixture = loadFixture<InstallFixture>('install.json');
const aid = (hex: string): Uint8Array => fromHex(hex);

/** A valid [for install and make selectable] data field, built by hand (constructed, not captured). */
function installData(privileges: string, parameters: string, token = '00'): Uint8Array {
  return fromHex(`05A000000001 06A00000000101 07A0000000010101 ${privileges} ${parameters} ${token}`);
}

describe('INSTALL [for install] on captured commands', () => {
  it('decodes the GPShell INSTALL [for install and make selectable] of ykneo-oath and re-encodes it byte for byte', () => {
    for (const { apdu, expected } of fixture.commands) {
      const command = parseCommandAPDU(fromHex(apdu));
      assert.equal(command.ins, GPInstruction.install);
      const decoded = decodeInstallCommand(command.p1, command.data);
      assert.equal(decoded.kind, 'install');
      const install = decoded;
      assert.equal(install.makeSelectable, true);
      assert.equal(toHex(install.loadFileAID), expected.loadFileAID);
      assert.equal(toHex(install.moduleAID), expected.moduleAID);
      assert.equal(toHex(install.applicationAID), expected.applicationAID);
      assert.deepEqual(install.privileges, expected.privileges);
      assert.equal(install.privilegesLength, expected.privilegesLength);
      assert.equal(toHex(install.installParameters.applicationSpecific ?? new Uint8Array(1)), expected.applicationSpecific);
      assert.equal(toHex(install.installToken), expected.installToken);
      const encoded = encodeInstallCommand(decoded);
      assert.equal(encoded.p1, command.p1);
      assert.equal(toHex(encoded.data), toHex(command.data));
    }
  });

  it('decodes and re-encodes pysim install parameters (C9, EF with C8/C7 quotas and a CA toolkit object)', () => {
    for (const { data, expected } of fixture.installParameters) {
      const parameters = decodeInstallParameters(fromHex(data));
      assert.equal(toHex(parameters.applicationSpecific ?? fromHex('FF')), expected.applicationSpecific);
      assert.equal(parameters.systemSpecific?.nonVolatileMemoryBytes, expected.nonVolatileMemoryBytes);
      assert.equal(parameters.systemSpecific?.volatileMemoryBytes, expected.volatileMemoryBytes);
      const other = (parameters.systemSpecific?.other ?? []).map((node) => [node.tag.toString(16).toUpperCase(), toHex(node.value)]);
      assert.deepEqual(other, expected.otherSystemSpecific ?? []);
      // Encoding writes 'C6', 'C7', 'C8' in tag order, so pysim's C8-then-C7 comes back reordered.
      const reencoded = decodeInstallParameters(encodeInstallParameters(parameters));
      assert.deepEqual(reencoded, parameters);
    }
  });
});

describe('INSTALL data formats (GP 2.3 §11.5.2.3)', () => {
  it('writes [for load] with an implicit SD, a hash and load parameters', () => {
    const { p1, data } = encodeInstallCommand({
      kind: 'load',
      loadFileAID: aid('A0000000010001'),
      securityDomainAID: new Uint8Array(0),
      loadFileDataBlockHash: fromHex('00'.repeat(32)),
      loadParameters: { systemSpecific: { nonVolatileCodeMemoryBytes: 0x1234, other: [] }, other: [] },
      loadToken: new Uint8Array(0),
    });
    assert.equal(p1, InstallP1.forLoad);
    assert.equal(toHex(data), `07A0000000010001 00 20${'00'.repeat(32)} 06EF04C6021234 00`.replace(/ /g, ''));
  });

  it('writes [for personalization] as 00 00 La AID 00 00 00, as pysim and GlobalPlatformPro do', () => {
    const { p1, data } = encodeInstallCommand({ kind: 'personalization', applicationAID: aid('A0000000041010') });
    assert.equal(p1, 0x20);
    assert.equal(toHex(data), '000007A0000000041010000000');
    assert.deepEqual(decodeInstallCommand(0x20, data), { kind: 'personalization', applicationAID: aid('A0000000041010') });
  });

  it('writes [for extradition] as GlobalPlatformPro does (SD, 00, application, 00, parameters, token)', () => {
    const { p1, data } = encodeInstallCommand({
      kind: 'extradition',
      securityDomainAID: aid('A000000151000001'),
      aid: aid('A0000000010101'),
      parameters: { other: [] },
      token: new Uint8Array(0),
    });
    assert.equal(p1, 0x10);
    assert.equal(toHex(data), '08A000000151000001 00 07A0000000010101 00 00 00'.replace(/ /g, ''));
  });

  it('writes [for make selectable] with a 1-byte privilege as GlobalPlatformPro makeDefaultSelected does', () => {
    const { p1, data } = encodeInstallCommand({
      kind: 'make-selectable',
      applicationAID: aid('A0000000010101'),
      privileges: ['cardReset'],
      privilegesLength: 1,
      parameters: { other: [] },
      token: new Uint8Array(0),
    });
    assert.equal(p1, 0x08);
    assert.equal(toHex(data), '000007A0000000010101010400' + '00');
  });

  it('writes [for registry update] with empty fields left empty', () => {
    const { p1, data } = encodeInstallCommand({
      kind: 'registry-update',
      securityDomainAID: aid('A000000151000001'),
      applicationAID: new Uint8Array(0),
      privileges: [],
      privilegesLength: 0,
      parameters: { other: [] },
      token: new Uint8Array(0),
    });
    assert.equal(p1, 0x40);
    assert.equal(toHex(data), '08A000000151000001' + '00' + '00' + '00' + '00' + '00');
  });

  it('codes parameters and tokens longer than 127 bytes with BER lengths (81 xx, 82 xx xx)', () => {
    const c9 = new Uint8Array(200).fill(0x5a);
    const command: InstallCommandData = {
      kind: 'install', makeSelectable: false, loadFileAID: aid('A000000001'), moduleAID: aid('A00000000101'),
      applicationAID: aid('A0000000010101'), privileges: [], privilegesLength: 3,
      installParameters: { applicationSpecific: c9, other: [] }, installToken: new Uint8Array(300).fill(1),
    };
    const { data } = encodeInstallCommand(command);
    const parameters = toHex(concatBytes(fromHex('81CB C981C8'), c9));
    assert.ok(toHex(data).includes(parameters));
    assert.ok(toHex(data).includes(`82012C${'01'.repeat(300)}`));
    assert.deepEqual(decodeInstallCommand(0x04, data), command);
  });

  it('ignores P1 b8 (more INSTALL commands) when decoding', () => {
    const data = installData('0100', '02C900');
    assert.equal(decodeInstallCommand(0x80 | 0x0c, data).kind, 'install');
  });
});

describe('INSTALL negative cases: a card answers 6A80 or 6A86', () => {
  it('refuses an unknown P1 with ERR_GP_PARAMETERS (6A86)', () => {
    throwsTessera(() => decodeInstallCommand(0x01, installData('0100', '02C900')), LibErrorCode.gpParameters, 0x6a86);
    throwsTessera(() => decodeInstallCommand(0x0e, installData('0100', '02C900')), LibErrorCode.gpParameters, 0x6a86);
  });

  it('refuses [for install] without C9 in its parameters', () => {
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '00')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '04EF02C700')), LibErrorCode.gpMalformed, 0x6a80);
  });

  it('refuses wrong privilege lengths and combinations', () => {
    throwsTessera(() => decodeInstallCommand(0x0c, installData('028000', '02C900')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('00', '02C900')), LibErrorCode.gpMalformed);
    // DAP Verification without the Security Domain bit.
    throwsTessera(() => decodeInstallCommand(0x0c, installData('03400000', '02C900')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0140', '02C900')), LibErrorCode.gpMalformed);
    // Mandated DAP Verification without DAP Verification.
    throwsTessera(() => decodeInstallCommand(0x0c, installData('03810000', '02C900')), LibErrorCode.gpMalformed);
    assert.deepEqual((decodeInstallCommand(0x0c, installData('03C10000', '02C900')) as InstallForInstall).privileges, [
      'securityDomain', 'dapVerification', 'mandatedDAPVerification',
    ]);
  });

  it('refuses AIDs outside 5 to 16 bytes, truncation and trailing bytes', () => {
    throwsTessera(() => decodeInstallCommand(0x0c, fromHex('04A0000000 06A00000000101 07A0000000010101 0100 02C900 00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x0c, fromHex('11A0000000000000000000000000000000 06A00000000101 07A0000000010101 0100 02C900 00')), LibErrorCode.gpMalformed);
    const whole = installData('0100', '02C900');
    for (let cut = 0; cut < whole.length; cut++) {
      throwsTessera(() => decodeInstallCommand(0x0c, whole.subarray(0, cut)), LibErrorCode.gpMalformed, 0x6a80);
    }
    throwsTessera(() => decodeInstallCommand(0x0c, concatBytes(whole, fromHex('00'))), LibErrorCode.gpMalformed);
  });

  it('refuses malformed parameters: bad TLV, duplicate tags, an 80 length byte', () => {
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '03C90500')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '04C900C900')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '80C900')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x0c, installData('0100', '06C900EF02C701')), LibErrorCode.gpMalformed);
  });

  it('refuses a Load Token without a Load File Data Block Hash', () => {
    throwsTessera(() => decodeInstallCommand(0x02, fromHex('05A000000001 00 00 00 0401020304')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(
      () => encodeInstallCommand({
        kind: 'load', loadFileAID: aid('A000000001'), securityDomainAID: new Uint8Array(0), loadFileDataBlockHash: new Uint8Array(0),
        loadParameters: { other: [] }, loadToken: fromHex('01'),
      }),
      LibErrorCode.gpMalformed,
    );
  });

  it('refuses non-empty fields where the variant leaves them empty', () => {
    throwsTessera(() => decodeInstallCommand(0x20, fromHex('01AA 00 07A0000000041010 000000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x08, fromHex('00 05A000000001 07A0000000041010 00 00 00')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeInstallCommand(0x10, fromHex('05A000000001 01AA 07A0000000041010 00 00 00')), LibErrorCode.gpMalformed);
  });

  it('throws nothing but TesseraErrors on random data for every P1', () => {
    for (const p1 of [0x02, 0x04, 0x08, 0x0c, 0x10, 0x20, 0x40, 0x01]) onlyTesseraErrors((bytes) => decodeInstallCommand(p1, bytes));
    onlyTesseraErrors(decodeInstallParameters);
  });
});

describe('INSTALL properties: decode(encode(x)) = x', () => {
  const token = bytesArbitrary(150);
  const installCommands: fc.Arbitrary<InstallCommandData>[] = [
    fc.record({
      kind: fc.constant('load' as const), loadFileAID: aidArbitrary, securityDomainAID: optionalAIDArbitrary,
      loadFileDataBlockHash: fc.uint8Array({ minLength: 1, maxLength: 64 }), loadParameters: installParametersArbitrary(false), loadToken: token,
    }),
    fc.record({
      kind: fc.constant('install' as const), makeSelectable: fc.boolean(), loadFileAID: aidArbitrary, moduleAID: aidArbitrary,
      applicationAID: aidArbitrary, privileges: validPrivilegesArbitrary, privilegesLength: fc.constant(3 as const),
      installParameters: installParametersArbitrary(true), installToken: token,
    }),
    fc.record({
      kind: fc.constant('install' as const), makeSelectable: fc.boolean(), loadFileAID: aidArbitrary, moduleAID: aidArbitrary,
      applicationAID: aidArbitrary, privileges: byteOnePrivilegesArbitrary, privilegesLength: fc.constant(1 as const),
      installParameters: installParametersArbitrary(true), installToken: token,
    }),
    fc.record({
      kind: fc.constant('make-selectable' as const), applicationAID: aidArbitrary, privileges: validPrivilegesArbitrary,
      privilegesLength: fc.constant(3 as const), parameters: installParametersArbitrary(false), token,
    }),
    fc.record({
      kind: fc.constant('extradition' as const), securityDomainAID: aidArbitrary, aid: aidArbitrary,
      parameters: installParametersArbitrary(false), token,
    }),
    fc.record({
      kind: fc.constant('registry-update' as const), securityDomainAID: optionalAIDArbitrary, applicationAID: optionalAIDArbitrary,
      privileges: fc.constant([]), privilegesLength: fc.constant(0 as const), parameters: installParametersArbitrary(false), token,
    }),
    fc.record({ kind: fc.constant('personalization' as const), applicationAID: aidArbitrary }),
  ];

  it('holds for every variant', () => {
    fc.assert(
      fc.property(fc.oneof(...installCommands), (command) => {
        const { p1, data } = encodeInstallCommand(command);
        assert.deepEqual(decodeInstallCommand(p1, data), { ...command });
      }),
      { numRuns: 1000 },
    );
  });

  it('holds for install parameters on their own', () => {
    fc.assert(
      fc.property(installParametersArbitrary(false), (parameters) => {
        assert.deepEqual(decodeInstallParameters(encodeInstallParameters(parameters)), parameters);
      }),
    );
  });

  it('refuses a parameters object that tries to smuggle C9 or EF through "other"', () => {
    throwsTessera(() => encodeInstallParameters({ other: [primitiveNode(0xc9, fromHex('00'))] }), LibErrorCode.gpMalformed);
  });
});
