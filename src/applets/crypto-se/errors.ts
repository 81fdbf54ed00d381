/** Error codes of the Crypto SE's host-side helpers (the applet itself answers status words). */
export const CryptoSEErrorCode = {
  /** A helper was given input the card would refuse (a Luhn-invalid PAN, a bad slot, a long PIN). */
  input: 'ERR_CRYPTO_SE_INPUT',
  /** A card response that does not have the documented form. */
  response: 'ERR_CRYPTO_SE_RESPONSE',
} as const;
export type CryptoSEErrorCode = (typeof CryptoSEErrorCode)[keyof typeof CryptoSEErrorCode];
