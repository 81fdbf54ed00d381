/** Error codes of the payment applets' host-side helpers (the applets themselves answer status words). */
export const PaymentAppletErrorCode = {
  /** A proactive command or terminal response that does not have the ETSI TS 102 223 form used here. */
  proactive: 'ERR_PAYMENT_PROACTIVE',
  /** Personalization input the applet would refuse. */
  input: 'ERR_PAYMENT_INPUT',
  /** A card response that does not have the documented form. */
  response: 'ERR_PAYMENT_RESPONSE',
} as const;
export type PaymentAppletErrorCode = (typeof PaymentAppletErrorCode)[keyof typeof PaymentAppletErrorCode];
