import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/infra/log/index.js';
import type { LogLevel, Logger } from '../../../src/infra/log/index.js';
import { TesseraError } from '../../../src/lib/errors.js';

/** Public test PANs published by card networks' sandbox documentation (source in the fixture). */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/luhn.json', import.meta.url), 'utf8')) as { valid: string[] };
const PANS = fixture.valid.filter((digits) => digits.length >= 13);
const VISA_PAN = '4242424242424242';
const MAC_KEY_HEX = '404142434445464748494A4B4C4D4E4F';

function captureLogger(level: LogLevel = 'trace'): { logger: Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const logger = createLogger({ level, name: 'test', destination: { write: (line: string) => void written.push(line) } });
  return {
    logger,
    text: () => written.join(''),
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('never writes a PAN, a password or a key from a logged object, message or binding', () => {
    const { logger, text, lines } = captureLogger();
    logger.child({ cardholder: `binding ${VISA_PAN}` }).info(
      {
        payment: {
          pan: VISA_PAN,
          note: `card ${PANS[1]} on file`,
          spaced: '5555 5555 5555 4444',
          numeric: Number('4242424242424242'),
          customer: { login: { password: 'hunter2-hunter2', pin: '1234' } },
        },
        macKey: MAC_KEY_HEX,
        keys: { enc: 'AA', mac: 'BB' },
        headers: { authorization: 'Bearer eyJhbGciOi', cookie: 'session=s3cr3t' },
        keyId: 'issuer-mk-1',
      },
      'paid with %s using key=%s',
      PANS[2],
      MAC_KEY_HEX,
    );
    const output = text();
    for (const pan of PANS) assert.ok(!output.includes(pan), `PAN ${pan.slice(0, 6)}… leaked`);
    for (const secret of ['hunter2-hunter2', '"1234"', MAC_KEY_HEX, 'eyJhbGciOi', 's3cr3t', '"AA"', '5555 5555 5555 4444']) {
      assert.ok(!output.includes(secret), `${secret} leaked`);
    }
    const [line] = lines();
    assert.ok(line !== undefined);
    const payment = line['payment'] as Record<string, unknown>;
    assert.equal(payment['pan'], '[REDACTED]');
    assert.equal(payment['note'], `card ${PANS[1]!.slice(0, 6)}******${PANS[1]!.slice(-4)} on file`);
    assert.equal(payment['spaced'], '555555******4444');
    assert.equal(payment['numeric'], '424242******4242');
    assert.deepEqual(payment['customer'], { login: { password: '[REDACTED]', pin: '[REDACTED]' } });
    assert.equal(line['macKey'], '[REDACTED]');
    assert.equal(line['keys'], '[REDACTED]');
    assert.deepEqual(line['headers'], { authorization: '[REDACTED]', cookie: '[REDACTED]' });
    assert.equal(line['keyId'], 'issuer-mk-1', 'identifiers of keys stay readable');
    assert.equal(line['cardholder'], 'binding 424242******4242');
    assert.match(String(line['msg']), /^paid with \d{6}\*+\d{4} using key=\[REDACTED\]$/);
  });

  it('masks errors: message, stack, cause and secret properties', () => {
    const { logger, text, lines } = captureLogger();
    const cause = new Error(`lookup of ${VISA_PAN} failed`);
    const error = new TesseraError('ERR_TEST', `declined ${VISA_PAN}`, { cause, details: { pan: VISA_PAN, reason: 'limit' } });
    logger.error(error);
    logger.warn({ err: Object.assign(new Error('plain'), { token: 'tok_live_abc' }) }, 'with a token');
    assert.ok(!text().includes(VISA_PAN));
    assert.ok(!text().includes('tok_live_abc'));
    const [first, second] = lines();
    const err = first?.['err'] as Record<string, unknown>;
    assert.equal(err['type'], 'TesseraError');
    assert.equal(err['code'], 'ERR_TEST');
    assert.deepEqual(err['details'], { pan: '[REDACTED]', reason: 'limit' });
    assert.equal(first?.['msg'], 'declined 424242******4242');
    assert.match(String(err['stack']), /caused by: Error: lookup of 424242\*{6}4242 failed/);
    assert.equal((second?.['err'] as Record<string, unknown>)['token'], '[REDACTED]');
  });

  it('leaves numbers that are not PANs alone, including the 13-digit timestamp', () => {
    const { logger, lines } = captureLogger();
    const notAPAN = '4242424242424241'; // fails the Luhn check
    logger.info({ reference: notAPAN, amountMinor: 1234567890123, ratio: 0.4242424242424242, digest: 'sha256:4F2A' }, 'ok');
    const [line] = lines();
    assert.equal(line?.['reference'], notAPAN);
    assert.equal(line?.['amountMinor'], 1234567890123);
    assert.equal(line?.['ratio'], 0.4242424242424242);
    assert.equal(typeof line?.['time'], 'number');
  });

  it('summarizes bytes, survives cycles and caps depth', () => {
    const { logger, lines } = captureLogger();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    let deep: Record<string, unknown> = { bottom: true };
    for (let level = 0; level < 20; level++) deep = { next: deep };
    logger.info({ apdu: new Uint8Array([0x00, 0xa4, 0x04, 0x00]), cyclic, deep }, 'shapes');
    const [line] = lines();
    assert.equal(line?.['apdu'], '[Uint8Array 4 bytes]');
    assert.deepEqual(line?.['cyclic'], { name: 'loop', self: '[Repeated reference]' });
    assert.ok(JSON.stringify(line?.['deep']).includes('[Too deep]'));
  });

  it('does not change the caller’s object', () => {
    const { logger } = captureLogger();
    const payment = { pan: VISA_PAN, nested: { password: 'pw' } };
    logger.info(payment, 'logged');
    assert.deepEqual(payment, { pan: VISA_PAN, nested: { password: 'pw' } });
  });

  it('writes only at or above its level', () => {
    const info = captureLogger('info');
    info.logger.debug('hidden');
    info.logger.info('shown');
    assert.deepEqual(info.lines().map((line) => line['msg']), ['shown']);
    const silent = captureLogger('silent');
    silent.logger.fatal('nothing');
    assert.equal(silent.text(), '');
  });
});
