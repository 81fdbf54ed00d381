/**
 * ISO 8583 (1987) field 39 response codes the issuer answers with. Several failures share one
 * code on purpose: a cryptogram mismatch, a replayed ATC and an ATC outside the window all answer
 * 05 "do not honour", so the wire tells an attacker nothing about which check failed (no oracles).
 * The precise reason is kept in `bank.authorizations.decline_reason` and in the result's
 * `declineReason`, for the log and the operator, never for the terminal.
 */
export const ResponseCode = {
  approved: '00',
  invalidMerchant: '03',
  doNotHonour: '05',
  invalidTransaction: '12',
  invalidAmount: '13',
  invalidCardNumber: '14',
  recordNotFound: '25',
  lostCard: '41',
  stolenCard: '43',
  insufficientFunds: '51',
  expiredCard: '54',
  notPermittedToCardholder: '57',
  notPermittedToTerminal: '58',
  exceedsAmountLimit: '61',
  restrictedCard: '62',
  exceedsFrequencyLimit: '65',
  issuerUnavailable: '91',
  duplicateTransmission: '94',
} as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** Why a request was declined; stored with the authorization, never sent on the wire. */
export type DeclineReason =
  | 'merchant-unknown'
  | 'terminal-merchant-mismatch'
  | 'currency-not-accepted'
  | 'amount-invalid'
  | 'card-unknown'
  | 'card-blocked'
  | 'card-lost'
  | 'card-stolen'
  | 'card-expired'
  | 'expiry-mismatch'
  | 'currency-mismatch'
  | 'cryptogram-mismatch'
  | 'atc-replayed'
  | 'atc-outside-window'
  | 'reversed-before-arrival'
  | 'transaction-limit'
  | 'daily-limit'
  | 'daily-count'
  | 'insufficient-funds'
  | 'original-not-found'
  | 'refund-exceeds-captured'
  | 'original-not-refundable'
  | 'merchant-mismatch'
  | 'duplicate-mismatch'
  | 'issuer-busy'
  /** A card-not-present request from a terminal not enabled for it. */
  | 'channel-not-permitted';
