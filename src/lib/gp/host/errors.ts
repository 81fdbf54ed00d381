import { LibErrorCode, TesseraError } from '../../errors.js';
import { describeStatusWord, statusWordToHex } from '../../status-words.js';

/**
 * Error codes of the off-card GlobalPlatform client. Codes are public API: the CLI and the TSM
 * match on them. A card's status word is in `details.sw` (upper-case hex) with the command's name
 * in `details.command`, so callers branch on data, not on messages.
 */
export const GPHostErrorCode = {
  /** The card answered a command with a status word other than the ones the command expects. */
  status: 'ERR_GP_STATUS',
  /** The secure channel handshake failed: the card's cryptogram did not verify (wrong keys or key version). */
  authentication: 'ERR_GP_AUTHENTICATION',
  /** The card answered 9000 with data that contradicts the command (a wrong key check value, a wrong key version). */
  response: 'ERR_GP_RESPONSE',
  /** A call out of order: a management command before a secure channel, a LOAD without INSTALL [for load]. */
  state: 'ERR_GP_HOST_STATE',
} as const;
export type GPHostErrorCode = (typeof GPHostErrorCode)[keyof typeof GPHostErrorCode];

/** `the card answered DELETE with 6A88: Referenced data or reference data not found`. */
export function gpStatusError(command: string, sw: number): TesseraError {
  return new TesseraError(GPHostErrorCode.status, `the card answered ${command} with ${describeStatusWord(sw)}`, {
    details: { sw: statusWordToHex(sw), command },
  });
}

export function gpResponseError(command: string, message: string, cause?: unknown): TesseraError {
  return new TesseraError(GPHostErrorCode.response, `${command}: ${message}`, {
    details: { command },
    ...(cause === undefined ? {} : { cause }),
  });
}

export function gpHostStateError(message: string): TesseraError {
  return new TesseraError(GPHostErrorCode.state, message);
}

/**
 * The handshake failure, told apart from a card refusal: a card cryptogram that does not verify is
 * what wrong static keys (or the wrong keyset) look like from the host. The message is the same
 * whatever the cause (no oracle); the SCP03 error stays as `cause` for the log.
 */
export function gpAuthenticationError(securityDomainAID: string, keyVersion: number, cause: unknown): TesseraError {
  const version = keyVersion === 0 ? 'the default key version' : `key version ${keyVersion.toString(16).toUpperCase().padStart(2, '0')}`;
  return new TesseraError(
    GPHostErrorCode.authentication,
    `could not open a secure channel to ${securityDomainAID} with ${version}: the card cryptogram did not verify (wrong keys or key version)`,
    { details: { securityDomainAID }, cause },
  );
}

/** True for the uniform SCP03 verification failure (lib/scp03 throws ERR_CRYPTO_VERIFY for every bad cryptogram or MAC). */
export function isVerificationFailure(error: unknown): boolean {
  return error instanceof TesseraError && error.code === LibErrorCode.cryptoVerify;
}
