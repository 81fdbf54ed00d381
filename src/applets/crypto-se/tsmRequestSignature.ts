import { createHash, type KeyObject } from 'node:crypto';
import { concatBytes, toHex, utf8 } from '../../lib/bytes.js';
import { verifyECDSAP256 } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX, TSM_REQUEST_DIGEST_BYTES, TSM_REQUEST_LABEL } from './constants.js';
import { CryptoSEErrorCode } from './errors.js';

/**
 * The device's signed requests to the TSM's device API (README.md "SIGN TSM REQUEST"): one
 * definition of the canonical request, its digest, the message the Crypto SE signs and the HTTP
 * header, for the device that signs and the TSM that verifies.
 *
 * ```
 * canonical = "TSM_REQUEST_V1\n" METHOD "\n" path?query "\n" unix seconds "\n" nonce (32 hex) "\n" hex(SHA-256(body bytes))
 * digest    = SHA-256(canonical, UTF-8)                       → SIGN TSM REQUEST (the host sends only this)
 * signature = ECDSA P-256/SHA-256 (device key, DER) over "tessera.crypto-se/tsm-request/v1" ‖ digest
 * header    = Tessera-Device-Signature: t=<unix seconds>,n=<32 hex>,s=<base64 DER signature>
 * ```
 * Hex is upper case everywhere (nonce and body hash); an absent body hashes as zero bytes.
 */

/** The header's name (HTTP header names are case-insensitive; Node hands them over in lower case). */
export const TSM_REQUEST_SIGNATURE_HEADER = 'tessera-device-signature';
export const TSM_REQUEST_CANONICAL_VERSION = 'TSM_REQUEST_V1';
export const TSM_REQUEST_NONCE_BYTES = 16;
/** Unix seconds up to 10^12 - 1 (year 33658): a bound, so the parser never reads an unbounded number. */
const TIMESTAMP_DIGITS_MAX = 12;
/** Shortest DER ECDSA signature: SEQUENCE { INTEGER r, INTEGER s } with one-byte values. */
const SIGNATURE_BYTES_MIN = 8;
/** The longest header a well-formed signature makes, with room to spare; longer is refused unread. */
export const TSM_REQUEST_SIGNATURE_HEADER_CHARACTERS_MAX = 256;
const METHOD_PATTERN = /^[A-Z]{1,16}$/;
const NONCE_PATTERN = new RegExp(`^[0-9A-F]{${TSM_REQUEST_NONCE_BYTES * 2}}$`);
const TIMESTAMP_PATTERN = new RegExp(`^(0|[1-9][0-9]{0,${TIMESTAMP_DIGITS_MAX - 1}})$`);
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

export interface TsmRequestFields {
  /** Upper case, e.g. GET. */
  readonly method: string;
  /** The request target exactly as sent: path and query, e.g. /v1/devices/0A…/credential-packages?after=00…. */
  readonly pathWithQuery: string;
  readonly timestampSeconds: number;
  /** 32 upper-case hex digits (16 random bytes). */
  readonly nonce: string;
  /** The body's exact bytes; empty when there is none. */
  readonly body: Uint8Array;
}

/** What the header carries. */
export interface TsmRequestSignature {
  readonly timestampSeconds: number;
  readonly nonce: string;
  /** DER ECDSA signature. */
  readonly signature: Uint8Array;
}

function invalid(message: string): TesseraError {
  return new TesseraError(CryptoSEErrorCode.input, message);
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** The canonical request text; refuses fields that could make two requests read the same (a newline in the path). */
export function canonicalTsmRequest(fields: TsmRequestFields): string {
  if (!METHOD_PATTERN.test(fields.method)) throw invalid('a method is upper-case letters');
  if (!fields.pathWithQuery.startsWith('/') || /[\s]/.test(fields.pathWithQuery)) throw invalid('a request target starts with / and has no white space');
  if (!Number.isSafeInteger(fields.timestampSeconds) || !TIMESTAMP_PATTERN.test(String(fields.timestampSeconds))) throw invalid('a timestamp is whole unix seconds');
  if (!NONCE_PATTERN.test(fields.nonce)) throw invalid(`a nonce is ${TSM_REQUEST_NONCE_BYTES * 2} upper-case hex digits`);
  return [TSM_REQUEST_CANONICAL_VERSION, fields.method, fields.pathWithQuery, String(fields.timestampSeconds), fields.nonce, toHex(sha256(fields.body))].join('\n');
}

/** SHA-256 of the canonical request: what the host gives SIGN TSM REQUEST. */
export function tsmRequestDigest(fields: TsmRequestFields): Uint8Array {
  return sha256(utf8(canonicalTsmRequest(fields)));
}

/** What the device key signs: the label, then the digest (so no other signature of the card can pass as one). */
export function tsmRequestMessage(digest: Uint8Array): Uint8Array {
  if (digest.length !== TSM_REQUEST_DIGEST_BYTES) throw invalid(`a TSM request digest is ${TSM_REQUEST_DIGEST_BYTES} bytes`);
  return concatBytes(TSM_REQUEST_LABEL, digest);
}

/** ECDSA P-256/SHA-256 (DER) by the device key over tsmRequestMessage(digest). */
export function verifyTsmRequestSignature(devicePublicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  if (digest.length !== TSM_REQUEST_DIGEST_BYTES || signature.length < SIGNATURE_BYTES_MIN || signature.length > PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX) return false;
  return verifyECDSAP256(devicePublicKey, tsmRequestMessage(digest.slice()), signature.slice(), 'der');
}

export function encodeTsmRequestSignatureHeader(value: TsmRequestSignature): string {
  if (!NONCE_PATTERN.test(value.nonce)) throw invalid(`a nonce is ${TSM_REQUEST_NONCE_BYTES * 2} upper-case hex digits`);
  return `t=${value.timestampSeconds},n=${value.nonce},s=${Buffer.from(value.signature).toString('base64')}`;
}

/**
 * The header's three fields, each exactly once, in any order, nothing else; undefined when it is
 * not well formed (the TSM answers that like a bad signature). The signature is base64 that
 * re-encodes to the same text (no stray padding or bits), 8-72 bytes.
 */
export function parseTsmRequestSignatureHeader(received: string): TsmRequestSignature | undefined {
  if (received.length > TSM_REQUEST_SIGNATURE_HEADER_CHARACTERS_MAX) return undefined;
  const fields = new Map<string, string>();
  for (const part of received.split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) return undefined;
    const name = part.slice(0, separator).trim();
    if (fields.has(name) || !['t', 'n', 's'].includes(name)) return undefined;
    fields.set(name, part.slice(separator + 1).trim());
  }
  const [timestamp, nonce, signatureText] = [fields.get('t'), fields.get('n'), fields.get('s')];
  if (timestamp === undefined || nonce === undefined || signatureText === undefined) return undefined;
  if (!TIMESTAMP_PATTERN.test(timestamp) || !NONCE_PATTERN.test(nonce) || !BASE64_PATTERN.test(signatureText)) return undefined;
  const signature = new Uint8Array(Buffer.from(signatureText, 'base64'));
  if (Buffer.from(signature).toString('base64') !== signatureText) return undefined;
  if (signature.length < SIGNATURE_BYTES_MIN || signature.length > PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX) return undefined;
  return { timestampSeconds: Number(timestamp), nonce, signature };
}
