import assert from 'node:assert/strict';
import { SCP03_CHALLENGE_BYTES_S16, SCP03_CHALLENGE_BYTES_S8 } from './limits.js';

/**
 * S8 mode: 8-byte host and card challenges, cryptograms, C-MACs and R-MACs; S16 mode: 16 bytes
 * (Amendment D, bit 1 of the SCP03 parameter i).
 */
export type SCP03Mode = 'S8' | 'S16';

/** Bytes of a challenge, a cryptogram and a (truncated) MAC in the given mode. */
export function scp03ChallengeBytes(mode: SCP03Mode): number {
  return mode === 'S16' ? SCP03_CHALLENGE_BYTES_S16 : SCP03_CHALLENGE_BYTES_S8;
}

/**
 * A Security Domain's static SCP03 keyset: K-ENC (derives S-ENC and pseudo-random card
 * challenges), K-MAC (derives S-MAC and S-RMAC) and K-DEK (protects keys and sensitive data in
 * PUT KEY / STORE DATA). Each is an AES-128, AES-192 or AES-256 key.
 */
export interface SCP03StaticKeys {
  /** Key version number, '01'-'FF' (a keyset is named by it in INITIALIZE UPDATE P1). */
  readonly keyVersion: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

/** Session keys of one secure channel session (Amendment D §6.2.1). */
export interface SCP03SessionKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly rmac: Uint8Array;
}

/**
 * Security levels that EXTERNAL AUTHENTICATE P1 may request. Bit 1 C-MAC, bit 2 C-DECRYPTION,
 * bit 5 R-MAC, bit 6 R-ENCRYPTION; these five combinations are the ones Amendment D allows with
 * secure messaging. Level '00' (authentication only, no secure messaging) is deliberately not
 * offered: a channel without C-MAC would let an unprotected command pass as authenticated.
 */
export const SCP03SecurityLevel = {
  cMAC: 0x01,
  cDecryptionCMAC: 0x03,
  cMACRMAC: 0x11,
  cDecryptionCMACRMAC: 0x13,
  cDecryptionREncryptionCMACRMAC: 0x33,
} as const;
export type SCP03SecurityLevel = (typeof SCP03SecurityLevel)[keyof typeof SCP03SecurityLevel];

export const SCP03_SECURITY_LEVELS: readonly SCP03SecurityLevel[] = Object.values(SCP03SecurityLevel);

export function isSCP03SecurityLevel(value: unknown): value is SCP03SecurityLevel {
  return typeof value === 'number' && (SCP03_SECURITY_LEVELS as readonly number[]).includes(value);
}

const LEVEL_C_MAC = 0x01;
const LEVEL_C_DECRYPTION = 0x02;
const LEVEL_R_MAC = 0x10;
const LEVEL_R_ENCRYPTION = 0x20;

export function hasCommandMAC(level: SCP03SecurityLevel): boolean {
  return (level & LEVEL_C_MAC) !== 0;
}
export function hasCommandEncryption(level: SCP03SecurityLevel): boolean {
  return (level & LEVEL_C_DECRYPTION) !== 0;
}
export function hasResponseMAC(level: SCP03SecurityLevel): boolean {
  return (level & LEVEL_R_MAC) !== 0;
}
export function hasResponseEncryption(level: SCP03SecurityLevel): boolean {
  return (level & LEVEL_R_ENCRYPTION) !== 0;
}

/**
 * The SCP03 parameter "i" (third byte of the key information in the INITIALIZE UPDATE response),
 * as Amendment D codes it: b1 S16 mode, b5 pseudo-random card challenge, b6 R-MAC support,
 * b7 R-ENCRYPTION support (only together with R-MAC); b2-b4 and b8 are RFU and must be 0.
 */
export interface SCP03Parameter {
  readonly mode: SCP03Mode;
  readonly pseudoRandomCardChallenge: boolean;
  readonly responseMACSupported: boolean;
  readonly responseEncryptionSupported: boolean;
}

const I_S16 = 0x01;
const I_PSEUDO_RANDOM = 0x10;
const I_R_MAC = 0x20;
const I_R_ENCRYPTION = 0x40;
const I_DEFINED_BITS = I_S16 | I_PSEUDO_RANDOM | I_R_MAC | I_R_ENCRYPTION;

export function encodeSCP03Parameter(parameter: SCP03Parameter): number {
  // A programmer error, not an input error: the card's own configuration is inconsistent.
  assert.ok(
    !parameter.responseEncryptionSupported || parameter.responseMACSupported,
    'SCP03 parameter i: R-ENCRYPTION support requires R-MAC support',
  );
  return (
    (parameter.mode === 'S16' ? I_S16 : 0) |
    (parameter.pseudoRandomCardChallenge ? I_PSEUDO_RANDOM : 0) |
    (parameter.responseMACSupported ? I_R_MAC : 0) |
    (parameter.responseEncryptionSupported ? I_R_ENCRYPTION : 0)
  );
}

/** Undefined for RFU bits set, or R-ENCRYPTION without R-MAC: the host refuses such a card. */
export function decodeSCP03Parameter(i: number): SCP03Parameter | undefined {
  if (!Number.isInteger(i) || i < 0 || i > 0xff || (i & ~I_DEFINED_BITS) !== 0) return undefined;
  const responseMACSupported = (i & I_R_MAC) !== 0;
  const responseEncryptionSupported = (i & I_R_ENCRYPTION) !== 0;
  if (responseEncryptionSupported && !responseMACSupported) return undefined;
  return {
    mode: (i & I_S16) !== 0 ? 'S16' : 'S8',
    pseudoRandomCardChallenge: (i & I_PSEUDO_RANDOM) !== 0,
    responseMACSupported,
    responseEncryptionSupported,
  };
}

/** Whether a card announcing `parameter` can run a session at `level` (R-MAC / R-ENC need support). */
export function parameterSupportsSecurityLevel(parameter: SCP03Parameter, level: SCP03SecurityLevel): boolean {
  if (hasResponseMAC(level) && !parameter.responseMACSupported) return false;
  if (hasResponseEncryption(level) && !parameter.responseEncryptionSupported) return false;
  return true;
}
