import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { isTesseraError } from '../../../src/lib/errors.js';
import { certificationRequestFacts } from '../../../src/tsm/devices/index.js';
import { encodeCertificationRequest, encodeCertificationRequestInfo } from '../../../src/device/client.js';

const POINT = fromHex(`04${'11'.repeat(32)}${'22'.repeat(32)}`);
const SIGNATURE = fromHex('3006020101020101');

describe('certificationRequestFacts (the TSM reads a device request before the CA verifies it)', () => {
  it('reads the subject key and the registration counter', () => {
    const request = encodeCertificationRequest(encodeCertificationRequestInfo('Tessera device 01', POINT, '0123456789ABCDEF'), SIGNATURE);
    assert.deepEqual(certificationRequestFacts(request), { publicKeyHex: toHex(POINT), registrationCounter: '0123456789ABCDEF' });
  });

  it('refuses a request without a well-formed counter', () => {
    for (const counter of ['0123', 'not-a-counter!!!', '0123456789abcdef']) {
      const request = encodeCertificationRequest(encodeCertificationRequestInfo('x', POINT, counter), SIGNATURE);
      assert.throws(() => certificationRequestFacts(request), (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_INVALID');
    }
  });

  it('refuses a compressed or foreign key', () => {
    const compressed = fromHex(`02${'11'.repeat(32)}`);
    const request = encodeCertificationRequest(encodeCertificationRequestInfo('x', compressed, '0123456789ABCDEF'), SIGNATURE);
    assert.throws(() => certificationRequestFacts(request), (error: unknown) => isTesseraError(error) && error.code === 'ERR_TSM_INVALID');
  });

  it('throws nothing but its typed error for random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
      try {
        certificationRequestFacts(bytes);
      } catch (error) {
        assert.ok(isTesseraError(error) && error.code === 'ERR_TSM_INVALID', String(error));
      }
    }), { numRuns: 2000 });
  });
});
