import { TesseraError } from '../errors.js';
import { BadFormat, describeBadFormat } from './tags.js';

/** Codes of the expanded remote APDU codec (public API). */
export const RAMErrorCode = {
  /** Not a well-formed script. `details.badFormat` is the Bad format value a card would answer with. */
  badFormat: 'ERR_RAM_BAD_FORMAT',
  /** Well formed, but beyond a limit of limits.ts (commands per script, bytes). */
  limit: 'ERR_RAM_LIMIT',
  /** Immediate Action, Error Action or Script Chaining in a command script: not modelled by Tessera. */
  unsupported: 'ERR_RAM_UNSUPPORTED',
} as const;
export type RAMErrorCode = (typeof RAMErrorCode)[keyof typeof RAMErrorCode];

/**
 * Every decoding failure names the offset of the fault in the received bytes and the Bad format
 * value (TS 102 226 table 5.12) that describes it, so a card-side caller can answer with it.
 */
export function ramBadFormat(badFormat: BadFormat, message: string, offset: number): TesseraError {
  return new TesseraError(RAMErrorCode.badFormat, `${message} (${describeBadFormat(badFormat)}, at offset ${offset})`, {
    details: { badFormat, offset },
  });
}

/** Limits are reported as "wrong length" to the other side: the closest Bad format value. */
export function ramLimit(message: string, offset: number): TesseraError {
  return new TesseraError(RAMErrorCode.limit, message, { details: { badFormat: BadFormat.wrongLength, offset } });
}

export function ramUnsupported(tag: number, what: string, offset: number): TesseraError {
  const tagHex = tag.toString(16).toUpperCase().padStart(2, '0');
  return new TesseraError(RAMErrorCode.unsupported, `${what} (tag ${tagHex}) is not supported by Tessera (at offset ${offset})`, {
    details: { badFormat: BadFormat.unknownTag, offset, tag: tagHex },
  });
}

/** The Bad format value carried by a codec error, or undefined for any other error. */
export function badFormatOf(error: unknown): BadFormat | undefined {
  if (!(error instanceof TesseraError)) return undefined;
  const value = error.details?.['badFormat'];
  return value === BadFormat.unknownTag || value === BadFormat.wrongLength || value === BadFormat.lengthNotFound ? value : undefined;
}
