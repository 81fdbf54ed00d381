/** Error codes of the point of sale. */
export const PosErrorCode = {
  /** The card answered something a kernel cannot use (missing data objects, malformed templates). */
  card: 'ERR_POS_CARD',
  /** The transaction input is not usable (amount, currency, terminal identifiers). */
  input: 'ERR_POS_INPUT',
  /** The acquirer could not be reached or did not answer in time (the request was reversed). */
  acquirer: 'ERR_POS_ACQUIRER',
} as const;
export type PosErrorCode = (typeof PosErrorCode)[keyof typeof PosErrorCode];
