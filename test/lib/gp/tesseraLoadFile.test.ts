import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeCommandAPDU } from '../../../src/lib/apdu.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import { importECP256PrivateKey, importECP256PublicKey } from '../../../src/lib/crypto/index.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  acceptLoadBlock, decodeInstallCommand, decodeLoadFile, encodeInstallCommand, encodeLoadData, encodeLoadFile,
  GPInstruction, GP_CLA, LOAD_FILE_MODULES_MAX, LOAD_NOT_STARTED, loadFileDataBlockHash, signDAP, splitLoadData, verifyDAP,
} from '../../../src/lib/gp/index.js';
import type { LoadFile, LoadProgress } from '../../../src/lib/gp/index.js';
import { aidArbitrary, loadFixture, onlyTesseraErrors, throwsTessera } from './helpers.js';

interface ExampleFixture {
  readonly loadFile: {
    readonly packageAID: string;
    readonly version: { readonly major: number; readonly minor: number };
    readonly modules: readonly { readonly aid: string; readonly firmwareClass: string; readonly defaultInstallParameters?: string }[];
  };
  readonly loadFileDataBlock: string;
  readonly loadFileDataBlockHash: string;
  readonly dapKeyScalarSource: string;
  readonly dapPrivateScalar: string;
  readonly dapPublicKey: string;
  readonly securityDomainAID: string;
  readonly dapSignature: string;
  readonly installForLoad: string;
  readonly loadData: string;
  readonly loadBlockBytes: number;
  readonly loadCommands: readonly string[];
}

const example = loadFixture<ExampleFixture>('tessera-load-file-example.json');
const doc = readFileSync(new URL('../../../docs/load-file-format.md', import.meta.url), 'utf8');

const exampleFile: LoadFile = {
  packageAID: fromHex(example.loadFile.packageAID),
  version: example.loadFile.version,
  modules: example.loadFile.modules.map((module) => ({
    aid: fromHex(module.aid),
    firmwareClass: module.firmwareClass,
    ...(module.defaultInstallParameters === undefined ? {} : { defaultInstallParameters: fromHex(module.defaultInstallParameters) }),
  })),
};

/** A well-formed template with `body` as its contents, built by hand. */
function template(body: string): Uint8Array {
  const content = fromHex(body);
  return concatBytes(Uint8Array.of(0xfe, content.length), content);
}
const HEAD = 'DF310101 DF3205A000000001 DF33020100';
const MODULE = 'FD0D DF3406A00000000101 DF350141';

describe('Tessera load file: the worked example of docs/load-file-format.md', () => {
  it('encodes the example load file to the documented Load File Data Block and decodes it back', () => {
    const block = encodeLoadFile(exampleFile);
    assert.equal(toHex(block), example.loadFileDataBlock);
    assert.deepEqual(decodeLoadFile(block), exampleFile);
  });

  it('hashes it with SHA-256 to the documented Load File Data Block Hash', () => {
    assert.equal(toHex(loadFileDataBlockHash(fromHex(example.loadFileDataBlock))), example.loadFileDataBlockHash);
  });

  it('uses the documented example DAP key, and the documented signature verifies under it', () => {
    const scalar = new Uint8Array(createHash('sha256').update(utf8(example.dapKeyScalarSource)).digest());
    assert.equal(toHex(scalar), example.dapPrivateScalar);
    const publicKey = importECP256PublicKey(fromHex(example.dapPublicKey));
    const derived = createPublicKey(importECP256PrivateKey(scalar));
    assert.equal(derived.equals(publicKey), true);
    assert.equal(verifyDAP(fromHex(example.loadFileDataBlockHash), fromHex(example.dapSignature), publicKey), true);
  });

  it('builds the documented INSTALL [for load], LOAD data and LOAD commands', () => {
    const install = encodeInstallCommand({
      kind: 'load', loadFileAID: exampleFile.packageAID, securityDomainAID: new Uint8Array(0),
      loadFileDataBlockHash: fromHex(example.loadFileDataBlockHash), loadParameters: { other: [] }, loadToken: new Uint8Array(0),
    });
    assert.equal(toHex(encodeCommandAPDU({ cla: GP_CLA, ins: GPInstruction.install, p1: install.p1, p2: 0, data: install.data, le: 256 })), example.installForLoad);
    const loadData = encodeLoadData({
      dapBlocks: [{ securityDomainAID: fromHex(example.securityDomainAID), signature: fromHex(example.dapSignature) }],
      loadFileDataBlock: fromHex(example.loadFileDataBlock),
    });
    assert.equal(toHex(loadData), example.loadData);
    const commands = splitLoadData(loadData, example.loadBlockBytes).map((block) =>
      toHex(encodeCommandAPDU({ cla: GP_CLA, ins: GPInstruction.load, p1: block.p1, p2: block.p2, data: block.data })));
    assert.deepEqual(commands, example.loadCommands);
  });

  it('walks the card side: INSTALL [for load], LOAD reassembly, hash check, DAP check, load file', () => {
    const install = decodeInstallCommand(0x02, fromHex(example.installForLoad).subarray(5, -1));
    assert.equal(install.kind, 'load');
    let progress: LoadProgress = LOAD_NOT_STARTED;
    let result;
    for (const command of example.loadCommands) {
      const bytes = fromHex(command);
      const step = acceptLoadBlock(progress, { p1: bytes[2] as number, p2: bytes[3] as number, data: bytes.subarray(5) });
      if (step.complete) result = step.data;
      else progress = step.progress;
    }
    assert.ok(result);
    const hash = loadFileDataBlockHash(result.loadFileDataBlock);
    assert.equal(install.kind === 'load' && toHex(install.loadFileDataBlockHash), toHex(hash));
    const [dap] = result.dapBlocks;
    assert.ok(dap);
    assert.equal(verifyDAP(hash, dap.signature, importECP256PublicKey(fromHex(example.dapPublicKey))), true);
    assert.deepEqual(decodeLoadFile(result.loadFileDataBlock), exampleFile);
  });

  it('is the hex the documentation shows', () => {
    const compact = doc.replace(/[ \t]+/g, '');
    for (const hex of [
      example.loadFileDataBlock, example.loadFileDataBlockHash, example.dapPrivateScalar, example.dapPublicKey, example.dapSignature,
      ...example.loadCommands,
    ]) {
      assert.ok(compact.includes(hex), `docs/load-file-format.md shows ${hex.slice(0, 24)}…`);
    }
    assert.ok(compact.includes(example.installForLoad), 'the INSTALL [for load] command');
  });
});

describe('Tessera load file: strict decoding (ERR_GP_LOAD_FILE_INVALID, a card answers 6A80)', () => {
  it('accepts the minimal hand-built template', () => {
    const file = decodeLoadFile(template(`${HEAD} ${MODULE}`));
    assert.equal(file.modules[0]?.firmwareClass, 'A');
  });

  const invalid: readonly (readonly [string, Uint8Array])[] = [
    ['no module', template(HEAD)],
    ['format version 2', template(`DF310102 DF3205A000000001 DF33020100 ${MODULE}`)],
    ['fields out of order', template(`DF3205A000000001 DF310101 DF33020100 ${MODULE}`)],
    ['an unknown tag', template(`${HEAD} DF370100 ${MODULE}`)],
    ['a package AID of 4 bytes', template(`DF310101 DF3204A0000000 DF33020100 ${MODULE}`)],
    ['a one-byte version', template(`DF310101 DF3205A000000001 DF330101 ${MODULE}`)],
    ['a module AID equal to the package AID', template(`${HEAD} FD0C DF3405A000000001 DF350141`)],
    ['a firmware class starting with a digit', template(`${HEAD} FD0D DF3406A00000000101 DF350131`)],
    ['a firmware class that is not UTF-8', template(`${HEAD} FD0D DF3406A00000000101 DF3501C3`)],
    ['an empty firmware class', template(`${HEAD} FD0C DF3406A00000000101 DF3500`)],
    ['a missing firmware class', template(`${HEAD} FD09 DF3406A00000000101`)],
    ['trailing bytes', concatBytes(template(`${HEAD} ${MODULE}`), fromHex('00'))],
    ['a wrong outer tag', fromHex('FD00')],
    ['padding before the template', concatBytes(fromHex('00'), template(`${HEAD} ${MODULE}`))],
    ['a non-minimal length', concatBytes(fromHex('FE81'), template(`${HEAD} ${MODULE}`).subarray(1))],
    ['empty input', new Uint8Array(0)],
  ];
  for (const [name, bytes] of invalid) {
    it(`refuses ${name}`, () => throwsTessera(() => decodeLoadFile(bytes), LibErrorCode.gpLoadFileInvalid, 0x6a80));
  }

  it('refuses to encode invalid load files', () => {
    throwsTessera(() => encodeLoadFile({ ...exampleFile, modules: [] }), LibErrorCode.gpLoadFileInvalid);
    throwsTessera(() => encodeLoadFile({ ...exampleFile, version: { major: 256, minor: 0 } }), LibErrorCode.gpLoadFileInvalid);
    throwsTessera(() => encodeLoadFile({ ...exampleFile, modules: [{ aid: fromHex('A00000000101'), firmwareClass: 'Pay ment' }] }), LibErrorCode.gpLoadFileInvalid);
    throwsTessera(() => encodeLoadFile({ ...exampleFile, modules: [{ aid: fromHex('A00000000101'), firmwareClass: 'x'.repeat(65) }] }), LibErrorCode.gpLoadFileInvalid);
    const module = exampleFile.modules[0];
    assert.ok(module);
    throwsTessera(() => encodeLoadFile({ ...exampleFile, modules: [module, module] }), LibErrorCode.gpLoadFileInvalid);
    throwsTessera(() => encodeLoadFile({ ...exampleFile, modules: Array.from({ length: LOAD_FILE_MODULES_MAX + 1 }, (_, i) => ({ aid: Uint8Array.of(0xa0, 0, 0, 0, 1, i), firmwareClass: 'A' })) }), LibErrorCode.gpLoadFileInvalid);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const loadFile: fc.Arbitrary<LoadFile> = fc.record({
      packageAID: aidArbitrary,
      major: fc.integer({ min: 0, max: 255 }),
      minor: fc.integer({ min: 0, max: 255 }),
      modules: fc.uniqueArray(
        fc.record({
          aid: aidArbitrary,
          firmwareClass: fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/),
          parameters: fc.option(fc.uint8Array({ maxLength: 255 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: LOAD_FILE_MODULES_MAX, selector: (module) => toHex(module.aid) },
      ),
    }).filter((r) => r.modules.every((m) => toHex(m.aid) !== toHex(r.packageAID)))
      .map((r) => ({
        packageAID: r.packageAID,
        version: { major: r.major, minor: r.minor },
        modules: r.modules.map((m) => ({ aid: m.aid, firmwareClass: m.firmwareClass, ...(m.parameters === undefined ? {} : { defaultInstallParameters: m.parameters }) })),
      }));
    fc.assert(fc.property(loadFile, (file) => assert.deepEqual(decodeLoadFile(encodeLoadFile(file)), file)), { numRuns: 300 });
    onlyTesseraErrors(decodeLoadFile);
    // Mutations of a valid load file: flip one byte, which must fail cleanly or still decode.
    const valid = fromHex(example.loadFileDataBlock);
    fc.assert(fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (index, byte) => {
      const mutated = Uint8Array.from(valid);
      mutated[index] = byte;
      try {
        decodeLoadFile(mutated);
      } catch (error) {
        assert.ok(error instanceof Error && 'code' in error && error.code === LibErrorCode.gpLoadFileInvalid, String(error));
      }
    }), { numRuns: 2000 });
  });
});

describe('DAP (GP 2.3.1 Annex B, C)', () => {
  const hash = fromHex(example.loadFileDataBlockHash);
  const ecKey = importECP256PrivateKey(fromHex(example.dapPrivateScalar));
  const ecPublic = createPublicKey(ecKey);

  it('signs with ECDSA P-256 as raw r || s (64 bytes) and verifies', () => {
    const signature = signDAP(hash, ecKey);
    assert.equal(signature.length, 64);
    assert.equal(verifyDAP(hash, signature, ecPublic), true);
  });

  it('answers false, never throws, for a signature the sender controls', () => {
    const signature = fromHex(example.dapSignature);
    const flipped = Uint8Array.from(signature);
    flipped[10] = (flipped[10] as number) ^ 0x01;
    assert.equal(verifyDAP(hash, flipped, ecPublic), false);
    assert.equal(verifyDAP(hash, signature.subarray(0, 63), ecPublic), false);
    assert.equal(verifyDAP(hash, new Uint8Array(0), ecPublic), false);
    const otherHash = Uint8Array.from(hash);
    otherHash[0] = (otherHash[0] as number) ^ 0x80;
    assert.equal(verifyDAP(otherHash, signature, ecPublic), false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (random) => assert.equal(verifyDAP(hash, random, ecPublic), false)), { numRuns: 200 });
  });

  it('throws on our mistakes: a wrong key kind or a hash that is not 32 bytes', () => {
    throwsTessera(() => signDAP(hash.subarray(1), ecKey), LibErrorCode.cryptoInput);
    throwsTessera(() => signDAP(hash, ecPublic), LibErrorCode.cryptoInput);
    throwsTessera(() => verifyDAP(hash, new Uint8Array(64), ecKey), LibErrorCode.cryptoInput);
  });
});
