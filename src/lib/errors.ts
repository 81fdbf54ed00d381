/**
 * One error base for the whole platform. `code` is public API (stable, documented, matched by
 * clients); `message` is for people and may change. Expected failures (bad input, a decline, a
 * wrong MAC) are TesseraErrors; programmer errors are assertions.
 */
export interface TesseraErrorOptions {
  /** HTTP status to answer with when the error crosses an HTTP edge. */
  readonly httpStatus?: number;
  /** The lower-level failure, kept for the log; never shown to a caller. */
  readonly cause?: unknown;
  /** Extra machine-readable detail that is safe to show (no secrets, no PAN). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class TesseraError extends Error {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: TesseraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.details = options.details;
  }
}

export function isTesseraError(value: unknown): value is TesseraError {
  return value instanceof TesseraError;
}

/** Codes shared by the building blocks in `lib/`. Domains define their own next to their code. */
export const LibErrorCode = {
  hexInvalid: 'ERR_HEX_INVALID',
  lengthInvalid: 'ERR_LENGTH_INVALID',
  tlvMalformed: 'ERR_TLV_MALFORMED',
  tlvLimit: 'ERR_TLV_LIMIT',
  apduMalformed: 'ERR_APDU_MALFORMED',
  cryptoInput: 'ERR_CRYPTO_INPUT',
  cryptoVerify: 'ERR_CRYPTO_VERIFY',
  luhnInvalid: 'ERR_LUHN_INVALID',
  moneyInvalid: 'ERR_MONEY_INVALID',
  currencyUnknown: 'ERR_CURRENCY_UNKNOWN',
  /** A DER structure (an ECDSA signature) that is not strict DER. */
  derMalformed: 'ERR_DER_MALFORMED',
  /** SCP03 (GP 2.3 Amendment D): a step out of order, e.g. wrapping a command before EXTERNAL AUTHENTICATE. */
  scp03State: 'ERR_SCP03_STATE',
  /** SCP03: the card refused a handshake step, or answered in a form the protocol does not allow. */
  scp03CardResponse: 'ERR_SCP03_CARD_RESPONSE',
  /** GlobalPlatform data (GP 2.3 §11): a malformed command or response data field; a card answers 6A80. */
  gpMalformed: 'ERR_GP_MALFORMED',
  /** GlobalPlatform: P1/P2 not valid for the command or out of sequence (a LOAD block number); a card answers 6A86. */
  gpParameters: 'ERR_GP_PARAMETERS',
  /** GlobalPlatform: a size or count limit exceeded (load file, registry, key list); a card answers 6A84 or 6A80. */
  gpLimit: 'ERR_GP_LIMIT',
  /** A Tessera load file (docs/load-file-format.md) that is not well formed. */
  gpLoadFileInvalid: 'ERR_GP_LOAD_FILE_INVALID',
} as const;
export type LibErrorCode = (typeof LibErrorCode)[keyof typeof LibErrorCode];
