/**
 * The real thing: a card served by our vpcd bridge, seen through the operating system's PC/SC
 * stack (pcscd + the vsmartcard vpcd driver) by unmodified PC/SC tools (OpenSC's opensc-tool,
 * pcsc-tools' scriptor).
 *
 * Needs the Debian packages pcscd, vsmartcard-vpcd, opensc and pcsc-tools (scripts/pcsc-setup.sh).
 * Without them the suite is skipped, unless CI is set: CI installs them, so there it fails.
 *
 * Only this file uses pcscd. pcscd's socket (/run/pcscd/pcscd.comm) is one per machine, so runs of
 * this file serialize on a machine-wide lock; the pcscd it starts has its own reader.conf.d with
 * vpcd on a free port pair, and is stopped at the end. A pcscd already running with vpcd in its
 * reader.conf.d is reused instead (then the bridge uses that vpcd's slot 0 port).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectToVpcd } from '../../../src/card/vpcd/index.js';
import type { VpcdBridge } from '../../../src/card/vpcd/index.js';
import { createLogger } from '../../../src/infra/log/index.js';
import { toHex } from '../../../src/lib/bytes.js';
import {
  CARD_PRESENT_TIMEOUT_MS,
  READER_APPEAR_TIMEOUT_MS,
  acquirePcscLock,
  findPcscTools,
  findReader,
  listReaders,
  runTool,
  sendWithOpensc,
  sendWithScriptor,
  startOrReusePcscd,
  waitForReaders,
  withPcscDiagnostics,
} from './pcscHarness.js';
import type { PcscDaemon, PcscTools } from './pcscHarness.js';
import { ECHO_CLA, ECHO_INS, ISD_AID_HEX, ISD_FCI_HEX, TEST_ATR, TestCard } from './testCard.js';

/** Whole-suite limit: lock wait, pcscd start, card detection and every tool run fit well inside. */
const SUITE_TIMEOUT_MS = 240_000;

const inCI = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0';
const found = findPcscTools();
const skip = 'missing' in found && !inCI ? `PC/SC tools missing (${found.missing.join(', ')}); run scripts/pcsc-setup.sh` : false;

const SELECT_ISD = `00A4040008${ISD_AID_HEX}00`;
const hexOf = (byteCount: number, seed: number): string =>
  toHex(Uint8Array.from({ length: byteCount }, (_, index) => (index * 7 + seed) & 0xff));
const shortEcho = (dataHex: string): string =>
  `${toHex(Uint8Array.of(ECHO_CLA, ECHO_INS, 0, 0, dataHex.length / 2))}${dataHex}`;
const extendedEcho = (dataHex: string): string => {
  const length = dataHex.length / 2;
  return `${toHex(Uint8Array.of(ECHO_CLA, ECHO_INS, 0, 0, 0, length >> 8, length & 0xff))}${dataHex}0000`;
};

describe('a card in a PC/SC reader: pcscd + vsmartcard vpcd + our bridge', { skip, timeout: SUITE_TIMEOUT_MS }, () => {
  let tools: PcscTools;
  let release: (() => Promise<void>) | undefined;
  let daemon: PcscDaemon | undefined;
  let bridge: VpcdBridge | undefined;
  const card = new TestCard();
  const logger = createLogger({ level: 'warn', name: 'vpcd-bridge-test' });

  function connectBridge(): VpcdBridge {
    assert.ok(daemon !== undefined);
    return connectToVpcd(card, { host: '127.0.0.1', port: daemon.vpcdPort, logger, reconnectDelayMsMax: 500 });
  }

  async function cleanUp(): Promise<void> {
    await bridge?.stop();
    bridge = undefined;
    await daemon?.stop();
    daemon = undefined;
    await release?.();
    release = undefined;
  }

  const withDiagnostics = <T>(step: () => Promise<T>): Promise<T> => withPcscDiagnostics(daemon, step);

  async function readerState(): Promise<{ index: number; cardPresent: boolean }> {
    assert.ok(daemon !== undefined);
    const reader = findReader(await listReaders(tools), daemon.readerName);
    assert.ok(reader !== undefined, `reader ${daemon.readerName} is gone`);
    return reader;
  }

  async function waitForCard(present: boolean): Promise<void> {
    assert.ok(daemon !== undefined);
    const name = daemon.readerName;
    await waitForReaders(
      tools,
      (readers) => findReader(readers, name)?.cardPresent === present,
      CARD_PRESENT_TIMEOUT_MS,
      present ? `a card in "${name}"` : `"${name}" to be empty`,
    );
  }

  before(async () => {
    if ('missing' in found) {
      throw new Error(`CI is set but PC/SC tools are missing (${found.missing.join(', ')}); CI must run scripts/pcsc-setup.sh first`);
    }
    tools = found.tools;
    try {
      const lock = await acquirePcscLock();
      release = () => lock.release();
      daemon = await startOrReusePcscd(tools);
      const name = daemon.readerName;
      const readers = await withDiagnostics(() =>
        waitForReaders(tools, (listed) => findReader(listed, name) !== undefined, READER_APPEAR_TIMEOUT_MS, `reader "${name}"`),
      );
      // Only possible with a reused pcscd: another virtual card already holds slot 0, and ours
      // would wait behind it in vpcd's listen queue.
      assert.equal(findReader(readers, name)?.cardPresent, false, `"${name}" already has a card; stop whatever serves it`);
      bridge = connectBridge();
      await bridge.connected;
      await withDiagnostics(() => waitForCard(true));
    } catch (error) {
      await cleanUp();
      throw error;
    }
  });

  after(cleanUp);

  it('shows the card in the reader with its ATR (opensc-tool -a)', async () => {
    const { index } = await readerState();
    const result = await runTool(tools.openscTool, ['-r', String(index), '-a']);
    assert.equal(result.code, 0, result.stderr);
    const printed = result.stdout.trim().split('\n').at(-1)?.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
    assert.equal(printed, toHex(TEST_ATR));
    assert.ok(card.powerOnCount >= 1, 'pcscd powers the card up when it detects it');
  });

  it('answers SELECT and ECHO sent with opensc-tool', async () => {
    const { index } = await readerState();
    const responses = await withDiagnostics(() => sendWithOpensc(tools, index, [SELECT_ISD, shortEcho('CAFEBABE'), '00CA9F7F00']));
    assert.deepEqual(responses, [`${ISD_FCI_HEX}9000`, 'CAFEBABE9000', '6D00']);
  });

  it('runs a scripted session with scriptor: status words, the longest short APDU, errors', async () => {
    const echo255 = hexOf(255, 1);
    const exchanges = await withDiagnostics(() =>
      sendWithScriptor(tools, (daemon as PcscDaemon).readerName, [
        SELECT_ISD,
        shortEcho(echo255),
        '00A4040005A00000000100',
        'B0CA000000',
        '80EE0000',
      ]),
    );
    assert.deepEqual(
      exchanges.map((exchange) => exchange.response),
      [`${ISD_FCI_HEX}9000`, `${echo255}9000`, '6A82', '6E00', '9000'],
    );
  });

  it('carries an extended-length command and response (4 000 data bytes each way)', async () => {
    const data = hexOf(4_000, 3);
    const exchanges = await withDiagnostics(() => sendWithScriptor(tools, (daemon as PcscDaemon).readerName, [extendedEcho(data)]));
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0]?.response, `${data}9000`);
  });

  it('passes a PC/SC warm reset (SCardReconnect with SCARD_RESET_CARD) to the card', async () => {
    const resetsBefore = card.resetCount;
    const exchanges = await withDiagnostics(() => sendWithScriptor(tools, (daemon as PcscDaemon).readerName, ['reset', SELECT_ISD]));
    assert.ok(card.resetCount > resetsBefore, 'the card saw a reset');
    assert.equal(exchanges.at(-1)?.response, `${ISD_FCI_HEX}9000`);
  });

  it('removes the card (powered off) when the bridge stops, and reinserts it when it reconnects', async () => {
    assert.ok(bridge !== undefined);
    await bridge.stop();
    bridge = undefined;
    assert.equal(card.powered, false, 'leaving the reader removes power');
    await withDiagnostics(() => waitForCard(false));

    bridge = connectBridge();
    await bridge.connected;
    await withDiagnostics(() => waitForCard(true));
    const { index } = await readerState();
    assert.deepEqual(await sendWithOpensc(tools, index, [shortEcho('0102')]), ['01029000']);
  });
});
