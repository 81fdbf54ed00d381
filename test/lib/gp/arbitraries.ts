import fc from 'fast-check';
import { constructedNode, primitiveNode } from '../../../src/lib/tlv/index.js';
import type { TLVNode } from '../../../src/lib/tlv/index.js';
import { PRIVILEGE_NAMES } from '../../../src/lib/gp/index.js';
import type { InstallParameters, PrivilegeName, SystemSpecificParameters } from '../../../src/lib/gp/index.js';

/** Generators for the GP codecs' property tests. */

export const bytesArbitrary = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

const memoryArbitrary = fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined });

export const systemSpecificArbitrary: fc.Arbitrary<SystemSpecificParameters> = fc
  .record({
    nonVolatileCodeMemoryBytes: memoryArbitrary,
    volatileMemoryBytes: memoryArbitrary,
    nonVolatileMemoryBytes: memoryArbitrary,
    toolkit: fc.option(bytesArbitrary(20), { nil: undefined }),
  })
  .map(({ nonVolatileCodeMemoryBytes, volatileMemoryBytes, nonVolatileMemoryBytes, toolkit }) => ({
    ...(nonVolatileCodeMemoryBytes === undefined ? {} : { nonVolatileCodeMemoryBytes }),
    ...(volatileMemoryBytes === undefined ? {} : { volatileMemoryBytes }),
    ...(nonVolatileMemoryBytes === undefined ? {} : { nonVolatileMemoryBytes }),
    // 'CA': ETSI TS 102 226 toolkit parameters, kept as they are.
    other: toolkit === undefined ? [] : [primitiveNode(0xca, toolkit)],
  }));

const otherTopLevelArbitrary: fc.Arbitrary<TLVNode[]> = fc.option(bytesArbitrary(10), { nil: undefined }).map((value) =>
  value === undefined ? [] : [constructedNode(0xea, [primitiveNode(0x80, value)])],
);

export function installParametersArbitrary(requireApplicationSpecific: boolean): fc.Arbitrary<InstallParameters> {
  const applicationSpecific = requireApplicationSpecific
    ? bytesArbitrary(200)
    : fc.option(bytesArbitrary(200), { nil: undefined });
  return fc
    .record({
      applicationSpecific,
      systemSpecific: fc.option(systemSpecificArbitrary, { nil: undefined }),
      other: otherTopLevelArbitrary,
    })
    .map(({ applicationSpecific: c9, systemSpecific, other }) => ({
      ...(c9 === undefined ? {} : { applicationSpecific: c9 }),
      ...(systemSpecific === undefined ? {} : { systemSpecific }),
      other,
    }));
}

/** Privileges that pass `checkPrivilegeCombination`: SD-only ones come with the SD bit. */
export const validPrivilegesArbitrary: fc.Arbitrary<PrivilegeName[]> = fc.subarray([...PRIVILEGE_NAMES]).map((names) => {
  const sdOnly = ['dapVerification', 'delegatedManagement', 'mandatedDAPVerification', 'authorizedManagement', 'tokenVerification', 'receiptGeneration', 'cipheredLoadFileDataBlock'];
  let result = names;
  if (result.some((name) => sdOnly.includes(name)) && !result.includes('securityDomain')) result = ['securityDomain', ...result];
  if (result.includes('mandatedDAPVerification') && !result.includes('dapVerification')) result = [...result, 'dapVerification'];
  return PRIVILEGE_NAMES.filter((name) => result.includes(name));
});

export const byteOnePrivilegesArbitrary: fc.Arbitrary<PrivilegeName[]> = validPrivilegesArbitrary.map((names) =>
  names.filter((name) => PRIVILEGE_NAMES.indexOf(name) < 8),
);
