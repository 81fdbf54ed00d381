import { concatBytes } from '../bytes.js';
import { requireAESKey } from './checks.js';
import { deriveSCP03Data, SCP03DerivationConstant } from './deriveSCP03Data.js';
import type { SCP03SessionKeys } from './types.js';

/**
 * Session keys, Amendment D §6.2.1: with context = host challenge || card challenge,
 *   S-ENC  = KDF(K-ENC, '04', L, context)
 *   S-MAC  = KDF(K-MAC, '06', L, context)
 *   S-RMAC = KDF(K-MAC, '07', L, context)
 * where L is the length in bits of the static key the session key comes from, so an AES-256
 * keyset yields AES-256 session keys.
 */
export function deriveSCP03SessionKeys(
  staticKeys: { readonly enc: Uint8Array; readonly mac: Uint8Array },
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
): SCP03SessionKeys {
  requireAESKey(staticKeys.enc, 'K-ENC');
  requireAESKey(staticKeys.mac, 'K-MAC');
  const context = concatBytes(hostChallenge, cardChallenge);
  return {
    enc: deriveSCP03Data(staticKeys.enc, SCP03DerivationConstant.sessionENC, staticKeys.enc.length * 8, context),
    mac: deriveSCP03Data(staticKeys.mac, SCP03DerivationConstant.sessionMAC, staticKeys.mac.length * 8, context),
    rmac: deriveSCP03Data(staticKeys.mac, SCP03DerivationConstant.sessionRMAC, staticKeys.mac.length * 8, context),
  };
}
