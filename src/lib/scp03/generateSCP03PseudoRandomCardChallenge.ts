import { concatBytes, uintToBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { requireAESKey, requireAID, requireMode } from './checks.js';
import { deriveSCP03Data, SCP03DerivationConstant } from './deriveSCP03Data.js';
import { SCP03_SEQUENCE_COUNTER_BYTES, SCP03_SEQUENCE_COUNTER_MAX } from './limits.js';
import { scp03ChallengeBytes, type SCP03Mode } from './types.js';

/**
 * Pseudo-random card challenge, Amendment D §6.2.2.1: KDF(K-ENC, '02', L, sequence counter (3
 * bytes) || AID of the Security Domain), L = 64 bits in S8 mode and 128 in S16. The counter is the
 * one returned in the INITIALIZE UPDATE response; real cards (NXP JCOP4, sysmocom eUICC, see
 * test/fixtures/scp03) derive the challenge from that value, then move it on.
 */
export function generateSCP03PseudoRandomCardChallenge(
  staticENC: Uint8Array,
  sequenceCounter: number,
  securityDomainAID: Uint8Array,
  mode: SCP03Mode,
): Uint8Array {
  requireMode(mode);
  requireAESKey(staticENC, 'K-ENC');
  requireAID(securityDomainAID, 'Security Domain AID');
  if (!Number.isInteger(sequenceCounter) || sequenceCounter < 0 || sequenceCounter > SCP03_SEQUENCE_COUNTER_MAX) {
    throw new TesseraError(
      LibErrorCode.lengthInvalid,
      `expected a sequence counter from 0 to ${SCP03_SEQUENCE_COUNTER_MAX}, received ${String(sequenceCounter)}`,
    );
  }
  const context = concatBytes(uintToBytes(sequenceCounter, SCP03_SEQUENCE_COUNTER_BYTES), securityDomainAID);
  return deriveSCP03Data(staticENC, SCP03DerivationConstant.cardChallenge, scp03ChallengeBytes(mode) * 8, context);
}
