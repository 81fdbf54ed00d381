import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../src/lib/bytes.js';
import { TesseraError } from '../../src/lib/errors.js';
import {
  describeStatusWord, isNormalProcessing, isValidStatusWord, STATUS_WORD_MEANINGS, statusWordCategory,
  statusWordFromBytes, StatusWord, statusWordToBytes, statusWordToHex,
} from '../../src/lib/status-words.js';

describe('status words (ISO/IEC 7816-4 §5.6, GlobalPlatform Card Specification 2.3 §11)', () => {
  it('describes the exact status words the card and the TSM use', () => {
    assert.equal(describeStatusWord(0x9000), '9000: No error');
    assert.equal(describeStatusWord(0x6a82), '6A82: File or application not found');
    assert.equal(describeStatusWord(0x6a83), '6A83: Record not found');
    assert.equal(describeStatusWord(0x6700), '6700: Wrong length (Lc or Le inconsistent with the command)');
    assert.equal(describeStatusWord(0x6982), '6982: Security status not satisfied');
    assert.equal(describeStatusWord(0x6985), '6985: Conditions of use not satisfied');
    assert.match(describeStatusWord(0x6283), /CARD_LOCKED/);
    assert.match(describeStatusWord(0x6310), /More data available/);
    assert.equal(describeStatusWord(0x9484), '9484: Algorithm not supported');
    assert.equal(describeStatusWord(0x9485), '9485: Invalid key check value');
  });

  it('describes the families whose SW2 carries a number', () => {
    assert.equal(describeStatusWord(0x6110), '6110: 16 more response bytes available (GET RESPONSE)');
    assert.equal(describeStatusWord(0x6100), '6100: 256 or more more response bytes available (GET RESPONSE)');
    assert.equal(describeStatusWord(0x6c1c), '6C1C: Wrong Le field; 28 bytes available (resend with Le = 1C)');
    assert.equal(describeStatusWord(0x6c00), '6C00: Wrong Le field; 256 bytes available (resend with Le = 00)');
    assert.equal(describeStatusWord(0x63c2), '63C2: Counter 2 (for VERIFY: 2 further tries allowed)');
    assert.match(describeStatusWord(0x6202), /Triggering by the card/);
    assert.equal(describeStatusWord(0x6a8f), '6A8F: Wrong parameters P1-P2 (no meaning defined for SW2 8F)');
    assert.equal(describeStatusWord(0x9123), '9123: Proprietary status word');
  });

  it('calls invalid values invalid without throwing', () => {
    assert.match(describeStatusWord(0x6000), /^6000: invalid status word/);
    assert.match(describeStatusWord(0x1234), /^1234: invalid status word/);
    assert.equal(describeStatusWord(-1), '-1: not a status word');
    assert.equal(describeStatusWord(0x10000), '65536: not a status word');
    fc.assert(fc.property(fc.integer({ min: -10, max: 0x1000a }), (sw) => {
      assert.equal(typeof describeStatusWord(sw), 'string');
    }), { numRuns: 2000 });
  });

  it('sorts status words into the ISO/IEC 7816-4 categories', () => {
    assert.equal(statusWordCategory(0x9000), 'normal');
    assert.equal(statusWordCategory(0x6120), 'normal');
    assert.equal(statusWordCategory(0x6281), 'warning');
    assert.equal(statusWordCategory(0x63c1), 'warning');
    assert.equal(statusWordCategory(0x6581), 'execution-error');
    assert.equal(statusWordCategory(0x6700), 'checking-error');
    assert.equal(statusWordCategory(0x6f00), 'checking-error');
    assert.equal(statusWordCategory(0x9484), 'proprietary');
    assert.equal(statusWordCategory(0x6000), 'invalid');
    assert.equal(isNormalProcessing(0x9000), true);
    assert.equal(isNormalProcessing(0x6105), true);
    assert.equal(isNormalProcessing(0x6283), false);
  });

  it('converts between numbers, bytes and hex', () => {
    assert.equal(statusWordFromBytes(0x6a, 0x82), StatusWord.fileOrApplicationNotFound);
    assert.equal(toHex(statusWordToBytes(StatusWord.noError)), '9000');
    assert.equal(statusWordToHex(StatusWord.wrongLength), '6700');
    assert.equal(statusWordToHex(0x0001), '0001');
    assert.throws(() => statusWordFromBytes(0x100, 0), TesseraError);
    assert.throws(() => statusWordToBytes(0x6000), TesseraError);
  });

  it('keeps the table and the named constants consistent', () => {
    const table = new Set(STATUS_WORD_MEANINGS.map((entry) => entry.sw));
    assert.equal(table.size, STATUS_WORD_MEANINGS.length, 'no status word is listed twice');
    for (const entry of STATUS_WORD_MEANINGS) {
      assert.ok(isValidStatusWord(entry.sw), statusWordToHex(entry.sw));
      assert.ok(entry.meaning.length > 0 && entry.specification.length > 0);
    }
    for (const [name, sw] of Object.entries(StatusWord)) {
      assert.ok(isValidStatusWord(sw), name);
      if (!name.endsWith('Base')) assert.ok(table.has(sw), `${name} has a meaning in the table`);
    }
    for (const required of [
      0x9000, 0x6200, 0x6281, 0x6283, 0x6310, 0x6400, 0x6581, 0x6700, 0x6881, 0x6882, 0x6982, 0x6983, 0x6984, 0x6985,
      0x6986, 0x6a80, 0x6a81, 0x6a82, 0x6a83, 0x6a84, 0x6a86, 0x6a88, 0x6d00, 0x6e00, 0x6f00, 0x9484, 0x9485,
    ]) {
      assert.ok(table.has(required), statusWordToHex(required));
    }
  });
});
