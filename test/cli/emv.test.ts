import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { registerEMVCommands } from '../../src/cli/emv.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMAND_TIMEOUT_MS = 20_000;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/**
 * Runs `tessera emv …` in this process: commander's output is captured and process.exit is stubbed
 * to throw, so the exit status the command chose is observed without ending the test runner.
 */
async function tesseraEMV(args: readonly string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const program = new Command('tessera').configureOutput({
    writeOut: (text) => { stdout += text; },
    writeErr: (text) => { stderr += text; },
  });
  registerEMVCommands(program);
  const exit = mock.method(process, 'exit', (code?: number) => {
    throw new ExitCalled(code ?? 0);
  });
  try {
    await program.parseAsync(['emv', ...args], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof ExitCalled) return { code: error.code, stdout, stderr };
    throw error;
  } finally {
    exit.mock.restore();
  }
}

async function ok(args: readonly string[]): Promise<string> {
  const outcome = await tesseraEMV(args);
  assert.equal(outcome.code, 0, `exit ${outcome.code}\n${outcome.stdout}\n${outcome.stderr}`);
  assert.equal(outcome.stderr, '');
  return outcome.stdout;
}

async function usageError(args: readonly string[], pattern: RegExp): Promise<void> {
  const outcome = await tesseraEMV(args);
  assert.equal(outcome.code, 2, `expected exit 2 for ${args.join(' ')}\n${outcome.stdout}\n${outcome.stderr}`);
  assert.equal(outcome.stdout, '');
  assert.match(outcome.stderr, pattern);
}

const SK = 'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB';
const IMK = '0123456789ABCDEFFEDCBA9876543210';

// Expected values: the published vectors of test/fixtures/emv (EFTlab BP-Tools, knovichikhin/pyemv).
describe('tessera emv', () => {
  it('derive-icc-key: Option A (EFTlab BP-Tools UDK example) and Option B (pyemv README)', async () => {
    assert.equal(await ok(['derive-icc-key', '--imk', '0123456789ABCDEF0123456789ABCDEF', '--pan', '43219876543210987', '--psn', '00']), 'C8B507136D921FD05864C81F79F2D30B\n');
    assert.equal(await ok(['derive-icc-key', '--imk', IMK, '--pan', '99012345678901234', '--psn', '45']), '67F8292358083E5EA7AB7FDA58D53B6B\n');
    assert.equal(await ok(['derive-icc-key', '--imk', IMK, '--pan', '99012345678901234', '--psn', '45', '--option', 'B']), '985EC4FD3EDF6162E31AF1C7D0543416\n');
  });

  it('derive-icc-key: an absent PSN is 00, and hex may be lower case', async () => {
    assert.equal(
      await ok(['derive-icc-key', '--imk', IMK.toLowerCase(), '--pan', '12345678901234567']),
      await ok(['derive-icc-key', '--imk', IMK, '--pan', '12345678901234567', '--psn', '00']),
    );
  });

  it('session-key: the EMV common session key from the ATC (pyemv kd.py example)', async () => {
    assert.equal(await ok(['session-key', '--key', IMK, '--atc', '001C']), 'E9FB384AF807B940FEDCEA613461B0C4\n');
  });

  it('session-key --un: the MasterCard derivation, R = ATC || 0000 || UN', async () => {
    const mastercard = await ok(['session-key', '--key', IMK, '--atc', '001C', '--un', 'ABCDEF12']);
    assert.match(mastercard, /^[0-9A-F]{32}\n$/);
    assert.notEqual(mastercard, await ok(['session-key', '--key', IMK, '--atc', '001C']));
  });

  it('arqc: the pyemv ac.py example, and zero padding with --padding 1', async () => {
    const data = '000000002000000000000000012400000080000124110309003804823E58000001';
    assert.equal(await ok(['arqc', '--key', SK, '--data', data]), '3B76CF10FECD8789\n');
    assert.equal(await ok(['arqc', '--key', SK, '--data', data, '--padding', '2']), '3B76CF10FECD8789\n');
    assert.match(await ok(['arqc', '--key', SK, '--data', data, '--padding', '1']), /^(?!3B76CF10FECD8789)[0-9A-F]{16}\n$/);
  });

  it('arpc: method 1 and method 2, with and without proprietary data (pyemv)', async () => {
    assert.equal(await ok(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '1', '--arc', '0000']), 'F5E6F44147E2F1B0\n');
    assert.equal(await ok(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '2', '--csu', '00000000']), '9308BEBC\n');
    assert.equal(await ok(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '2', '--csu', '00000000', '--prop', '']), '9308BEBC\n');
  });

  it('flow: derive-icc-key | session-key | arqc | arpc reproduces pyemv test_derive_icc_mk_b_sha_pad', async () => {
    const iccMasterKey = (await ok(['derive-icc-key', '--imk', IMK, '--pan', '000000000000000005', '--psn', '23', '--option', 'B'])).trim();
    const sessionKey = (await ok(['session-key', '--key', iccMasterKey, '--atc', '001C'])).trim();
    const data = '0000000040000000000000000124800004800001241911050152BF45851800001C06011203A0B800';
    const arqc = (await ok(['arqc', '--key', sessionKey, '--data', data])).trim();
    assert.equal(arqc, '8CAD6F2489C640B1');
    assert.equal(await ok(['arpc', '--key', sessionKey, '--arqc', arqc, '--method', '2', '--csu', '00000000', '--prop', '12345678']), 'E39F1876\n');
  });

  it('exits 2 with a clear message for malformed hex and wrong lengths', async () => {
    await usageError(['derive-icc-key', '--imk', '0123', '--pan', '4321987654321098'], /--imk.*16 bytes \(32 hex digits\), received 2/);
    await usageError(['derive-icc-key', '--imk', 'XY'.repeat(16), '--pan', '4321987654321098'], /--imk.*hex digits/);
    await usageError(['session-key', '--key', IMK, '--atc', '1C'], /--atc.*2 bytes/);
    await usageError(['session-key', '--key', IMK, '--atc', '001C', '--un', '01'], /--un.*4 bytes/);
    await usageError(['arqc', '--key', SK, '--data', 'ABC'], /--data.*even number of hex digits/);
    await usageError(['arqc', '--key', SK, '--data', '00', '--padding', '3'], /padding method 1 .* or 2/);
    await usageError(['arpc', '--key', SK, '--arqc', '12345678', '--method', '1', '--arc', '0000'], /--arqc.*8 bytes/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '2', '--csu', '00000000', '--prop', '00'.repeat(9)], /at most 8 bytes/);
  });

  it('exits 2 for input the EMV library refuses, naming its error code', async () => {
    await usageError(['derive-icc-key', '--imk', IMK, '--pan', '4321-9876'], /tessera: expected the PAN as 8 to 19 decimal digits \(ERR_EMV_INPUT\)/);
    await usageError(['derive-icc-key', '--imk', IMK, '--pan', '4321987654321098', '--psn', '1'], /PAN sequence number as two decimal digits \(ERR_EMV_INPUT\)/);
  });

  it('exits 2 for missing, unknown and conflicting options', async () => {
    await usageError(['derive-icc-key', '--imk', IMK], /required option '--pan/);
    await usageError(['derive-icc-key', '--imk', IMK, '--pan', '4321987654321098', '--option', 'C'], /Allowed choices are A, B/);
    await usageError(['session-key', '--key', IMK, '--atc', '001C', '--bogus'], /unknown option '--bogus'/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--arc', '0000'], /required option '--method/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '3', '--arc', '0000'], /Allowed choices are 1, 2/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '1'], /method 1 needs --arc.*\(ERR_CLI_USAGE\)/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '2'], /method 2 needs --csu/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '1', '--arc', '0000', '--csu', '00000000'], /belong to ARPC method 2/);
    await usageError(['arpc', '--key', SK, '--arqc', '1234567890ABCDEF', '--method', '2', '--csu', '00000000', '--arc', '0000'], /--arc belongs to ARPC method 1/);
    await usageError([], /Usage: tessera emv/);
  });

  it('prints help with exit status 0', async () => {
    const outcome = await tesseraEMV(['arpc', '--help']);
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, /--method <1\|2>/);
  });

  it('really exits with status 2 in a separate process', async () => {
    const script = [
      "import { Command } from 'commander';",
      "import { registerEMVCommands } from './src/cli/emv.ts';",
      "const program = new Command('tessera');",
      'registerEMVCommands(program);',
      "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
    ].join('\n');
    const args = ['--import', 'tsx', '--input-type=module', '-e', script];
    const good = await run(process.execPath, [...args, 'emv', 'session-key', '--key', IMK, '--atc', '001C'], { cwd: ROOT, timeout: COMMAND_TIMEOUT_MS });
    assert.equal(good.stdout, 'E9FB384AF807B940FEDCEA613461B0C4\n');
    await assert.rejects(
      run(process.execPath, [...args, 'emv', 'session-key', '--key', '00', '--atc', '001C'], { cwd: ROOT, timeout: COMMAND_TIMEOUT_MS }),
      (error: unknown) => {
        const failed = error as { code?: number; stderr?: string };
        return failed.code === 2 && /--key.*16 bytes/.test(failed.stderr ?? '');
      },
    );
  });
});
