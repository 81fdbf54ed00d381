import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerISO8583Commands, runISO8583Decode, runISO8583Encode } from '../../src/cli/iso8583.js';
import { TesseraError } from '../../src/lib/errors.js';

// Stack Overflow question 21282257 (test/fixtures/iso8583/messages.json), in the BCD dialect.
const BCD_0800 = '080020200000008000000000000000013239313130303031';

/** A program with only the iso8583 commands, whose output and errors are captured instead of printed. */
async function run(args: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('tessera').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerISO8583Commands(program, (text) => lines.push(text));
  await program.parseAsync(['iso8583', ...args], { from: 'user' });
  return lines;
}

describe('tessera iso8583', () => {
  it('decodes a published BCD message to JSON', async () => {
    const [output] = await run(['decode', BCD_0800, '--dialect', 'bcd']);
    assert.deepEqual(JSON.parse(output ?? ''), { mti: '0800', fields: { 3: '000000', 11: '000001', 41: '29110001' } });
  });

  it('encodes JSON to upper-case hex, and decode then encode gives the message back', async () => {
    const [json] = await run(['decode', BCD_0800.toLowerCase(), '--dialect', 'bcd']);
    assert.deepEqual(await run(['encode', json ?? '', '--dialect', 'bcd']), [BCD_0800]);
    const [ascii] = await run(['encode', json ?? '']);
    assert.equal(Buffer.from(ascii ?? '', 'hex').toString('latin1'), '0800202000000080000000000000000129110001');
  });

  it('prints field 55 as a list of data objects and binary fields in upper-case hex', () => {
    const json = JSON.stringify({
      mti: '0100',
      fields: { 3: '000000', 52: '0123456789abcdef', 55: [{ tag: '9F26', value: '8e19abf1bc2d3f4a' }, { tag: '9F27', value: '80' }] },
    });
    const hex = runISO8583Encode(json, { dialect: 'bcd' });
    assert.match(hex, /^[0-9A-F]+$/);
    assert.deepEqual(JSON.parse(runISO8583Decode(hex, { dialect: 'bcd' })), {
      mti: '0100',
      fields: { 3: '000000', 52: '0123456789ABCDEF', 55: [{ tag: '9F26', value: '8E19ABF1BC2D3F4A' }, { tag: '9F27', value: '80' }] },
    });
  });

  it('fails with a TesseraError for malformed input', async () => {
    const cases: readonly [readonly string[], string][] = [
      [['decode', 'XYZ'], 'ERR_HEX_INVALID'],
      [['decode', BCD_0800, '--dialect', 'bcd'].map((arg) => (arg === BCD_0800 ? `${BCD_0800}00` : arg)), 'ERR_ISO8583_TRAILING_BYTES'],
      [['decode', BCD_0800], 'ERR_ISO8583_MTI'],
      [['encode', '{not json'], 'ERR_ISO8583_JSON'],
      [['encode', '{"mti":"0800","fields":{"3":"12"}}'], 'ERR_ISO8583_FIELD_INVALID'],
    ];
    for (const [args, code] of cases) {
      await assert.rejects(run(args), (error: unknown) => error instanceof TesseraError && error.code === code);
    }
  });

  it('refuses an unknown dialect as a usage error', async () => {
    await assert.rejects(run(['decode', BCD_0800, '--dialect', 'ebcdic']), (error: unknown) => (error as { code?: string }).code === 'commander.invalidArgument');
  });
});
