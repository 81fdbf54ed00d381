import { concatBytes } from '../bytes.js';
import { requireAESKey, requireChallenge, requireMode } from './checks.js';
import { deriveSCP03Data, SCP03DerivationConstant } from './deriveSCP03Data.js';
import { scp03ChallengeBytes, type SCP03Mode } from './types.js';

/**
 * Card cryptogram, Amendment D §6.2.2.2: KDF(S-MAC, '00', L, host challenge || card challenge)
 * with L = 64 bits in S8 mode and 128 bits in S16 mode. The card proves it holds the keyset; the
 * host verifies it in constant time before answering with its own cryptogram.
 */
export function computeSCP03CardCryptogram(
  sessionMAC: Uint8Array,
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
  mode: SCP03Mode,
): Uint8Array {
  return computeCryptogram(SCP03DerivationConstant.cardCryptogram, sessionMAC, hostChallenge, cardChallenge, mode);
}

/**
 * Host cryptogram, Amendment D §6.2.2.3: KDF(S-MAC, '01', L, host challenge || card challenge),
 * sent in EXTERNAL AUTHENTICATE.
 */
export function computeSCP03HostCryptogram(
  sessionMAC: Uint8Array,
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
  mode: SCP03Mode,
): Uint8Array {
  return computeCryptogram(SCP03DerivationConstant.hostCryptogram, sessionMAC, hostChallenge, cardChallenge, mode);
}

function computeCryptogram(
  derivationConstant: SCP03DerivationConstant,
  sessionMAC: Uint8Array,
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
  mode: SCP03Mode,
): Uint8Array {
  requireMode(mode);
  requireAESKey(sessionMAC, 'S-MAC');
  requireChallenge(hostChallenge, mode, 'host challenge');
  requireChallenge(cardChallenge, mode, 'card challenge');
  return deriveSCP03Data(sessionMAC, derivationConstant, scp03ChallengeBytes(mode) * 8, concatBytes(hostChallenge, cardChallenge));
}
