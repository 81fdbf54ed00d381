import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CENTRAL_SD_AID, MNO_SD_AID, PAYMENT_MODULE_AID, PAYMENT_PACKAGE_AID, PPSE_MODULE_AID } from '../../../../src/card/client.js';
import { fromHex } from '../../../../src/lib/bytes.js';
import { GPHostErrorCode } from '../../../../src/lib/gp/host/index.js';
import { authenticate, CENTRAL_SD, echoLoadFile, ECHO_MODULE, ECHO_PACKAGE, ISD, newHostBench, rejectsWith } from './helpers.js';

describe('GPManager GET STATUS against the virtual card', () => {
  it('reads the UICC registry: the ISD with the card life cycle, the MNO and central SDs, the payment package with its modules', async () => {
    const { manager } = newHostBench('uicc');
    await authenticate(manager);
    const registry = await manager.getStatus();
    assert.equal(registry.format, 'tag-list');
    assert.equal(registry.issuerSecurityDomain.aidHex, 'A000000151000000');
    assert.equal(registry.issuerSecurityDomain.kind, 'issuer-security-domain');
    assert.equal(registry.cardLifeCycleStateName, 'SECURED');
    assert.ok(registry.issuerSecurityDomain.privileges.includes('cardLock'));
    const domains = registry.applications.filter((entry) => entry.kind === 'security-domain');
    assert.deepEqual(domains.map((entry) => entry.aidHex).sort(), [CENTRAL_SD_AID, MNO_SD_AID].sort());
    for (const domain of domains) {
      assert.equal(domain.associatedSecurityDomainAIDHex, 'A000000151000000');
      assert.deepEqual([...domain.privileges], ['securityDomain', 'trustedPath', 'authorizedManagement']);
      assert.equal(domain.lifeCycleStateName, 'PERSONALIZED');
    }
    assert.deepEqual(registry.loadFiles.map((entry) => entry.aidHex), ['A0000001515350', PAYMENT_PACKAGE_AID], 'the Security Domain package and the payment package');
    const payment = registry.loadFiles.find((entry) => entry.aidHex === PAYMENT_PACKAGE_AID);
    assert.equal(payment?.aidHex, PAYMENT_PACKAGE_AID);
    assert.equal(payment?.kind, 'executable-load-file');
    assert.equal(payment?.lifeCycleStateName, 'LOADED');
    assert.equal(payment?.associatedSecurityDomainAIDHex, CENTRAL_SD_AID);
    assert.deepEqual(payment?.moduleAIDsHex, [PAYMENT_MODULE_AID, PPSE_MODULE_AID]);
    assert.equal(payment?.versionHex, '0100');
  });

  it('follows 6310 with P2 "next occurrence" until the card answers 9000', async () => {
    const { manager, wire } = newHostBench('uicc');
    await authenticate(manager);
    await manager.loadFile(echoLoadFile());
    // Enough applications that GET STATUS P1 40 takes more than one page.
    const expected: string[] = [];
    for (let i = 0; i < 8; i++) {
      const aid = fromHex(`F054455353EC01${(0xa0 + i).toString(16).toUpperCase()}`);
      await manager.installForInstall({ loadFileAID: ECHO_PACKAGE, moduleAID: ECHO_MODULE, applicationAID: aid });
      expected.push(`F054455353EC01${(0xa0 + i).toString(16).toUpperCase()}`);
    }
    wire.length = 0;
    const applications = await manager.getStatusOf('applications');
    const getStatus = wire.filter((command) => command.ins === 0xf2);
    assert.ok(getStatus.length > 1, `expected several pages, got ${getStatus.length}`);
    assert.equal(getStatus[0]?.p2, 0x02);
    for (const page of getStatus.slice(1)) assert.equal(page.p2, 0x03);
    assert.deepEqual(getStatus.map((command) => command.sw), [...getStatus.slice(1).map(() => 0x6310), 0x9000]);
    for (const aid of expected) assert.ok(applications.some((entry) => entry.aidHex === aid && entry.kind === 'application'), aid);
  });

  it('asks again in the legacy format when the card answers 6A86 to the tag-list format', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    bench.overrideNext((command) => command.ins === 0xf2 && command.p2 === 0x02, 0x6a86);
    const registry = await bench.manager.getStatus();
    assert.equal(registry.format, 'legacy');
    assert.equal(registry.issuerSecurityDomain.aidHex, 'A000000151000000');
    assert.equal(registry.cardLifeCycleStateName, 'SECURED');
    // The legacy format carries privilege byte 1 only and no association.
    assert.deepEqual([...registry.issuerSecurityDomain.privileges], ['securityDomain', 'cardLock', 'cardTerminate', 'cvmManagement']);
    assert.equal(registry.applications.length, 2);
    assert.equal(registry.applications[0]?.associatedSecurityDomainAIDHex, undefined);
    assert.deepEqual(registry.loadFiles.find((entry) => entry.aidHex === PAYMENT_PACKAGE_AID)?.moduleAIDsHex, [PAYMENT_MODULE_AID, PPSE_MODULE_AID]);
    assert.deepEqual(bench.wire.filter((command) => command.ins === 0xf2).map((command) => command.p2), [0x02, 0x00, 0x00, 0x00]);
  });

  it('asks for load files without modules (P1 20) when the card refuses P1 10', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    bench.overrideNext((command) => command.ins === 0xf2 && command.p1 === 0x10, 0x6a86);
    const registry = await bench.manager.getStatus();
    const payment = registry.loadFiles.find((entry) => entry.aidHex === PAYMENT_PACKAGE_AID);
    assert.ok(payment !== undefined);
    assert.deepEqual(payment.moduleAIDsHex, []);
  });

  it('filters by AID prefix and reads "no match" (6A88) as an empty list', async () => {
    const { manager } = newHostBench('uicc');
    await authenticate(manager);
    const central = await manager.getStatusOf('applications', { aidQualifier: CENTRAL_SD });
    assert.deepEqual(central.map((entry) => entry.aidHex), [CENTRAL_SD_AID]);
    assert.deepEqual(await manager.getStatusOf('applications', { aidQualifier: fromHex('A0000009') }), []);
  });

  it('shows a Supplementary Security Domain only itself and what it manages', async () => {
    const { manager } = newHostBench('uicc');
    await authenticate(manager, CENTRAL_SD);
    const registry = await manager.getStatus();
    assert.deepEqual(registry.applications.map((entry) => entry.aidHex), [CENTRAL_SD_AID]);
    assert.deepEqual(registry.loadFiles.map((entry) => entry.aidHex), [PAYMENT_PACKAGE_AID]);
  });

  it('refuses GET STATUS without a secure channel with the card\'s status word', async () => {
    const { manager } = newHostBench('uicc');
    await manager.selectSecurityDomain(ISD);
    const error = await rejectsWith(manager.getStatus(), GPHostErrorCode.status, '6982');
    assert.equal(error.details?.['command'], 'GET STATUS P1 80');
  });
});
