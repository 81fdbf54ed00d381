import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode, TesseraError } from '../../../src/lib/errors.js';
import {
  acceptLoadBlock, decodeLoadData, encodeLoadData, LOAD_NOT_STARTED, splitLoadData,
} from '../../../src/lib/gp/index.js';
import type { LoadCommandBlock, LoadData, LoadProgress, LoadStep } from '../../../src/lib/gp/index.js';
import { aidArbitrary, onlyTesseraErrors, throwsTessera } from './helpers.js';

function reassemble(blocks: readonly LoadCommandBlock[], bytesMax?: number): LoadData {
  let progress: LoadProgress = LOAD_NOT_STARTED;
  for (const [index, block] of blocks.entries()) {
    const step: LoadStep = acceptLoadBlock(progress, block, bytesMax === undefined ? {} : { bytesMax });
    if (step.complete) {
      assert.equal(index, blocks.length - 1, 'only the last block completes the load');
      return step.data;
    }
    progress = step.progress;
  }
  assert.fail('the last block completes the load');
}

describe('LOAD data (GP 2.3 §11.6.2.3, Table 11-58)', () => {
  it('writes DAP blocks then C4, as GlobalPlatformPro builds its load block (constructed example)', () => {
    const encoded = encodeLoadData({
      dapBlocks: [{ securityDomainAID: fromHex('A000000151000000'), signature: fromHex('11'.repeat(64)) }],
      loadFileDataBlock: fromHex('0102030405'),
    });
    assert.equal(toHex(encoded), `E24C4F08A000000151000000C340${'11'.repeat(64)}C4050102030405`);
    assert.deepEqual(decodeLoadData(encoded), {
      dapBlocks: [{ securityDomainAID: fromHex('A000000151000000'), signature: fromHex('11'.repeat(64)) }],
      loadFileDataBlock: fromHex('0102030405'),
    });
  });

  it('uses a BER length for big data blocks (C4 82 xx xx)', () => {
    const block = new Uint8Array(1000).fill(7);
    const encoded = encodeLoadData({ dapBlocks: [], loadFileDataBlock: block });
    assert.equal(toHex(encoded.subarray(0, 4)), 'C48203E8');
  });

  it('splits as pysim does (240-byte blocks, P1 80 on the last, P2 counting from 00) and reassembles', () => {
    const block = Uint8Array.from({ length: 700 }, (_, i) => i % 251);
    const encoded = encodeLoadData({ dapBlocks: [], loadFileDataBlock: block });
    const blocks = splitLoadData(encoded, 240);
    assert.deepEqual(blocks.map((b) => [b.p1, b.p2, b.data.length]), [[0x00, 0, 240], [0x00, 1, 240], [0x80, 2, 224]]);
    assert.equal(toHex(concatBytes(...blocks.map((b) => b.data))), toHex(encoded));
    assert.deepEqual(reassemble(blocks), { dapBlocks: [], loadFileDataBlock: block });
  });

  it('answers a block out of sequence with ERR_GP_PARAMETERS (6A86)', () => {
    const blocks = splitLoadData(encodeLoadData({ dapBlocks: [], loadFileDataBlock: new Uint8Array(100) }), 40);
    const first = acceptLoadBlock(LOAD_NOT_STARTED, blocks[0] as LoadCommandBlock);
    assert.equal(first.complete, false);
    if (first.complete) return;
    throwsTessera(() => acceptLoadBlock(first.progress, blocks[2] as LoadCommandBlock), LibErrorCode.gpParameters, 0x6a86);
    throwsTessera(() => acceptLoadBlock(first.progress, blocks[0] as LoadCommandBlock), LibErrorCode.gpParameters, 0x6a86);
    throwsTessera(() => acceptLoadBlock(LOAD_NOT_STARTED, blocks[1] as LoadCommandBlock), LibErrorCode.gpParameters, 0x6a86);
    throwsTessera(() => acceptLoadBlock(LOAD_NOT_STARTED, { p1: 0x01, p2: 0, data: fromHex('C4') }), LibErrorCode.gpParameters, 0x6a86);
  });

  it('answers an empty block or a bad byte string with ERR_GP_MALFORMED (6A80)', () => {
    throwsTessera(() => acceptLoadBlock(LOAD_NOT_STARTED, { p1: 0x80, p2: 0, data: new Uint8Array(0) }), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => acceptLoadBlock(LOAD_NOT_STARTED, { p1: 0x80, p2: 0, data: fromHex('C40501020304') }), LibErrorCode.gpMalformed, 0x6a80);
    // No C4 at the end, only a DAP block.
    throwsTessera(() => decodeLoadData(fromHex('E2094F05A000000001C30101')), LibErrorCode.gpMalformed);
    // Something after C4.
    throwsTessera(() => decodeLoadData(fromHex('C40101C40101')), LibErrorCode.gpMalformed);
    // A ciphered Load File Data Block.
    throwsTessera(() => decodeLoadData(fromHex('D40101')), LibErrorCode.gpMalformed);
    // A DAP block missing its signature, or with its objects swapped.
    throwsTessera(() => decodeLoadData(fromHex('E2074F05A000000001C40101')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodeLoadData(fromHex('E20AC301014F05A000000001C40101')), LibErrorCode.gpMalformed);
  });

  it('answers a load larger than the card accepts with ERR_GP_LIMIT (6A84)', () => {
    const blocks = splitLoadData(encodeLoadData({ dapBlocks: [], loadFileDataBlock: new Uint8Array(20_000) }), 255);
    throwsTessera(() => reassemble(blocks, 10_000), LibErrorCode.gpLimit, 0x6a84);
  });

  it('refuses to split into more than 256 blocks or into blocks of no size', () => {
    const encoded = encodeLoadData({ dapBlocks: [], loadFileDataBlock: new Uint8Array(300) });
    throwsTessera(() => splitLoadData(encoded, 1), LibErrorCode.gpLimit);
    throwsTessera(() => splitLoadData(encoded, 0), LibErrorCode.gpLimit);
  });

  it('decode(encode(x)) = x, and any split reassembles to x', () => {
    const loadData = fc.record({
      dapBlocks: fc.array(fc.record({ securityDomainAID: aidArbitrary, signature: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { maxLength: 3 }),
      loadFileDataBlock: fc.uint8Array({ maxLength: 2000 }),
    }).map((data) => ({ dapBlocks: data.dapBlocks.map((dap) => ({ ...dap })), loadFileDataBlock: data.loadFileDataBlock }));
    fc.assert(
      fc.property(loadData, fc.integer({ min: 16, max: 255 }), (data, blockBytes) => {
        const encoded = encodeLoadData(data);
        assert.deepEqual(decodeLoadData(encoded), data);
        assert.deepEqual(reassemble(splitLoadData(encoded, blockBytes)), data);
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but TesseraErrors on random bytes or random block sequences', () => {
    onlyTesseraErrors((bytes) => decodeLoadData(bytes));
    fc.assert(
      fc.property(fc.array(fc.record({ p1: fc.integer({ min: 0, max: 255 }), p2: fc.integer({ min: 0, max: 3 }), data: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 5 }), (blocks) => {
        let progress: LoadProgress = LOAD_NOT_STARTED;
        try {
          for (const block of blocks) {
            const step = acceptLoadBlock(progress, block);
            if (step.complete) break;
            progress = step.progress;
          }
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
