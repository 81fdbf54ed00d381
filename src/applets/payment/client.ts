/**
 * The payment applets' public surface (README.md is their interface specification): firmware
 * factories for the card's composition root, the AIDs and constants a reader kernel needs, and the
 * proactive-command codec the device uses to carry the App SE's requests to the Crypto SE.
 */
export { createPaymentApplet } from './paymentApplet.js';
export { createPPSEApplet } from './ppseApplet.js';
export {
  CRYPTO_SE_PAYMENT_INS, CRYPTOGRAM_TYPE, DEFAULT_AFL, DEFAULT_AIP, DEFAULT_CDOL1, EMV_INS, EMV_TAG, PAYMENT_APPLICATION_AID,
  PAYMENT_PERSONALIZATION_TAG, PPSE_AID, RECORD_NUMBER, RECORD_SFI,
} from './constants.js';
export { CDOL1_DATA_BYTES_MAX } from './personalization.js';
export { PaymentAppletErrorCode } from './errors.js';
export {
  decodePerformCardAPDU, decodeTerminalResponse, encodePerformCardAPDU, encodeTerminalResponse, FETCH_INS, PROACTIVE_PENDING_SW1,
  RESULT_BEYOND_CAPABILITIES, RESULT_CARD_READER_ERROR, RESULT_PERFORMED, TERMINAL_RESPONSE_INS,
} from './proactive.js';
export type { PerformCardAPDU, TerminalResponse } from './proactive.js';
export { buildTrack2 } from './track2.js';
