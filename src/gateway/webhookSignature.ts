import { createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { WEBHOOK_TOLERANCE_S } from './limits.js';

/**
 * `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (Stripe's
 * scheme): the timestamp is signed, so a captured delivery cannot be replayed after the tolerance.
 */
export const SIGNATURE_HEADER = 'tessera-signature';

export function signWebhook(secret: string, body: string, timestampS: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

/** Checks a delivery; throws ERR_GATEWAY_SIGNATURE (one message for every failure) or returns the timestamp. */
export function verifyWebhook(input: { secret: string; header: string; body: string; nowS: number; toleranceS?: number }): { timestampS: number } {
  const fail = (): never => { throw gatewayError(GatewayErrorCode.signature, 'the webhook signature does not verify'); };
  const parts = new Map<string, string[]>();
  for (const item of input.header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  if (t === undefined || !/^[0-9]{1,12}$/.test(t)) return fail();
  const timestampS = Number(t);
  if (Math.abs(input.nowS - timestampS) > (input.toleranceS ?? WEBHOOK_TOLERANCE_S)) return fail();
  const expected = Buffer.from(createHmac('sha256', input.secret).update(`${t}.${input.body}`, 'utf8').digest('hex'), 'utf8');
  for (const candidate of parts.get('v1') ?? []) {
    const received = Buffer.from(candidate, 'utf8');
    if (received.length === expected.length && timingSafeEqual(received, expected)) return { timestampS };
  }
  return fail();
}
