import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  ApplicationLifeCycleState, CardLifeCycleState, checkPrivilegeCombination, decodePrivileges, encodePrivileges,
  isLockedLifeCycleState, lifeCycleStateName, PRIVILEGE_NAMES, SecurityDomainLifeCycleState,
} from '../../../src/lib/gp/index.js';
import type { PrivilegeName } from '../../../src/lib/gp/index.js';
import { onlyTesseraErrors, throwsTessera } from './helpers.js';

describe('privileges (GP 2.3 §11.1.2)', () => {
  // martinpaljak/GlobalPlatformPro TestParseTags.testPrivileges: '80C000' is SD + Trusted Path +
  // Authorized Management, '9EFE80' has 13 privileges; both re-encode to the same bytes.
  it('decodes and re-encodes the GlobalPlatformPro test values', () => {
    assert.deepEqual(decodePrivileges(fromHex('80C000')), ['securityDomain', 'trustedPath', 'authorizedManagement']);
    const many = decodePrivileges(fromHex('9EFE80'));
    assert.equal(many.length, 13);
    assert.equal(toHex(encodePrivileges(many)), '9EFE80');
    assert.equal(toHex(encodePrivileges(['authorizedManagement', 'securityDomain', 'trustedPath'])), '80C000');
  });

  it('codes each byte-1 privilege on its own bit: DAP C0, Delegated Management A0, Mandated DAP C1 with the SD bit', () => {
    assert.equal(toHex(encodePrivileges(['securityDomain', 'dapVerification'])), 'C00000');
    assert.equal(toHex(encodePrivileges(['securityDomain', 'delegatedManagement'])), 'A00000');
    assert.equal(toHex(encodePrivileges(['securityDomain', 'dapVerification', 'mandatedDAPVerification'])), 'C10000');
    assert.equal(toHex(encodePrivileges(['cardLock', 'cardTerminate', 'cardReset', 'cvmManagement'])), '1E0000');
    assert.equal(toHex(encodePrivileges(['globalService', 'finalApplication', 'globalRegistry', 'globalLock', 'globalDelete'])), '001F00');
    assert.equal(toHex(encodePrivileges(['receiptGeneration', 'cipheredLoadFileDataBlock', 'contactlessActivation', 'contactlessSelfActivation'])), '0000F0');
  });

  it('accepts the 1-byte GP 2.1.1 form and writes it when asked', () => {
    assert.deepEqual(decodePrivileges(fromHex('80')), ['securityDomain']);
    assert.deepEqual(decodePrivileges(fromHex('04')), ['cardReset']);
    assert.equal(toHex(encodePrivileges(['securityDomain', 'cardReset'], 1)), '84');
    throwsTessera(() => encodePrivileges(['globalDelete'], 1), LibErrorCode.gpMalformed);
  });

  it('refuses other lengths and RFU bits', () => {
    throwsTessera(() => decodePrivileges(fromHex('8000')), LibErrorCode.gpMalformed, 0x6a80);
    throwsTessera(() => decodePrivileges(new Uint8Array(0)), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePrivileges(fromHex('800000FF')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePrivileges(fromHex('000001')), LibErrorCode.gpMalformed);
    throwsTessera(() => decodePrivileges(fromHex('00000F')), LibErrorCode.gpMalformed);
    throwsTessera(() => encodePrivileges(['noSuchPrivilege' as PrivilegeName]), LibErrorCode.gpMalformed);
  });

  it('refuses Security-Domain-only privileges without the SD bit, and Mandated DAP without DAP', () => {
    for (const name of ['dapVerification', 'delegatedManagement', 'authorizedManagement', 'tokenVerification', 'receiptGeneration', 'cipheredLoadFileDataBlock'] as const) {
      throwsTessera(() => checkPrivilegeCombination([name]), LibErrorCode.gpMalformed, 0x6a80);
      checkPrivilegeCombination(['securityDomain', name]);
    }
    throwsTessera(() => checkPrivilegeCombination(['securityDomain', 'mandatedDAPVerification']), LibErrorCode.gpMalformed);
    // '40' alone is DAP Verification without the SD bit; '01' Mandated DAP alone.
    throwsTessera(() => checkPrivilegeCombination(decodePrivileges(fromHex('400000'))), LibErrorCode.gpMalformed);
    throwsTessera(() => checkPrivilegeCombination(decodePrivileges(fromHex('810000'))), LibErrorCode.gpMalformed);
    checkPrivilegeCombination(decodePrivileges(fromHex('C10000')));
    checkPrivilegeCombination(['cardReset', 'globalService', 'contactlessSelfActivation', 'trustedPath']);
  });

  it('decode(encode(x)) is x in canonical order, and encode(decode(b)) is b', () => {
    fc.assert(
      fc.property(fc.subarray([...PRIVILEGE_NAMES]), (names) => {
        const shuffled = [...names].reverse();
        assert.deepEqual(decodePrivileges(encodePrivileges(shuffled)), names);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 3 }), (bytes) => {
        const valid = Uint8Array.of(bytes[0] as number, bytes[1] as number, (bytes[2] as number) & 0xf0);
        assert.equal(toHex(encodePrivileges(decodePrivileges(valid))), toHex(valid));
      }),
    );
  });

  it('throws nothing but TesseraErrors on random bytes', () => {
    onlyTesseraErrors(decodePrivileges, 4);
  });
});

describe('life cycle states (GP 2.3 §11.1.1)', () => {
  it('names the card states', () => {
    assert.equal(lifeCycleStateName('card', CardLifeCycleState.OP_READY), 'OP_READY');
    assert.equal(lifeCycleStateName('card', 0x0f), 'SECURED');
    assert.equal(lifeCycleStateName('card', 0x7f), 'CARD_LOCKED');
    assert.equal(lifeCycleStateName('card', 0xff), 'TERMINATED');
    assert.equal(lifeCycleStateName('card', 0x03), 'UNKNOWN');
  });

  it('names application states, application-specific ones and LOCKED', () => {
    assert.equal(lifeCycleStateName('application', ApplicationLifeCycleState.INSTALLED), 'INSTALLED');
    assert.equal(lifeCycleStateName('application', 0x07), 'SELECTABLE');
    assert.equal(lifeCycleStateName('application', 0x0f), 'APPLICATION_SPECIFIC');
    assert.equal(lifeCycleStateName('application', 0x7f), 'APPLICATION_SPECIFIC');
    assert.equal(lifeCycleStateName('application', 0x87), 'LOCKED');
    assert.equal(lifeCycleStateName('application', 0x83), 'LOCKED');
    assert.equal(lifeCycleStateName('application', 0x01), 'UNKNOWN');
  });

  it('names Security Domain and load file states', () => {
    assert.equal(lifeCycleStateName('security-domain', SecurityDomainLifeCycleState.PERSONALIZED), 'PERSONALIZED');
    assert.equal(lifeCycleStateName('security-domain', SecurityDomainLifeCycleState.LOCKED), 'LOCKED');
    assert.equal(lifeCycleStateName('security-domain', 0x8f), 'LOCKED');
    assert.equal(lifeCycleStateName('executable-load-file', 0x01), 'LOADED');
    assert.equal(isLockedLifeCycleState(0x83), true);
    assert.equal(isLockedLifeCycleState(0x07), false);
    assert.equal(isLockedLifeCycleState(0x80), false);
  });
});
