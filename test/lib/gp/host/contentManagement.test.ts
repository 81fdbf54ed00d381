import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { CENTRAL_SD_AID, MANDATED_DAP_SD_AID } from '../../../../src/card/client.js';
import { encodeCommandAPDU, parseResponseAPDU } from '../../../../src/lib/apdu.js';
import { fromHex, toHex } from '../../../../src/lib/bytes.js';
import { encodeTLV, primitiveNode } from '../../../../src/lib/tlv/index.js';
import { loadFileDataBlockHash, signDAP } from '../../../../src/lib/gp/index.js';
import { GPHostErrorCode } from '../../../../src/lib/gp/host/index.js';
import {
  authenticate, CENTRAL_SD, echoLoadFile, ECHO_MODULE, ECHO_PACKAGE, ISD, newHostBench, rejectsWith,
} from './helpers.js';

const APP = fromHex('F054455353EC0101');

function send(bench: ReturnType<typeof newHostBench>, hex: string): { data: string; sw: number } {
  const response = parseResponseAPDU(bench.card.transmit(fromHex(hex)));
  return { data: toHex(response.data), sw: response.sw };
}

describe('GPManager content management against the virtual card', () => {
  it('loads a load file, installs an application, extradites it to the central SD, personalizes it and deletes it all', async () => {
    const bench = newHostBench('uicc');
    const { manager } = bench;
    await authenticate(manager);
    const loaded = await manager.loadFile(echoLoadFile());
    assert.equal(loaded.loadFileAIDHex, toHex(ECHO_PACKAGE));
    assert.deepEqual(loaded.version, { major: 1, minor: 2 });
    assert.equal(loaded.blocks, 1);
    assert.equal(loaded.loadFileDataBlockHashHex, toHex(loadFileDataBlockHash(echoLoadFile())));
    assert.deepEqual(await manager.installForInstall({ loadFileAID: ECHO_PACKAGE, moduleAID: ECHO_MODULE, applicationAID: APP }), Uint8Array.of(0));
    await manager.extradite(APP, CENTRAL_SD);

    const registry = await manager.getStatus();
    const app = registry.applications.find((entry) => entry.aidHex === toHex(APP));
    assert.equal(app?.kind, 'application');
    assert.equal(app?.lifeCycleStateName, 'SELECTABLE');
    assert.equal(app?.associatedSecurityDomainAIDHex, CENTRAL_SD_AID);
    assert.equal(app?.executableLoadFileAIDHex, toHex(ECHO_PACKAGE));
    const elf = registry.loadFiles.find((entry) => entry.aidHex === toHex(ECHO_PACKAGE));
    assert.equal(elf?.associatedSecurityDomainAIDHex, 'A000000151000000');
    assert.deepEqual(elf?.moduleAIDsHex, [toHex(ECHO_MODULE)]);

    // The central SD now manages the application: personalization goes through it.
    await authenticate(manager, CENTRAL_SD);
    await manager.installForPersonalization(APP);
    await manager.storeData([fromHex('0102'), fromHex('0304')]);
    assert.deepEqual(send(bench, `00A4040008${toHex(APP)}`), { data: '', sw: 0x9000 });
    assert.deepEqual(send(bench, '8004000000'), { data: '01020304', sw: 0x9000 });

    await authenticate(manager);
    await manager.delete(ECHO_PACKAGE, { related: true });
    const after = await manager.getStatus();
    assert.equal(after.applications.some((entry) => entry.aidHex === toHex(APP)), false);
    assert.equal(after.loadFiles.some((entry) => entry.aidHex === toHex(ECHO_PACKAGE)), false);
  });

  it('cuts LOAD into blocks that fit 255 bytes after C-MAC and C-DECRYPTION, numbered from 00, P1 80 on the last', async () => {
    for (const level of [0x01, 0x03, 0x33] as const) {
      const bench = newHostBench('uicc');
      await authenticate(bench.manager, ISD, undefined, level);
      const file = echoLoadFile(12);
      bench.wire.length = 0;
      const loaded = await bench.manager.loadFile(file);
      const loads = bench.wire.filter((command) => command.ins === 0xe8);
      assert.equal(loads.length, loaded.blocks);
      assert.ok(loads.length > 1, `a ${file.length}-byte load file takes several blocks`);
      assert.deepEqual(loads.map((command) => command.p2), loads.map((_, index) => index));
      assert.deepEqual(loads.map((command) => command.p1), loads.map((_, index) => (index === loads.length - 1 ? 0x80 : 0x00)));
      for (const command of loads) assert.ok(command.dataBytes <= 255, `level ${level}: ${command.dataBytes} bytes`);
      // The blocks are as full as the level allows: 247 bytes plain + MAC, or 239 + padding to 240 + MAC.
      assert.equal(loads[0]?.dataBytes, level === 0x01 ? 255 : 248);
    }
  });

  it('sends a DAP block the mandated-DAP SD verifies, and reports the card\'s 6982 when the signature is wrong', async () => {
    const bench = newHostBench('embedded-third-party');
    const { manager } = bench;
    const dapKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // The DAP key of the mandated-DAP SD, given to it with STORE DATA (Tessera's 'DF70', docs/card.md).
    await authenticate(manager, fromHex(MANDATED_DAP_SD_AID));
    const spki = new Uint8Array(dapKey.publicKey.export({ format: 'der', type: 'spki' }));
    await manager.storeData([encodeTLV([primitiveNode(0xdf70, spki)])], { structure: 'ber-tlv' });

    await authenticate(manager);
    const file = echoLoadFile();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = [{ securityDomainAID: fromHex(MANDATED_DAP_SD_AID), signature: signDAP(loadFileDataBlockHash(file), otherKey.privateKey) }];
    const error = await rejectsWith(manager.loadFile(file, { dapBlocks: forged }), GPHostErrorCode.status, '6982');
    assert.equal(error.details?.['command'], 'LOAD block 0');

    const signed = [{ securityDomainAID: fromHex(MANDATED_DAP_SD_AID), signature: signDAP(loadFileDataBlockHash(file), dapKey.privateKey) }];
    const loaded = await manager.loadFile(file, { dapBlocks: signed });
    assert.equal(loaded.loadFileAIDHex, toHex(ECHO_PACKAGE));
  });

  it('turns refusals into ERR_GP_STATUS with the status word and the command', async () => {
    const { manager } = newHostBench('uicc');
    await authenticate(manager);
    const missing = await rejectsWith(manager.delete(fromHex('F0544553530BAD')), GPHostErrorCode.status, '6A88');
    assert.equal(missing.details?.['command'], 'DELETE F0544553530BAD');
    await rejectsWith(
      manager.installForInstall({ loadFileAID: fromHex('F0544553530BAD'), moduleAID: ECHO_MODULE, applicationAID: APP }),
      GPHostErrorCode.status,
      '6A88',
    );
    await rejectsWith(manager.load(echoLoadFile()), GPHostErrorCode.status, '6985');
    await rejectsWith(manager.selectSecurityDomain(fromHex('F054455353FFFF')), GPHostErrorCode.status, '6A82');
  });

  it('keeps plain and secured commands apart: without a secure channel the card refuses management', async () => {
    const { manager } = newHostBench('uicc');
    await manager.selectSecurityDomain(ISD);
    await rejectsWith(manager.installForLoad({ loadFileAID: ECHO_PACKAGE }), GPHostErrorCode.status, '6982');
    await rejectsWith(manager.putKey({ newVersion: 0x31, keys: { enc: new Uint8Array(16), mac: new Uint8Array(16), dek: new Uint8Array(16) } }), GPHostErrorCode.state);
    await rejectsWith(newHostBench('uicc').manager.openSecureChannel({ enc: new Uint8Array(16), mac: new Uint8Array(16), dek: new Uint8Array(16) }, 0x03), GPHostErrorCode.state);
  });

  it('reaches an application selected through the same transmit after management (plain ISO commands)', async () => {
    const bench = newHostBench('uicc');
    await authenticate(bench.manager);
    await bench.manager.loadFile(echoLoadFile());
    await bench.manager.installForInstall({ loadFileAID: ECHO_PACKAGE, moduleAID: ECHO_MODULE, applicationAID: APP, applicationParameters: fromHex('AA') });
    const select = bench.card.transmit(encodeCommandAPDU({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: APP }));
    assert.equal(parseResponseAPDU(select).sw, 0x9000);
    assert.deepEqual(send(bench, '8001000002CAFE'), { data: 'CAFE', sw: 0x9000 });
  });
});
