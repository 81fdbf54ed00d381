import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CENTRAL_SD_AID } from '../../../../src/card/client.js';
import { fromHex, toHex } from '../../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../../src/lib/errors.js';
import { GPHostErrorCode, GPManager } from '../../../../src/lib/gp/host/index.js';
import {
  CENTRAL_SD, echoLoadFile, ECHO_MODULE, ECHO_PACKAGE, ISD, newHostBench, rejectsWith, TEST_KEYS,
} from './helpers.js';

const APP = fromHex('F054455353EC0101');
const INS_EXTERNAL_AUTHENTICATE = 0x82;
const INS_INSTALL = 0xe6;
const INS_LOAD = 0xe8;

/** Load, install and extradite to the central SD, as one script. */
function contentScript(manager: GPManager, packageAID = ECHO_PACKAGE) {
  return [
    ...manager.loadFileCommands(echoLoadFile()),
    manager.installForInstallCommand({ loadFileAID: packageAID, moduleAID: ECHO_MODULE, applicationAID: APP }),
    manager.extraditeCommand(APP, CENTRAL_SD),
  ];
}

async function applicationOnCard(bench: ReturnType<typeof newHostBench>): Promise<string | undefined> {
  const reader = bench.newManager();
  await reader.selectSecurityDomain(ISD);
  await reader.openSecureChannel(TEST_KEYS, 0x03);
  return (await reader.getStatusOf('applications', { aidQualifier: APP })).find((entry) => entry.aidHex === toHex(APP))?.associatedSecurityDomainAIDHex;
}

describe('GPManager scripts: several commands in one exchange', () => {
  it('selects and initializes in one exchange, then authenticates ahead of a load-install-extradite script: two exchanges in all', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    const info = await manager.selectAndOpenSecureChannel(ISD, TEST_KEYS, 0x33, { authenticateAhead: true });
    assert.equal(info.securityDomainAIDHex, toHex(ISD));
    assert.equal(bench.exchanges.count, 1);
    bench.wire.length = 0;
    const responses = await manager.runScript(contentScript(manager));
    assert.equal(bench.exchanges.count, 2);
    assert.equal(responses.length, 4, 'INSTALL [for load], one LOAD, INSTALL, extradition');
    assert.deepEqual(bench.wire.map((command) => command.ins), [INS_EXTERNAL_AUTHENTICATE, INS_INSTALL, INS_LOAD, INS_INSTALL, INS_INSTALL]);
    assert.ok(bench.wire.every((command) => command.sw === 0x9000));
    // The channel goes on after the script: a later command still travels wrapped.
    const listed = await manager.getStatusOf('applications', { aidQualifier: APP });
    assert.deepEqual(listed.map((entry) => entry.aidHex), [toHex(APP)]);
    assert.equal(bench.exchanges.count, 3);
    assert.equal(await applicationOnCard(bench), CENTRAL_SD_AID);
  });

  it('stops at the first refusal, reports it by name, and ends the channel: the card ran nothing after it', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    await manager.selectAndOpenSecureChannel(ISD, TEST_KEYS, 0x33, { authenticateAhead: true });
    bench.wire.length = 0;
    const script = [
      manager.installForInstallCommand({ loadFileAID: fromHex('F0544553530BAD'), moduleAID: ECHO_MODULE, applicationAID: APP }),
      ...manager.loadFileCommands(echoLoadFile()),
    ];
    const refused = await rejectsWith(manager.runScript(script), GPHostErrorCode.status, '6A88');
    assert.equal(refused.details?.['command'], 'INSTALL [for install]');
    assert.deepEqual(bench.wire.map((command) => command.ins), [INS_EXTERNAL_AUTHENTICATE, INS_INSTALL], 'nothing after the refused INSTALL');
    // The host wrapped commands the card never saw: nothing more goes out, wrapped or not, until a new handshake.
    const sent = bench.wire.length;
    await rejectsWith(manager.getStatusOf('applications'), GPHostErrorCode.state);
    await rejectsWith(manager.getData(0x42), GPHostErrorCode.state);
    assert.equal(bench.wire.length, sent);
    await manager.selectAndOpenSecureChannel(ISD, TEST_KEYS, 0x33, { authenticateAhead: true });
    await manager.runScript(contentScript(manager));
    assert.equal(await applicationOnCard(bench), CENTRAL_SD_AID);
  });

  it('fails the whole script as ERR_GP_AUTHENTICATION when the card refuses the EXTERNAL AUTHENTICATE sent ahead', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    await manager.selectAndOpenSecureChannel(ISD, TEST_KEYS, 0x33, { authenticateAhead: true });
    // A forged 6300 (a real card refusing EXTERNAL AUTHENTICATE then refuses every wrapped command
    // with 6982; this card authenticated, so only the host's side is checked here).
    bench.overrideNext((command) => command.ins === INS_EXTERNAL_AUTHENTICATE, 0x6300);
    const refused = await rejectsWith(manager.runScript(contentScript(manager)), GPHostErrorCode.authentication);
    assert.match(refused.message, new RegExp(toHex(ISD)));
    const sent = bench.wire.length;
    await rejectsWith(manager.runScript(contentScript(manager)), GPHostErrorCode.state);
    assert.equal(bench.wire.length, sent, 'nothing goes out after a refused authentication');
  });

  it('reports a wrong card cryptogram when opening, before anything is sent ahead', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    const wrong = { enc: new Uint8Array(16).fill(1), mac: new Uint8Array(16).fill(1), dek: new Uint8Array(16).fill(1) };
    await rejectsWith(manager.selectAndOpenSecureChannel(ISD, wrong, 0x33, { authenticateAhead: true }), GPHostErrorCode.authentication);
    assert.equal(bench.exchanges.count, 1);
    await rejectsWith(manager.putKey({ newVersion: 0x31, keys: wrong }), GPHostErrorCode.state);
  });

  it('reports a missing domain as the SELECT it is, without opening anything', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    const refused = await rejectsWith(manager.selectAndOpenSecureChannel(fromHex('F054455353FFFF'), TEST_KEYS, 0x33), GPHostErrorCode.status, '6A82');
    assert.equal(refused.details?.['command'], 'SELECT F054455353FFFF');
    assert.equal(bench.wire.length, 1, 'INITIALIZE UPDATE did not run after the failed SELECT');
    assert.equal(manager.securityLevel, undefined);
  });

  it('rejects a response whose R-MAC does not verify, and ends the channel', async () => {
    const bench = newHostBench('uicc');
    const manager = bench.newScriptManager();
    await manager.selectAndOpenSecureChannel(ISD, TEST_KEYS, 0x33, { authenticateAhead: true });
    bench.rewriteNext((command) => command.ins === INS_LOAD, (response) => {
      const changed = Uint8Array.from(response);
      changed[0] = (changed[0] ?? 0) ^ 0x01;
      return changed;
    });
    await rejectsWith(manager.runScript(contentScript(manager)), LibErrorCode.cryptoVerify);
    await rejectsWith(manager.runScript(contentScript(manager)), GPHostErrorCode.state);
  });

  it('refuses a link that answers fewer commands than it was sent without stopping at a failure', async () => {
    const bench = newHostBench('uicc');
    const card = bench.card;
    const manager = new GPManager((command) => card.transmit(command), {
      transmitScript: (commands) => Promise.resolve(commands.slice(0, 1).map((command) => card.transmit(command))),
    });
    await manager.selectSecurityDomain(ISD);
    await manager.openSecureChannel(TEST_KEYS, 0x03);
    await rejectsWith(manager.runScript(contentScript(manager)), GPHostErrorCode.response);
    await rejectsWith(manager.installForPersonalization(APP), GPHostErrorCode.state);
  });

  it('without transmitScript sends a script one command at a time, with the same stop rule', async () => {
    const bench = newHostBench('uicc');
    const { manager } = bench;
    await manager.selectSecurityDomain(ISD);
    await manager.openSecureChannel(TEST_KEYS, 0x03);
    bench.wire.length = 0;
    const responses = await manager.sendAll([
      manager.installForInstallCommand({ loadFileAID: fromHex('F0544553530BAD'), moduleAID: ECHO_MODULE, applicationAID: APP }).command,
      manager.extraditeCommand(APP, CENTRAL_SD).command,
    ]);
    assert.deepEqual(responses.map((response) => response.sw), [0x6a88], 'sendAll returns the refusal as it is, and nothing after it ran');
    assert.equal(bench.wire.length, 1);
    assert.deepEqual(await manager.sendAll([]), []);
  });
});
