import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import { decodeDeleteCommandData, DELETE_RESPONSE_WITHOUT_RECEIPT, DeleteP2, encodeDeleteCommandData } from '../../../src/lib/gp/index.js';
import type { DeleteCommandData } from '../../../src/lib/gp/index.js';
import { primitiveNode } from '../../../src/lib/tlv/index.js';
import { aidArbitrary, onlyTesseraErrors, throwsTessera } from './helpers.js';

describe('DELETE data (GP 2.3 §11.2.2.3)', () => {
  it("writes '4F' AID as GlobalPlatformPro deleteAID and pysim delete_card_content do", () => {
    assert.equal(toHex(encodeDeleteCommandData({ kind: 'card-content', aid: fromHex('D0D1D2D3D4D501') })), '4F07D0D1D2D3D4D501');
    assert.equal(DeleteP2.objectAndRelated, 0x80);
    assert.equal(toHex(DELETE_RESPONSE_WITHOUT_RECEIPT), '00');
  });

  it("writes key deletions as pysim delete_key does: 'D0' key identifier, 'D2' key version", () => {
    assert.equal(toHex(encodeDeleteCommandData({ kind: 'key', keyIdentifier: 1, keyVersionNumber: 0x30 })), 'D00101D20130');
    assert.deepEqual(decodeDeleteCommandData(fromHex('D20130')), { kind: 'key', keyVersionNumber: 0x30 });
  });

  it("carries a control reference template ('B6') and a Delete Token ('9E') after the AID (constructed example)", () => {
    const command: DeleteCommandData = {
      kind: 'card-content',
      aid: fromHex('A0000000010101'),
      controlReferenceTemplate: [primitiveNode(0x42, fromHex('0102')), primitiveNode(0x93, fromHex('01'))],
      deleteToken: fromHex('AA'.repeat(8)),
    };
    const encoded = encodeDeleteCommandData(command);
    assert.equal(toHex(encoded), `4F07A0000000010101B607420201029301019E08${'AA'.repeat(8)}`);
    assert.deepEqual(decodeDeleteCommandData(encoded), command);
  });

  it('refuses what a card answers 6A80 to', () => {
    throwsTessera(() => decodeDeleteCommandData(new Uint8Array(0)), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodeDeleteCommandData(fromHex('4F03A00000')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('4F05A0000000014F05A000000002')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('9E0101')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('4F05A0000000019E0101B600')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('4F05A000000001D00101')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('D0020101')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('D00180')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeDeleteCommandData(fromHex('4F05A00000000100')), LibErrorCode.gpMalformed);
    throwsTessera(() => encodeDeleteCommandData({ kind: 'key' }), LibErrorCode.gpMalformed);
  });

  it('decode(encode(x)) = x, and random bytes raise only TesseraErrors', () => {
    const command: fc.Arbitrary<DeleteCommandData> = fc.oneof(
      fc.record({ aid: aidArbitrary, token: fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }), { nil: undefined }), issuer: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }) })
        .map(({ aid, token, issuer }) => ({
          kind: 'card-content' as const,
          aid,
          ...(issuer === undefined ? {} : { controlReferenceTemplate: [primitiveNode(0x42, issuer)] }),
          ...(token === undefined ? {} : { deleteToken: token }),
        })),
      fc.record({ id: fc.option(fc.integer({ min: 0, max: 0x7f }), { nil: undefined }), version: fc.integer({ min: 0, max: 0xff }) })
        .map(({ id, version }) => ({ kind: 'key' as const, ...(id === undefined ? {} : { keyIdentifier: id }), keyVersionNumber: version })),
    );
    fc.assert(fc.property(command, (data) => assert.deepEqual(decodeDeleteCommandData(encodeDeleteCommandData(data)), data)));
    onlyTesseraErrors(decodeDeleteCommandData);
  });
});
