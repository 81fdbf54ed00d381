import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';
import { fromHex } from '../../src/lib/bytes.js';
import { encodeLoadFile } from '../../src/lib/gp/index.js';

const CLI = new URL('../../bin/tessera.js', import.meta.url).pathname;
const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 20_000;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tessera card …` in `cwd` as a user would; never throws for a non-zero exit. */
async function tessera(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete environment['TESSERA_CARD_DEVICE_KEY'];
  delete environment['TESSERA_DATA_DIR'];
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'card', ...args], { cwd, env: environment, timeout: COMMAND_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function ok(outcome: Outcome): string {
  assert.equal(outcome.code, 0, `exit ${outcome.code}\n${outcome.stdout}\n${outcome.stderr}`);
  return outcome.stdout;
}

/** The tree line of `aid`, split into its fields: label, AID, state, privileges, the rest. */
function treeLine(output: string, aid: string): { label: string; state: string; privileges: string[]; rest: string; indent: number } | undefined {
  const line = output.split('\n').find((candidate) => new RegExp(`\\b(ISD|SD|APP|ELF)\\s+${aid}\\s`).test(candidate));
  if (line === undefined) return undefined;
  const match = /^(?<tree>[│├└─ ]*)(?<label>ISD|SD|APP|ELF)\s+[0-9A-F]+\s+(?<state>[A-Z_]+)(?:\s+privileges: (?<privileges>\S+))?(?<rest>.*)$/u.exec(line);
  assert.ok(match?.groups !== undefined, `unexpected tree line: ${line}`);
  const privileges = match.groups['privileges'];
  return {
    label: match.groups['label'] ?? '',
    state: match.groups['state'] ?? '',
    privileges: privileges === undefined || privileges === '-' ? [] : privileges.split(','),
    rest: (match.groups['rest'] ?? '').trim(),
    indent: (match.groups['tree'] ?? '').length,
  };
}

const ISD = 'A000000151000000';
const MNO_SD = 'F054455353000002';
const CENTRAL_SD = 'F054455353000001';
const PAYMENT_PACKAGE = 'F0544553535041';
const ECHO_PACKAGE = 'F054455353EC';
const ECHO_MODULE = 'F054455353EC01';
const ECHO_APP = 'F054455353EC0101';
const NEW_KEY = '00112233445566778899AABBCCDDEEFF';

describe('tessera card', () => {
  let dir: string;
  let card: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-card-'));
    card = join(dir, 'c.json');
    writeFileSync(join(dir, 'echo.lf'), encodeLoadFile({
      packageAID: fromHex(ECHO_PACKAGE),
      version: { major: 1, minor: 2 },
      modules: [{ aid: fromHex(ECHO_MODULE), firmwareClass: ECHO_FIRMWARE_CLASS }],
    }));
    const created = await tessera(dir, ['new', '--profile', 'uicc', '--out', card]);
    const stdout = ok(created);
    assert.match(stdout, /^ISD AID: A000000151000000$/m);
    assert.match(stdout, /default test keys 404142434445464748494A4B4C4D4E4F/);
    assert.match(created.stderr, /created the card device key .*card-device\.key/);
    assert.equal(statSync(join(dir, '.tessera', 'card-device.key')).mode & 0o777, 0o600);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('info shows the UICC layout of seed 001 fig. 6: ISD over the MNO and central SDs, the payment package under the central SD', async () => {
    const stdout = ok(await tessera(dir, ['info', card]));
    assert.match(stdout, /^profile: uicc$/m);
    assert.match(stdout, /^card life cycle: SECURED \(0F\)$/m);
    const isd = treeLine(stdout, ISD);
    assert.equal(isd?.label, 'ISD');
    assert.equal(isd.indent, 0);
    assert.deepEqual(isd.privileges, [
      'securityDomain', 'cardLock', 'cardTerminate', 'cvmManagement', 'trustedPath', 'authorizedManagement', 'globalDelete', 'globalLock', 'globalRegistry',
    ]);
    for (const aid of [MNO_SD, CENTRAL_SD]) {
      const domain = treeLine(stdout, aid);
      assert.equal(domain?.label, 'SD');
      assert.equal(domain.state, 'PERSONALIZED');
      assert.deepEqual(domain.privileges, ['securityDomain', 'trustedPath', 'authorizedManagement']);
      assert.match(domain.rest, /keys: 30/);
    }
    const payment = treeLine(stdout, PAYMENT_PACKAGE);
    assert.equal(payment?.label, 'ELF');
    assert.equal(payment.state, 'LOADED');
    assert.ok(payment.indent > (treeLine(stdout, CENTRAL_SD)?.indent ?? 0), 'the payment package sits under the central SD');
    const lines = stdout.split('\n');
    const centralIndex = lines.findIndex((line) => line.includes(CENTRAL_SD));
    assert.ok(lines[centralIndex + 1]?.includes(PAYMENT_PACKAGE), 'the payment package is the central SD\'s child');
  });

  it('apdu sends raw commands after power-on and prints each response with its status word', async () => {
    const stdout = ok(await tessera(dir, ['apdu', card, '00A4040008A000000151000000', '00A4040005F0544553FF']));
    const lines = stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^ATR 3B[0-9A-F]+$/);
    assert.equal(lines[1], '> 00A4040008A000000151000000');
    assert.match(lines[2] ?? '', /^< 6F[0-9A-F]+ 9000: No error$/);
    assert.equal(lines[3], '> 00A4040005F0544553FF');
    assert.equal(lines[4], '< 6A82: File or application not found');
  });

  it('lists the registry through SCP03 with the default keys, installs the echo applet from a load file, extradites it, and deletes it', async () => {
    const listed = ok(await tessera(dir, ['list', card]));
    assert.match(listed, /^secure channel: A000000151000000, key version 30, level 03 \(C-MAC, C-DECRYPTION\)$/m);
    assert.equal(treeLine(listed, ISD)?.state, 'SECURED');
    assert.equal(treeLine(listed, CENTRAL_SD)?.state, 'PERSONALIZED');
    assert.match(treeLine(listed, PAYMENT_PACKAGE)?.rest ?? '', /version 1\.0 {2}modules: F054455353504101, F054455353504102/);

    const installed = ok(await tessera(dir, [
      'install', card, '--load-file', join(dir, 'echo.lf'), '--aid', ECHO_APP, '--params', 'AA', '--extradite-to', CENTRAL_SD, '--level', '33',
    ]));
    assert.match(installed, /^loaded F054455353EC version 1\.2 \(modules F054455353EC01\) in 1 LOAD command\(s\)$/m);
    assert.match(installed, /^installed F054455353EC0101 from F054455353EC\/F054455353EC01, privileges: -$/m);
    assert.match(installed, /^extradited F054455353EC0101 to F054455353000001$/m);

    const after = ok(await tessera(dir, ['list', card]));
    const app = treeLine(after, ECHO_APP);
    assert.equal(app?.label, 'APP');
    assert.equal(app.state, 'SELECTABLE');
    assert.ok(app.indent > 0);
    const lines = after.split('\n');
    const appIndex = lines.findIndex((line) => line.includes(ECHO_APP));
    const centralIndex = lines.findIndex((line) => line.includes(CENTRAL_SD));
    assert.ok(appIndex > centralIndex && app.indent === (treeLine(after, PAYMENT_PACKAGE)?.indent ?? -1), 'the application sits under the central SD');

    const echoed = ok(await tessera(dir, ['apdu', card, `00A4040008${ECHO_APP}`, '8001000002CAFE']));
    assert.match(echoed, /^< CAFE 9000: No error$/m);

    const deleted = ok(await tessera(dir, ['delete', card, ECHO_PACKAGE, '--related']));
    assert.match(deleted, /^deleted F054455353EC and its related objects$/m);
    const gone = ok(await tessera(dir, ['info', card]));
    assert.equal(treeLine(gone, ECHO_APP), undefined);
    assert.equal(treeLine(gone, ECHO_PACKAGE), undefined);
  });

  it('locks and unlocks the central SD', async () => {
    ok(await tessera(dir, ['lock', card, CENTRAL_SD]));
    assert.equal(treeLine(ok(await tessera(dir, ['info', card])), CENTRAL_SD)?.state, 'LOCKED');
    ok(await tessera(dir, ['unlock', card, CENTRAL_SD]));
    assert.equal(treeLine(ok(await tessera(dir, ['info', card])), CENTRAL_SD)?.state, 'PERSONALIZED');
  });

  it('rejects a wrong key with a clear error and exit 1', async () => {
    const wrong = await tessera(dir, ['list', card, '--keys', 'FFEEDDCCBBAA99887766554433221100']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^tessera: could not open a secure channel to A000000151000000 .*wrong keys.* \(ERR_GP_AUTHENTICATION\)$/m);
  });

  it('put-key replaces the ISD keyset: then the new keys work and the old ones fail', async () => {
    const rotated = ok(await tessera(dir, ['put-key', card, '--new-keys', NEW_KEY]));
    assert.match(rotated, /^replaced key version 30 with key version 31 on A000000151000000 \(key check values ENC [0-9A-F]{6} MAC [0-9A-F]{6} DEK [0-9A-F]{6}\)$/m);
    const withNew = ok(await tessera(dir, ['list', card, '--keys', NEW_KEY]));
    assert.match(withNew, /key version 31/);
    assert.equal(treeLine(withNew, ISD)?.label, 'ISD');
    const withOld = await tessera(dir, ['list', card]);
    assert.equal(withOld.code, 1);
    assert.match(withOld.stderr, /ERR_GP_AUTHENTICATION/);
    // The central SD kept its own keys (version 30, the test keys).
    assert.match(ok(await tessera(dir, ['list', card, '--sd', CENTRAL_SD])), /^secure channel: F054455353000001, key version 30/m);
  });

  it('refuses a bad option value and a missing image with exit 1', async () => {
    const badLevel = await tessera(dir, ['list', card, '--level', '02']);
    assert.equal(badLevel.code, 1);
    assert.match(badLevel.stderr, /security level 01, 03, 11, 13 or 33/);
    const missing = await tessera(dir, ['info', join(dir, 'nope.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tessera: cannot read the card image .*nope\.json \(ERR_CARD_IMAGE_MISSING\)$/m);
  });

  it('serve puts the card into a vpcd reader: power on, ATR, an APDU, and Ctrl-C takes it out', async () => {
    const exchange = await serveOnce(dir, card);
    assert.match(exchange.atr, /^3B/);
    assert.match(exchange.response, /^6F[0-9A-F]+9000$/);
    assert.equal(exchange.code, 0);
    assert.match(exchange.stdout, /^serving .*c\.json \(ATR 3B[0-9A-F]+\) to vpcd at 127\.0\.0\.1:\d+; Ctrl-C stops$/m);
    assert.match(exchange.stdout, /card inserted into the vpcd reader/);
    assert.match(exchange.stdout, /APDU \(.*ins=A4.*sw=9000\)/);
  });
});

/**
 * Plays vpcd (the vsmartcard reader driver, which listens; the card connects to it): power on,
 * get ATR, SELECT the ISD, then stops `tessera card serve` with SIGINT as Ctrl-C would.
 */
async function serveOnce(cwd: string, card: string): Promise<{ atr: string; response: string; code: number | null; stdout: string }> {
  const answers: string[] = [];
  // Set once the server listens; the server's handler stops it.
  const running: { child?: ReturnType<typeof spawn> } = {};
  const server: Server = createServer((socket: Socket) => {
    const send = (bytes: Uint8Array): void => {
      const frame = Buffer.alloc(2 + bytes.length);
      frame.writeUInt16BE(bytes.length);
      frame.set(bytes, 2);
      socket.write(frame);
    };
    send(Uint8Array.of(0x01));
    send(Uint8Array.of(0x04));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        answers.push(buffered.subarray(2, 2 + length).toString('hex').toUpperCase());
        buffered = buffered.subarray(2 + length);
        if (answers.length === 1) send(fromHex(`00A4040008${ISD}`));
        else running.child?.kill('SIGINT');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const environment: NodeJS.ProcessEnv = { ...process.env };
  delete environment['TESSERA_CARD_DEVICE_KEY'];
  delete environment['TESSERA_DATA_DIR'];
  const child = spawn(process.execPath, [CLI, 'card', 'serve', card, '--vpcd', `127.0.0.1:${address.port}`], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  running.child = child;
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  server.close();
  return { atr: answers[0] ?? '', response: answers[1] ?? '', code, stdout };
}
