import { signECDSAP256 } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { DEVICE_KEY_SLOT, TSM_REQUEST_DIGEST_BYTES } from './constants.js';
import { loadPrivateKey } from './keys.js';
import type { CryptoSEStore } from './store.js';
import { tsmRequestMessage } from './tsmRequestSignature.js';

/**
 * SIGN TSM REQUEST (P1 P2 = 00 00, data = the 32-byte SHA-256 of the canonical request): the
 * device key signs TSM_REQUEST_LABEL ‖ digest, answered as a DER ECDSA signature. It authenticates
 * the device to the TSM's device API (README.md "SIGN TSM REQUEST"), not a payment or a person, so
 * it needs no user verification and no ACL entry; the label keeps it from ever being a payment
 * attestation, an application signature or a certification request. Writes nothing.
 */
export function signTsmRequest(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== TSM_REQUEST_DIGEST_BYTES) return { sw: StatusWord.wrongLength };
  const privateKey = loadPrivateKey(store, DEVICE_KEY_SLOT);
  if (privateKey === undefined) return { sw: StatusWord.referencedDataNotFound };
  return { data: signECDSAP256(privateKey, tsmRequestMessage(command.data.slice()), 'der'), sw: StatusWord.noError };
}
