import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../src/lib/crypto/index.js';
import { openSCP03 } from '../../src/lib/scp03/index.js';
import { isTesseraError } from '../../src/lib/errors.js';
import {
  CENTRAL_SD_AID, createCardImage, ISD_AID, openCardImage, PROFILE_NAMES, readCardImageFile,
} from '../../src/card/client.js';
import { echoLoadFile, installApplet, loadPackage, split, testFirmware, wrapChannel } from './harness.js';
import { keyOfIteration, versionOfIteration } from './putKeyLoop.js';

const DEVICE_KEY = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const directory = mkdtempSync(join(tmpdir(), 'tessera-card-'));
after(() => rmSync(directory, { recursive: true, force: true }));
/** Bounded: the crash test kills its child after this many acknowledged PUT KEYs, or this long. */
const CRASH_AFTER_COMMITS = 25;
const CRASH_TEST_TIMEOUT_MS = 60_000;

const hasCode = (code: string) => (error: unknown): boolean => isTesseraError(error) && error.code === code;

describe('card image persistence', () => {
  it('writes every profile under 64 KiB, with key values sealed, and reads it back', () => {
    for (const profile of PROFILE_NAMES) {
      const path = join(directory, `${profile}.json`);
      const state = createCardImage(path, DEVICE_KEY, { profile, random: createDeterministicRandomSource(new TextEncoder().encode(profile)) });
      assert.ok(statSync(path).size < 64 * 1024, `${profile} image is ${statSync(path).size} bytes`);
      const text = readFileSync(path, 'utf8');
      assert.ok(!text.includes('404142434445464748494A4B4C4D4E4F'), 'no key in clear');
      assert.deepEqual(readCardImageFile(path, DEVICE_KEY), state);
    }
    assert.throws(() => createCardImage(join(directory, 'uicc.json'), DEVICE_KEY, { profile: 'uicc' }), hasCode('ERR_CARD_IMAGE_INVALID'), 'never overwrites');
  });

  it('refuses a changed image and another device key', () => {
    const path = join(directory, 'uicc.json');
    assert.throws(() => readCardImageFile(path, new Uint8Array(32)), hasCode('ERR_CARD_IMAGE_INTEGRITY'));
    const changed = join(directory, 'changed.json');
    writeFileSync(changed, readFileSync(path, 'utf8').replace('"lifeCycle": 15', '"lifeCycle": 7'));
    assert.throws(() => readCardImageFile(changed, DEVICE_KEY), hasCode('ERR_CARD_IMAGE_INTEGRITY'));
    writeFileSync(changed, '{ not json');
    assert.throws(() => readCardImageFile(changed, DEVICE_KEY), hasCode('ERR_CARD_IMAGE_INVALID'));
    assert.throws(() => readCardImageFile(join(directory, 'missing.json'), DEVICE_KEY), hasCode('ERR_CARD_IMAGE_MISSING'));
  });

  it('keeps committed content and applet state across a restart', async () => {
    const path = join(directory, 'restart.json');
    createCardImage(path, DEVICE_KEY, { profile: 'uicc' });
    const first = openCardImage(path, DEVICE_KEY, { firmware: testFirmware() });
    first.powerOn();
    const key = fromHex('404142434445464748494A4B4C4D4E4F');
    split(first.transmit(fromHex(`00A4040008${CENTRAL_SD_AID}`)));
    const channel = await openSCP03((apdu) => first.transmit(apdu), { keyVersion: 0x30, enc: key, mac: key, dek: key }, { securityLevel: 0x03 });
    const secure = wrapChannel(channel);
    await loadPackage(secure, echoLoadFile());
    assert.equal((await installApplet(secure, { aid: 'F05445535399010101' })).sw, 0x9000);
    split(first.transmit(fromHex('00A4040009F05445535399010101')));
    assert.deepEqual(split(first.transmit(fromHex('800200000400000007'))), { data: '00000007', sw: 0x9000 });

    const second = openCardImage(path, DEVICE_KEY, { firmware: testFirmware() });
    second.powerOn();
    split(second.transmit(fromHex('00A4040009F05445535399010101')));
    assert.deepEqual(split(second.transmit(fromHex('8003000000'))), { data: '00000007', sw: 0x9000 });
  });

  it('after a kill -9 in the middle of a PUT KEY loop, the image holds the last acknowledged keyset or the next one', async () => {
    const path = join(directory, 'crash.json');
    createCardImage(path, DEVICE_KEY, { profile: 'embedded' });
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./putKeyLoop.ts', import.meta.url).pathname, path, toHex(DEVICE_KEY)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let lastCommitted = -1;
    const timer = setTimeout(() => child.kill('SIGKILL'), CRASH_TEST_TIMEOUT_MS);
    for await (const line of createInterface({ input: child.stdout })) {
      lastCommitted = Number(line.split(' ')[1]);
      // Kill at an uneven moment: sometimes right after the acknowledgement, sometimes a little later.
      if (lastCommitted >= CRASH_AFTER_COMMITS) {
        child.kill('SIGKILL');
        break;
      }
    }
    clearTimeout(timer);
    assert.equal(await exited, 'SIGKILL', stderr);
    assert.ok(lastCommitted >= CRASH_AFTER_COMMITS, `the loop ran: ${stderr}`);

    const state = readCardImageFile(path, DEVICE_KEY);
    const keyset = state.securityDomains.find((domain) => domain.aid === ISD_AID)?.keysets[0];
    assert.ok(keyset !== undefined);
    const candidates = [lastCommitted, lastCommitted + 1].filter((iteration) =>
      keyset.version === versionOfIteration(iteration) && keyset.keys.every((key) => key.valueHex === toHex(keyOfIteration(iteration))));
    assert.equal(candidates.length, 1, `keyset ${keyset.version.toString(16)} is neither iteration ${lastCommitted} nor ${lastCommitted + 1}`);

    // And the card opens with exactly those keys.
    const card = openCardImage(path, DEVICE_KEY, { firmware: testFirmware() });
    card.powerOn();
    split(card.transmit(fromHex(`00A4040008${ISD_AID}`)));
    const key = keyOfIteration(candidates[0] as number);
    await openSCP03((apdu) => card.transmit(apdu), { keyVersion: keyset.version, enc: key, mac: key, dek: key }, { securityLevel: 0x01 });
  });
});

describe('card image sealing of applet data', () => {
  it('seals every applet store value, bound to its card, applet and name', async () => {
    const path = join(directory, 'applet-data.json');
    createCardImage(path, DEVICE_KEY, { profile: 'uicc' });
    const card = openCardImage(path, DEVICE_KEY, { firmware: testFirmware() });
    card.powerOn();
    const key = fromHex('404142434445464748494A4B4C4D4E4F');
    split(card.transmit(fromHex(`00A4040008${CENTRAL_SD_AID}`)));
    const secure = wrapChannel(await openSCP03((apdu) => card.transmit(apdu), { keyVersion: 0x30, enc: key, mac: key, dek: key }, { securityLevel: 0x03 }));
    await loadPackage(secure, echoLoadFile());
    await installApplet(secure, { aid: 'F05445535399010101' });
    split(card.transmit(fromHex('00A4040009F05445535399010101')));
    split(card.transmit(fromHex('800200000412345678')));
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('12345678'), 'the counter value is not in the image in clear');
    assert.equal(readCardImageFile(path, DEVICE_KEY).applets['F05445535399010101']?.['counter'], '12345678');
    // A sealed value copied to another name is refused (the image MAC, and the seal's binding behind it).
    const image = JSON.parse(text) as { state: { applets: Record<string, Record<string, string>> } };
    const store = image.state.applets['F05445535399010101'] ?? {};
    store['other'] = store['counter'] ?? '';
    writeFileSync(join(directory, 'moved.json'), JSON.stringify(image));
    assert.throws(() => readCardImageFile(join(directory, 'moved.json'), DEVICE_KEY), hasCode('ERR_CARD_IMAGE_INTEGRITY'));
  });
});
