import { GPManager } from '../lib/gp/host/index.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { fromHex } from '../lib/bytes.js';
import { isTesseraError } from '../lib/errors.js';
import type { SCP03SecurityLevel } from '../lib/scp03/index.js';
import { toStaticKeys, type Keyset } from './keys.js';
import { tsmError, TsmErrorCode } from './errors.js';
import type { CardLink } from './types.js';

/** The level of every secure channel the TSM opens itself: commands and responses MACed and encrypted. */
export const TSM_SECURITY_LEVEL: SCP03SecurityLevel = 0x33;

/** One APDU at a time over a link (a GPManager's transmit). */
export function transmitOver(link: CardLink): (apdu: Uint8Array) => Promise<Uint8Array> {
  return async (apdu) => {
    const [response] = await link.exchange([apdu]);
    if (response === undefined) throw tsmError(TsmErrorCode.cardUnreachable, 'the card link returned no response');
    return response;
  };
}

/**
 * A management client over the link: several commands at once go as one batch (one OTA round
 * trip), which the link stops at the first failure as GPManager expects.
 */
export function managerOver(link: CardLink, random: RandomSource): GPManager {
  return new GPManager(transmitOver(link), {
    random,
    transmitScript: async (commands) => {
      const responses = await link.exchange(commands);
      if (responses.length === 0) throw tsmError(TsmErrorCode.cardUnreachable, 'the card link returned no response');
      return responses;
    },
  });
}

/**
 * Opens SCP03 with the TSM's keys for the selected domain: SELECT and INITIALIZE UPDATE travel in
 * one batch, EXTERNAL AUTHENTICATE with the next (GPManager's `authenticateAhead`).
 */
export async function selectAndAuthenticate(gp: GPManager, sdAid: string, keyset: Keyset): Promise<void> {
  await gp.selectAndOpenSecureChannel(fromHex(sdAid), toStaticKeys(keyset), TSM_SECURITY_LEVEL, { keyVersion: keyset.version, authenticateAhead: true });
}

/**
 * Selects a security domain, opens SCP03 with the TSM's keys for it, and runs `work` with the
 * management client. A refusal by the card becomes ERR_TSM_CARD_REFUSED (with the status word);
 * a broken link stays ERR_TSM_CARD_UNREACHABLE.
 */
export async function withSecurityDomain<T>(
  link: CardLink,
  sdAid: string,
  keyset: Keyset,
  random: RandomSource,
  work: (gp: GPManager) => Promise<T>,
): Promise<T> {
  const gp = managerOver(link, random);
  try {
    await selectAndAuthenticate(gp, sdAid, keyset);
    return await work(gp);
  } catch (error) {
    throw asCardError(error);
  } finally {
    gp.closeSecureChannel();
  }
}

/** Maps management-client failures to the TSM's error codes (status words stay in details). */
export function asCardError(error: unknown): unknown {
  if (!isTesseraError(error)) return error;
  if (error.code.startsWith('ERR_TSM_')) return error;
  if (error.code === 'ERR_GP_STATUS' || error.code === 'ERR_GP_AUTHENTICATION' || error.code === 'ERR_GP_RESPONSE') {
    return tsmError(TsmErrorCode.cardRefused, `the card refused: ${error.message}`, { cause: error.code, ...(error.details ?? {}) });
  }
  return error;
}
