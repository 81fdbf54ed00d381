import { TesseraError } from '../../lib/errors.js';
import { VPCD_PORT_DEFAULT } from './constants.js';
import { VpcdErrorCode } from './errors.js';

export interface VpcdAddress {
  readonly host: string;
  readonly port: number;
}

/** Longest host name (RFC 1035 §2.3.4: 255 octets on the wire, 253 characters written). */
const HOST_CHARACTERS_MAX = 253;
const PORT_PATTERN = /^[0-9]{1,5}$/;

/**
 * Parses the `--vpcd` option: `HOST:PORT`, `[IPV6]:PORT`, or `HOST` alone for vpcd's default port
 * 35963. Fails with ERR_CARD_VPCD_ADDRESS_INVALID naming what was expected.
 */
export function parseVpcdAddress(text: string): VpcdAddress {
  const invalid = (expected: string): TesseraError =>
    new TesseraError(VpcdErrorCode.addressInvalid, `expected ${expected} in the vpcd address HOST:PORT`);
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw invalid('a closing "]" after an IPv6 address');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) throw invalid('":PORT" after "]"');
      portText = rest.slice(1);
    }
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') !== colon) throw invalid('an IPv6 address in brackets');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (host.length === 0) throw invalid('a host');
  if (host.length > HOST_CHARACTERS_MAX) throw invalid(`a host of at most ${HOST_CHARACTERS_MAX} characters`);
  if (/\s/.test(host)) throw invalid('a host without spaces');
  if (portText === undefined) return { host, port: VPCD_PORT_DEFAULT };
  if (!PORT_PATTERN.test(portText)) throw invalid('a decimal port');
  const port = Number(portText);
  if (port < 1 || port > 0xffff) throw invalid('a port in 1..65535');
  return { host, port };
}
