import { StatusWord } from '../../lib/status-words.js';
import type { Applet, AppletCommand, AppletContext, AppletResponse } from '../../card/types.js';
import { enrolFinger, verifyBiometric } from './biometric.js';
import { generateApplicationCryptogram, readPaymentData } from './emv.js';
import { readCertificate, storeCertificate } from './certificates.js';
import { CRYPTO_SE_INS } from './constants.js';
import { deleteCredential, keyInCardNumber, readMaskedPAN, storeCredentialPackage } from './credentials.js';
import { getData } from './getData.js';
import { beginRegistration, generateKey, getPublicKey, sign } from './keys.js';
import { authorizePayment } from './payment.js';
import { getPaymentAttestation } from './paymentAttestation.js';
import { personalize } from './personalization.js';
import { changePIN, getChallenge, unblockPIN, verifyPIN } from './pin.js';
import { AppletRefusal } from './refusal.js';
import { signTsmRequest } from './signTsmRequest.js';
import { CryptoSEStore } from './store.js';

/**
 * The Crypto SE applet (seed 000 claims 1-11): the device's second secure element, holding the PIN,
 * finger templates, keys, certificates, payment credentials, counters and the ACL. README.md in
 * this folder is the interface specification; this file only routes commands.
 */

type Handler = (store: CryptoSEStore, command: AppletCommand) => AppletResponse;

const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [CRYPTO_SE_INS.verifyPIN, verifyPIN],
  [CRYPTO_SE_INS.verifyBiometric, verifyBiometric],
  [CRYPTO_SE_INS.changePIN, changePIN],
  [CRYPTO_SE_INS.unblockPIN, unblockPIN],
  [CRYPTO_SE_INS.getChallenge, getChallenge],
  [CRYPTO_SE_INS.enrolFinger, enrolFinger],
  [CRYPTO_SE_INS.generateKey, generateKey],
  [CRYPTO_SE_INS.getPublicKey, getPublicKey],
  [CRYPTO_SE_INS.sign, sign],
  [CRYPTO_SE_INS.beginRegistration, beginRegistration],
  [CRYPTO_SE_INS.storeCertificate, storeCertificate],
  [CRYPTO_SE_INS.readCertificate, readCertificate],
  [CRYPTO_SE_INS.storeCredentialPackage, storeCredentialPackage],
  [CRYPTO_SE_INS.keyInCardNumber, keyInCardNumber],
  [CRYPTO_SE_INS.readMaskedPAN, readMaskedPAN],
  [CRYPTO_SE_INS.authorizePayment, authorizePayment],
  [CRYPTO_SE_INS.deleteCredential, deleteCredential],
  [CRYPTO_SE_INS.generateAC, generateApplicationCryptogram],
  [CRYPTO_SE_INS.readPaymentData, readPaymentData],
  [CRYPTO_SE_INS.getPaymentAttestation, getPaymentAttestation],
  [CRYPTO_SE_INS.signTsmRequest, signTsmRequest],
  [CRYPTO_SE_INS.getData, getData],
]);

const INS_SELECT = 0xa4;

/** CLA '80'-'83' (first interindustry layout, channels 0-3) or 'C0'-'CF' (further layout), no secure messaging. */
function isProprietaryClass(cla: number): boolean {
  return (cla & 0xfc) === 0x80 || (cla & 0xf0) === 0xc0;
}

function run(action: () => AppletResponse): AppletResponse {
  try {
    return action();
  } catch (error) {
    if (error instanceof AppletRefusal) return { sw: error.sw };
    throw error;
  }
}

export function createCryptoSEApplet(): Applet {
  return {
    /** Every SELECT starts a new session: verifications and pending blocks of the last one lapse. */
    select(context: AppletContext): boolean {
      new CryptoSEStore(context).startSession();
      return true;
    },
    process(command: AppletCommand, context: AppletContext): AppletResponse {
      if (command.ins === INS_SELECT && (command.cla & 0x80) === 0) return { sw: StatusWord.noError };
      if (!isProprietaryClass(command.cla)) return { sw: StatusWord.classNotSupported };
      const handler = HANDLERS.get(command.ins);
      if (handler === undefined) return { sw: StatusWord.instructionNotSupported };
      return run(() => handler(new CryptoSEStore(context), command));
    },
    personalize(data: Uint8Array, context: AppletContext): number {
      return run(() => {
        personalize(new CryptoSEStore(context), data);
        return { sw: StatusWord.noError };
      }).sw;
    },
  };
}
