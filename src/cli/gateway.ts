import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isTesseraError } from '../lib/errors.js';
import { verifyWebhook } from '../gateway/client.js';

/**
 * `tessera gateway …`: tools for the online payment gateway (docs/gateway.md).
 * `webhook-verify` checks a delivery's Tessera-Signature the way a merchant's server must: exit 0
 * and "valid" when it verifies, exit 1 and "invalid" otherwise (no detail: no oracle).
 */
export function registerGatewayCommands(program: Command): Command {
  const gateway = program.command('gateway').description('online payment gateway (seed 002) tools');
  gateway.command('webhook-verify')
    .description('verify a webhook signature header against the body and the merchant\'s secret')
    .requiredOption('--secret <secret>', 'the merchant\'s webhook signing secret (whsec_…)')
    .requiredOption('--header <value>', 'the Tessera-Signature header, t=…,v1=…')
    .requiredOption('--body-file <file>', 'the exact request body bytes')
    .option('--tolerance <seconds>', 'accepted clock skew in seconds (default 300; 0 disables the age check)')
    .action((options: { secret: string; header: string; bodyFile: string; tolerance?: string }) => {
      const body = readFileSync(options.bodyFile, 'utf8');
      const tolerance = options.tolerance === undefined ? undefined : Number(options.tolerance);
      try {
        const { timestampS } = verifyWebhook({
          secret: options.secret, header: options.header, body, nowS: Math.floor(Date.now() / 1000),
          ...(tolerance === undefined ? {} : { toleranceS: tolerance === 0 ? Number.MAX_SAFE_INTEGER : tolerance }),
        });
        console.log(`valid (signed at ${new Date(timestampS * 1000).toISOString()})`);
      } catch (error) {
        if (!isTesseraError(error)) throw error;
        console.log('invalid');
        process.exitCode = 1;
      }
    });
  return gateway;
}
