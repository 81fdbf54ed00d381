import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VPCD_PORT_DEFAULT, VpcdErrorCode, parseVpcdAddress } from '../../../src/card/vpcd/index.js';

describe('parseVpcdAddress (the --vpcd HOST:PORT option)', () => {
  it('reads HOST:PORT, [IPV6]:PORT and a bare host (vpcd default port 35963)', () => {
    assert.deepEqual(parseVpcdAddress('localhost:35963'), { host: 'localhost', port: 35963 });
    assert.deepEqual(parseVpcdAddress('192.0.2.7:35964'), { host: '192.0.2.7', port: 35964 });
    assert.deepEqual(parseVpcdAddress('[::1]:40000'), { host: '::1', port: 40000 });
    assert.deepEqual(parseVpcdAddress('[::1]'), { host: '::1', port: VPCD_PORT_DEFAULT });
    assert.deepEqual(parseVpcdAddress('reader-host'), { host: 'reader-host', port: 35963 });
  });

  it('rejects malformed addresses with ERR_CARD_VPCD_ADDRESS_INVALID', () => {
    for (const text of ['', ':35963', 'host:', 'host:0', 'host:65536', 'host:12a', 'host:+1', '::1:35963', '[::1', '[::1]x', 'a b:1', `${'h'.repeat(254)}:1`]) {
      assert.throws(() => parseVpcdAddress(text), { code: VpcdErrorCode.addressInvalid }, text);
    }
  });
});
