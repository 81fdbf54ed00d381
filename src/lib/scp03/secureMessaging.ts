import assert from 'node:assert/strict';
import { concatBytes } from '../bytes.js';
import {
  AESCMACContext,
  computeAESCMAC,
  decryptAESCBC,
  encryptAESCBC,
  encryptAESECB,
  padISO9797Method2,
} from '../crypto/index.js';
import { decodeCLA } from '../apdu.js';
import { scp03VerificationFailure } from './checks.js';
import { SCP03_COMMANDS_PER_SESSION_MAX, SCP03_ENCRYPTION_COUNTER_BYTES } from './limits.js';

/**
 * The secure messaging transformations of Amendment D §6.2.4-§6.2.7, shared by the card and the
 * host so that both sides compute exactly the same bytes. Pure functions: the caller owns the
 * MAC chaining value and the encryption counter.
 */

const AES_BLOCK_BYTES = 16;
/** b3 of a first-interindustry-coded CLA ('0X', '8X'): GlobalPlatform proprietary secure messaging. */
const CLA_FIRST_SECURE_MESSAGING_BIT = 0x04;
/** b6 of a further-interindustry-coded CLA ('4X'-'7X', 'CX'-'FX'): secure messaging. */
const CLA_FURTHER_SECURE_MESSAGING_BIT = 0x20;
const CLA_FURTHER_CODING_BIT = 0x40;
/** b8 (proprietary class) and b5 (command chaining) survive into the C-MAC input. */
const CLA_BITS_KEPT_IN_MAC = 0x90;
/** The first byte of the counter block for the response ICV (Amendment D §6.2.7). */
const RESPONSE_COUNTER_MARKER = 0x80;

/**
 * The class byte a command carries on the wire once it is secured: b3 set on logical channels 0-3
 * (CLA '84'-'87'), b6 set on channels 4-19 (CLA 'E0'-'EF'), as GP 2.3 §11.1.4 codes the class byte.
 * Undefined when `cla` is not a valid class byte or already indicates secure messaging.
 */
export function securedCLA(cla: number): number | undefined {
  const decoded = decodeCLA(cla);
  if (decoded === undefined || decoded.secureMessaging !== 'none') return undefined;
  return (cla & CLA_FURTHER_CODING_BIT) !== 0 ? cla | CLA_FURTHER_SECURE_MESSAGING_BIT : cla | CLA_FIRST_SECURE_MESSAGING_BIT;
}

/**
 * The inverse on the card: the plain class byte of a received secured command, with its logical
 * channel. Undefined when the class byte does not indicate GlobalPlatform secure messaging (an ISO
 * secure messaging indication, b4, is not ours either).
 */
export function plainCLA(cla: number): { readonly cla: number; readonly logicalChannel: number } | undefined {
  const decoded = decodeCLA(cla);
  if (decoded === undefined) return undefined;
  if ((cla & CLA_FURTHER_CODING_BIT) !== 0) {
    if (decoded.secureMessaging !== 'header-not-authenticated') return undefined;
    return { cla: cla & ~CLA_FURTHER_SECURE_MESSAGING_BIT, logicalChannel: decoded.logicalChannel };
  }
  if (decoded.secureMessaging !== 'proprietary') return undefined;
  return { cla: cla & ~CLA_FIRST_SECURE_MESSAGING_BIT, logicalChannel: decoded.logicalChannel };
}

/**
 * The class byte inside the C-MAC input, Amendment D §6.2.4: "the logical channel number shall be
 * set to zero, bit 4 shall be set to 0 and bit 3 shall be set to 1". Zeroing the channel means the
 * first interindustry coding of channel 0, so a command on any channel MACs as '84' (or '04' for
 * an interindustry class); the command chaining bit b5 is kept. The same rule is applied by
 * osmocom pySim and Petr Tobiska's asterix; for channels 4-19 (which no public transcript we found
 * covers) this is our reading of that sentence.
 */
export function macInputCLA(wireCLA: number): number {
  return (wireCLA & CLA_BITS_KEPT_IN_MAC) | CLA_FIRST_SECURE_MESSAGING_BIT;
}

/** CMAC under a session key given as bytes (one-off) or as a context kept for the session. */
function cmac(key: Uint8Array | AESCMACContext, message: Uint8Array): Uint8Array {
  return key instanceof AESCMACContext ? key.compute(message) : computeAESCMAC(key, message);
}

/** Lc as it appears on the wire: one byte, or '00' and two bytes when the lengths are extended. */
export function lcField(dataLengthBytes: number, extended: boolean): Uint8Array {
  return extended ? Uint8Array.of(0, dataLengthBytes >> 8, dataLengthBytes & 0xff) : Uint8Array.of(dataLengthBytes);
}

/**
 * C-MAC, Amendment D §6.2.4: the full 16-byte CMAC(S-MAC, chaining value || CLA' INS P1 P2 || Lc ||
 * data field), where Lc already counts the C-MAC and the data field is the encrypted one. The
 * first 8 (S8) or 16 (S16) bytes are appended to the command; all 16 become the next chaining value.
 */
export function computeSCP03CommandMAC(
  sessionMAC: Uint8Array | AESCMACContext,
  chainingValue: Uint8Array,
  header: { readonly cla: number; readonly ins: number; readonly p1: number; readonly p2: number },
  lc: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const headerBytes = Uint8Array.of(macInputCLA(header.cla), header.ins, header.p1, header.p2);
  return cmac(sessionMAC, concatBytes(chainingValue, headerBytes, lc, data));
}

/**
 * R-MAC, Amendment D §6.2.5: CMAC(S-RMAC, chaining value || response data field || SW1 SW2), with
 * the chaining value being the C-MAC of the command this response answers. Full 16 bytes.
 */
export function computeSCP03ResponseMAC(
  sessionRMAC: Uint8Array | AESCMACContext,
  chainingValue: Uint8Array,
  data: Uint8Array,
  sw: number,
): Uint8Array {
  return cmac(sessionRMAC, concatBytes(chainingValue, data, Uint8Array.of(sw >> 8, sw & 0xff)));
}

/** The counter as a 16-byte big-endian block; for a response its first byte becomes '80' (§6.2.7). */
export function encodeEncryptionCounter(counter: number, forResponse: boolean): Uint8Array {
  assert.ok(Number.isSafeInteger(counter) && counter >= 1 && counter <= SCP03_COMMANDS_PER_SESSION_MAX, 'encryption counter in range');
  const block = new Uint8Array(SCP03_ENCRYPTION_COUNTER_BYTES);
  let rest = counter;
  for (let i = SCP03_ENCRYPTION_COUNTER_BYTES - 1; i >= 0 && rest > 0; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  if (forResponse) block[0] = RESPONSE_COUNTER_MARKER;
  return block;
}

/** ICV = AES-ECB(S-ENC, counter block) (Amendment D §6.2.6 for commands, §6.2.7 for responses). */
function encryptionICV(sessionENC: Uint8Array, counter: number, forResponse: boolean): Uint8Array {
  return encryptAESECB(sessionENC, encodeEncryptionCounter(counter, forResponse));
}

/**
 * C-DECRYPTION on the host side (Amendment D §6.2.6): pad with ISO/IEC 9797-1 method 2 to a
 * multiple of 16, then AES-CBC under S-ENC with the ICV of this command's counter. A command
 * without data is not encrypted (the counter still moves; that is the caller's part).
 */
export function encryptSCP03CommandData(sessionENC: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  assert.ok(data.length > 0, 'a command without data is not encrypted');
  return encryptAESCBC(sessionENC, encryptionICV(sessionENC, counter, false), padISO9797Method2(data, AES_BLOCK_BYTES));
}

/** The card's inverse. Throws the uniform verification failure on bad length or padding. */
export function decryptSCP03CommandData(sessionENC: Uint8Array, counter: number, ciphertext: Uint8Array): Uint8Array {
  requireWholeBlocks(ciphertext);
  return removePadding(decryptAESCBC(sessionENC, encryptionICV(sessionENC, counter, false), ciphertext));
}

/** R-ENCRYPTION on the card (Amendment D §6.2.7): pad, then AES-CBC with the response ICV. */
export function encryptSCP03ResponseData(sessionENC: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  assert.ok(data.length > 0, 'an empty response data field is not encrypted');
  return encryptAESCBC(sessionENC, encryptionICV(sessionENC, counter, true), padISO9797Method2(data, AES_BLOCK_BYTES));
}

/** The host's inverse. Throws the uniform verification failure on bad length or padding. */
export function decryptSCP03ResponseData(sessionENC: Uint8Array, counter: number, ciphertext: Uint8Array): Uint8Array {
  requireWholeBlocks(ciphertext);
  return removePadding(decryptAESCBC(sessionENC, encryptionICV(sessionENC, counter, true), ciphertext));
}

/**
 * Removes the padding: the last non-zero byte must be '80'. We send ISO/IEC 9797-1 method 2
 * padding ('80', then '00' up to the block); on receipt we also accept further '00' blocks, which
 * Samsung OpenSCP's emulated card sends (test/fixtures/scp03) and which are just as unambiguous.
 * This only ever runs after the MAC over the ciphertext has been verified, so it is no padding
 * oracle; a failure is the one uniform verification failure all the same.
 */
function removePadding(padded: Uint8Array): Uint8Array {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0x00) end--;
  if (end < 0 || padded[end] !== 0x80) {
    padded.fill(0);
    throw scp03VerificationFailure();
  }
  const data = padded.slice(0, end);
  padded.fill(0);
  return data;
}

/** Ciphertext that is not whole blocks fails like a bad MAC (it can only come from tampering or a bug). */
function requireWholeBlocks(ciphertext: Uint8Array): void {
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK_BYTES !== 0) throw scp03VerificationFailure();
}

/**
 * Whether a response is protected: Amendment D §6.2.5 applies R-MAC (and R-ENCRYPTION) only to
 * '9000' and warnings ('62XX', '63XX'); any other status word is returned alone, without data.
 */
export function isProtectedStatusWord(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x62 || sw1 === 0x63;
}
