import { CRYPTO_SE_PAYMENT_INS } from '../applets/payment/client.js';

/**
 * What the NFC controller carries from the App SE to the Crypto SE during a tap: only the payment
 * commands (READ PAYMENT DATA, GENERATE AC, class '80'). Any other Crypto SE command — signing a
 * TSM request, PIN management, key generation — is the phone's own business, not a reader's or an
 * App SE application's, so the App SE is told it is beyond the terminal's capabilities.
 */
const RELAYED_PAYMENT_INS: ReadonlySet<number> = new Set(Object.values(CRYPTO_SE_PAYMENT_INS));
export function isRelayedPaymentCommand(commandAPDU: Uint8Array): boolean {
  return commandAPDU[0] === 0x80 && RELAYED_PAYMENT_INS.has(commandAPDU[1] ?? -1);
}
