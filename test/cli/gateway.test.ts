import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerGatewayCommands } from '../../src/cli/gateway.js';
import { signWebhook, verifyWebhook } from '../../src/gateway/client.js';

describe('tessera gateway webhook-verify (in process: the lead wires registerGatewayCommands into main.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-gateway-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function tessera(args: readonly string[]): Promise<{ code: number; stdout: string }> {
    const program = new Command('tessera').exitOverride();
    registerGatewayCommands(program);
    const lines: string[] = [];
    const log = console.log;
    const exitCode = process.exitCode;
    console.log = (...parts: unknown[]) => { lines.push(parts.map(String).join(' ')); };
    try {
      await program.parseAsync(['node', 'tessera', ...args]);
      return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, stdout: lines.join('\n') };
    } finally {
      console.log = log;
      process.exitCode = exitCode;
    }
  }

  it('says valid for a good signature and invalid for a changed body, a wrong secret or an old timestamp', async () => {
    const body = '{"id":"evt_1","type":"payment.succeeded"}';
    const file = join(dir, 'body.json');
    writeFileSync(file, body);
    const header = signWebhook('whsec_test', body, Math.floor(Date.now() / 1000));
    assert.match((await tessera(['gateway', 'webhook-verify', '--secret', 'whsec_test', '--header', header, '--body-file', file])).stdout, /^valid/);
    assert.deepEqual(await tessera(['gateway', 'webhook-verify', '--secret', 'whsec_other', '--header', header, '--body-file', file]), { code: 1, stdout: 'invalid' });
    writeFileSync(file, body.replace('succeeded', 'failed'));
    assert.equal((await tessera(['gateway', 'webhook-verify', '--secret', 'whsec_test', '--header', header, '--body-file', file])).stdout, 'invalid');
    writeFileSync(file, body);
    const old = signWebhook('whsec_test', body, Math.floor(Date.now() / 1000) - 3_600);
    assert.equal((await tessera(['gateway', 'webhook-verify', '--secret', 'whsec_test', '--header', old, '--body-file', file])).stdout, 'invalid');
    assert.match((await tessera(['gateway', 'webhook-verify', '--secret', 'whsec_test', '--header', old, '--body-file', file, '--tolerance', '0'])).stdout, /^valid/);
  });

  it('matches the Stripe-style scheme: v1 = hex HMAC-SHA256(secret, t + "." + body), several v1 accepted', () => {
    const header = signWebhook('s', 'b', 1_700_000_000);
    assert.equal(header, `t=1700000000,v1=${createHmac('sha256', 's').update('1700000000.b').digest('hex')}`);
    assert.doesNotThrow(() => verifyWebhook({ secret: 's', header: `t=1700000000,v1=00,${header.split(',')[1] ?? ''}`, body: 'b', nowS: 1_700_000_100 }));
    assert.throws(() => verifyWebhook({ secret: 's', header: 'v1=00', body: 'b', nowS: 1_700_000_100 }), { code: 'ERR_GATEWAY_SIGNATURE' });
  });
});
