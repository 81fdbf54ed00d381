import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  decodePerformCardAPDU, decodeTerminalResponse, encodePerformCardAPDU, encodeTerminalResponse, PaymentAppletErrorCode, RESULT_PERFORMED,
} from '../../../src/applets/payment/client.js';

describe('PERFORM CARD APDU and TERMINAL RESPONSE (ETSI TS 102 223 §6.4.17)', () => {
  it('lays the proactive command out as ETSI specifies', () => {
    // D0, command details (81: tag 01 with CR) number 1 type 30 qualifier 00, device identities UICC (81) → card reader 1 (11), C-APDU (A2).
    assert.equal(toHex(encodePerformCardAPDU(1, fromHex('00A4040000'))), 'D010' + '8103013000' + '82028111' + 'A20500A4040000');
    assert.equal(toHex(encodeTerminalResponse(1, RESULT_PERFORMED, fromHex('9000'))), '8103013000' + '82028281' + '830100' + 'A3029000');
  });

  it('round-trips any command number and APDU that fits, including the 81 XX length form', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ minLength: 4, maxLength: 230 }), (number, commandAPDU) => {
      const decoded = decodePerformCardAPDU(encodePerformCardAPDU(number, commandAPDU));
      assert.equal(decoded.commandNumber, number);
      assert.deepEqual(decoded.commandAPDU, commandAPDU);
    }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ minLength: 2, maxLength: 240 }), (number, responseAPDU) => {
      const decoded = decodeTerminalResponse(encodeTerminalResponse(number, RESULT_PERFORMED, responseAPDU));
      assert.equal(decoded.commandNumber, number);
      assert.equal(decoded.result, RESULT_PERFORMED);
      assert.deepEqual(decoded.responseAPDU, responseAPDU);
    }));
  });

  it('refuses what does not fit one 91XX announcement', () => {
    assert.throws(() => encodePerformCardAPDU(1, new Uint8Array(250)), (error: unknown) => error instanceof TesseraError && error.code === PaymentAppletErrorCode.proactive);
  });

  it('refuses other commands, other devices, trailing bytes and non-minimal lengths', () => {
    const refused = (hex: string, decode: (bytes: Uint8Array) => unknown) => assert.throws(() => decode(fromHex(hex)), TesseraError, hex);
    refused('D0108103012100' + '82028111' + 'A20500A4040000', decodePerformCardAPDU); // DISPLAY TEXT, not PERFORM CARD APDU
    refused('D0108103013000' + '82028102' + 'A20500A4040000', decodePerformCardAPDU); // to the display, not card reader 1
    refused('D0108103013000' + '82028111' + 'A20500A4040000' + '00', decodePerformCardAPDU); // a byte past the template
    refused('D0118103013000' + '82028111' + 'A2810500A4040000', decodePerformCardAPDU); // 81 05: not the shortest length
    refused('D0098103013000' + '82028111', decodePerformCardAPDU); // no C-APDU
    refused('8103013000' + '82028281', decodeTerminalResponse); // no result
    refused('8103013000' + '82028281' + '830100' + 'A30190', decodeTerminalResponse); // an R-APDU shorter than a status word
  });

  it('throws nothing but TesseraError on random input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const decode of [decodePerformCardAPDU, decodeTerminalResponse]) {
        try {
          decode(bytes);
        } catch (error) {
          assert.ok(error instanceof TesseraError, String(error));
        }
      }
    }));
  });
});
