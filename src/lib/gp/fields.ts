import { concatBytes, copyBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { decodeTLV, tagToHex } from '../tlv/index.js';
import type { TLVDecodeOptions, TLVNode } from '../tlv/index.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { AID_BYTES_MAX, AID_BYTES_MIN } from './limits.js';

/**
 * Field-level helpers shared by the GlobalPlatform codecs: a bounded reader for the LV
 * (length-value) layouts of INSTALL and legacy GET STATUS, AID checks, and a strict TLV decode
 * that reports failures as GlobalPlatform errors. Internal to src/lib/gp.
 */

const BER_LENGTH_ONE_BYTE = 0x81;
const BER_LENGTH_TWO_BYTES = 0x82;
const SHORT_LENGTH_MAX = 0x7f;
const LEGACY_LENGTH_128 = 0x80;

export function isByte(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff;
}

export function requireByte(value: unknown, name: string): number {
  if (!isByte(value)) throw gpMalformed(`expected ${name} to be one byte (0-255), received ${String(value)}`);
  return value;
}

export function requireBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw gpMalformed(`expected ${name} as a Uint8Array`);
  return value;
}

export function requireLengthAtMost(value: unknown, maxBytes: number, name: string): Uint8Array {
  const bytes = requireBytes(value, name);
  if (bytes.length > maxBytes) {
    throw gpLimit(`expected ${name} of at most ${maxBytes} bytes, received ${bytes.length}`);
  }
  return bytes;
}

/** An AID of 5 to 16 bytes (ISO/IEC 7816-5). */
export function requireAID(value: unknown, name: string): Uint8Array {
  const aid = requireBytes(value, name);
  if (aid.length < AID_BYTES_MIN || aid.length > AID_BYTES_MAX) {
    throw gpMalformed(`expected ${name} of ${AID_BYTES_MIN} to ${AID_BYTES_MAX} bytes, received ${aid.length}`);
  }
  return aid;
}

/** An AID, or an empty field where the format lets the card choose (an implicit SD, no object). */
export function requireAIDOrEmpty(value: unknown, name: string): Uint8Array {
  const aid = requireBytes(value, name);
  return aid.length === 0 ? aid : requireAID(aid, name);
}

/** One-byte length, then the value. */
export function encodeLV(value: Uint8Array, name: string): Uint8Array {
  if (value.length > 0xff) throw gpLimit(`${name} of ${value.length} bytes does not fit a one-byte length`);
  return concatBytes(Uint8Array.of(value.length), value);
}

/**
 * BER length ('00'-'7F', '81 xx', '82 xx xx'), then the value: the 1-to-3-byte length fields GP 2.3
 * §11.5.2.3 gives the parameters and token fields of INSTALL, so they can exceed 127 bytes.
 */
export function encodeBERLV(value: Uint8Array, name: string): Uint8Array {
  const length = value.length;
  if (length <= SHORT_LENGTH_MAX) return concatBytes(Uint8Array.of(length), value);
  if (length <= 0xff) return concatBytes(Uint8Array.of(BER_LENGTH_ONE_BYTE, length), value);
  if (length <= 0xffff) return concatBytes(Uint8Array.of(BER_LENGTH_TWO_BYTES, length >> 8, length & 0xff), value);
  throw gpLimit(`${name} of ${length} bytes does not fit a 3-byte length field`);
}

/**
 * A cursor over a received data field. Every read is bounded by the field; reading past its end
 * is malformed data, never an exception from the runtime. The input is copied once.
 */
export class FieldReader {
  private readonly bytes: Uint8Array;
  private offset = 0;

  constructor(received: Uint8Array, private readonly what: string) {
    this.bytes = copyBytes(received);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  readByte(name: string): number {
    const byte = this.bytes[this.offset];
    if (byte === undefined) throw gpMalformed(`${this.what}: ${name} expected at offset ${this.offset} but the data ends`);
    this.offset++;
    return byte;
  }

  readBytes(count: number, name: string): Uint8Array {
    if (count > this.remaining) {
      throw gpMalformed(`${this.what}: ${name} needs ${count} bytes but ${this.remaining} remain at offset ${this.offset}`);
    }
    const value = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return value;
  }

  /** A one-byte length and its value, at most `maxBytes` long. */
  readLV(name: string, maxBytes: number): Uint8Array {
    const length = this.readByte(`length of ${name}`);
    if (length > maxBytes) throw gpMalformed(`${this.what}: ${name} may have at most ${maxBytes} bytes, its length says ${length}`);
    return this.readBytes(length, name);
  }

  /**
   * A BER length field of 1 to 3 bytes and its value. '83'-'FF' are malformed, and so is '80'
   * unless `accept80As128` (GP 2.3.1 §11.8.2.3.1 lets PUT KEY lengths code 128 as '80', as older
   * cards did).
   */
  readBERLV(name: string, maxBytes: number, accept80As128 = false): Uint8Array {
    const first = this.readByte(`length of ${name}`);
    let length = first;
    if (first === LEGACY_LENGTH_128 && accept80As128) {
      length = LEGACY_LENGTH_128;
    } else if (first === BER_LENGTH_ONE_BYTE) {
      length = this.readByte(`length of ${name}`);
    } else if (first === BER_LENGTH_TWO_BYTES) {
      length = this.readByte(`length of ${name}`) * 256 + this.readByte(`length of ${name}`);
    } else if (first > SHORT_LENGTH_MAX) {
      throw gpMalformed(`${this.what}: length byte 0x${first.toString(16).toUpperCase()} of ${name} is not a 1-3 byte BER length`);
    }
    if (length > maxBytes) throw gpMalformed(`${this.what}: ${name} may have at most ${maxBytes} bytes, its length says ${length}`);
    return this.readBytes(length, name);
  }

  /** A one-byte length field that must be zero (a field the command variant leaves empty). */
  readEmpty(name: string): void {
    const length = this.readByte(`length of ${name}`);
    if (length !== 0) throw gpMalformed(`${this.what}: ${name} must be empty (length 00), received length ${length}`);
  }

  expectEnd(): void {
    if (this.remaining !== 0) {
      throw gpMalformed(`${this.what}: ${this.remaining} unexpected bytes after the last field, at offset ${this.offset}`);
    }
  }
}

const TLV_CODES: ReadonlySet<string> = new Set([LibErrorCode.tlvMalformed, LibErrorCode.tlvLimit]);

/**
 * BER-TLV data objects of a GlobalPlatform data field. Padding is refused (GP data fields carry
 * none) and TLV errors become GlobalPlatform errors (status word 6A80), keeping the TLV error as
 * the cause. Non-minimal lengths are accepted as BER allows.
 */
export function decodeGPTLV(received: Uint8Array, what: string, options: TLVDecodeOptions = {}): TLVNode[] {
  try {
    return decodeTLV(received, { padding: 'reject', ...options });
  } catch (error) {
    if (error instanceof TesseraError && TLV_CODES.has(error.code)) {
      const wrapped = error.code === LibErrorCode.tlvLimit ? gpLimit(`${what}: ${error.message}`) : gpMalformed(`${what}: ${error.message}`);
      throw new TesseraError(wrapped.code, wrapped.message, { details: wrapped.details ?? {}, cause: error });
    }
    throw error;
  }
}

/** Fails on a tag that appears twice among `nodes` (every GP template here allows each tag once unless stated). */
export function requireUniqueTags(nodes: readonly TLVNode[], what: string, repeatable: ReadonlySet<number> = new Set()): void {
  const seen = new Set<number>();
  for (const node of nodes) {
    if (seen.has(node.tag) && !repeatable.has(node.tag)) throw gpMalformed(`${what}: tag ${tagToHex(node.tag)} appears twice`);
    seen.add(node.tag);
  }
}

/** The value of a primitive node, refusing a constructed one where a primitive is expected. */
export function primitiveValue(node: TLVNode, what: string): Uint8Array {
  if (node.constructed) throw gpMalformed(`${what}: tag ${tagToHex(node.tag)} must be primitive`);
  return node.value;
}

/** A big-endian unsigned number of one of `allowedLengths` bytes. */
export function uintOfLength(value: Uint8Array, allowedLengths: readonly number[], name: string): number {
  if (!allowedLengths.includes(value.length)) {
    throw gpMalformed(`expected ${name} of ${allowedLengths.join(' or ')} bytes, received ${value.length}`);
  }
  let result = 0;
  for (const byte of value) result = result * 256 + byte;
  return result;
}

/** The shortest of 2 or 4 bytes that holds `value` (the memory quota fields of GP 2.3 Tables 11-48, 11-49). */
export function uintTwoOrFourBytes(value: number, name: string): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw gpMalformed(`expected ${name} from 0 to 4294967295, received ${String(value)}`);
  }
  if (value <= 0xffff) return Uint8Array.of(value >> 8, value & 0xff);
  return Uint8Array.of(Math.floor(value / 0x1000000) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}
