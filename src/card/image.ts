import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { constantTimeEqual, fromHex, toHex, utf8 } from '../lib/bytes.js';
import {
  computeHMACSHA256, deriveHKDFSHA256, openAESGCM, sealAESGCM, type RandomSource,
} from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import type { CardState } from './model.js';
import { CardErrorCode } from './errors.js';

/**
 * The card image on disk: the card's persistent state as JSON, with every key value and every
 * applet store value sealed (AES-256-GCM) under a key derived from the device key, and an HMAC over the whole state so a
 * changed byte is noticed before the card runs. Writes are atomic: a temporary file is written and
 * fsynced, then renamed over the image, then the directory is fsynced, so a crash at any point
 * leaves either the old image or the new one (GP 2.3 §6.7, atomicity of persistent updates).
 */
export const CARD_IMAGE_FORMAT = 'tessera-card-image/1';
/** A card image larger than this is refused on load: a full profile is a few kilobytes. */
export const CARD_IMAGE_BYTES_MAX = 1024 * 1024;
export const DEVICE_KEY_BYTES = 32;

interface ImageFile {
  readonly format: typeof CARD_IMAGE_FORMAT;
  readonly state: CardState;
  /** HMAC-SHA256 over JSON.stringify(state), hex. */
  readonly mac: string;
}

interface ImageKeys {
  readonly sealKey: Uint8Array;
  readonly macKey: Uint8Array;
}

function imageKeys(deviceKey: Uint8Array): ImageKeys {
  if (deviceKey.length !== DEVICE_KEY_BYTES) {
    throw new TesseraError(CardErrorCode.imageKey, `the card device key must be ${DEVICE_KEY_BYTES} bytes`);
  }
  // One device key, two purposes: derive one key for each (HKDF, RFC 5869).
  const material = deriveHKDFSHA256(deviceKey, utf8('tessera card image'), utf8('seal+mac'), 64);
  return { sealKey: material.subarray(0, 32), macKey: material.subarray(32) };
}

/** What a sealed key is bound to: this card, this domain, this keyset version and key id. */
function keyBinding(state: CardState, domainAid: string, version: number, id: number): Uint8Array {
  return utf8(`${state.cinHex}/${domainAid}/${version}/${id}`);
}

/** What a sealed applet value is bound to: this card, this applet, this name. */
function appletBinding(state: CardState, aid: string, name: string): Uint8Array {
  return utf8(`${state.cinHex}/applet/${aid}/${name}`);
}

/**
 * Applies `transform` to every secret of the state: security domain keys, and every value of
 * every applet's store (an applet keeps its PINs, templates and private keys there, so the image
 * seals all of it; applets need no key of their own for data at rest).
 */
function mapKeys(state: CardState, transform: (valueHex: string, binding: Uint8Array) => string): CardState {
  return {
    ...state,
    applets: Object.fromEntries(Object.entries(state.applets).map(([aid, store]) => [
      aid,
      Object.fromEntries(Object.entries(store).map(([name, valueHex]) => [name, transform(valueHex, appletBinding(state, aid, name))])),
    ])),
    securityDomains: state.securityDomains.map((domain) => ({
      ...domain,
      keysets: domain.keysets.map((keyset) => ({
        ...keyset,
        keys: keyset.keys.map((key) => ({ ...key, valueHex: transform(key.valueHex, keyBinding(state, domain.aid, keyset.version, key.id)) })),
      })),
    })),
  };
}

export function encodeCardImage(state: CardState, deviceKey: Uint8Array, random: RandomSource): string {
  const keys = imageKeys(deviceKey);
  const sealed = mapKeys(state, (valueHex, binding) => toHex(sealAESGCM(keys.sealKey, fromHex(valueHex), binding, random)));
  const mac = toHex(computeHMACSHA256(keys.macKey, utf8(JSON.stringify(sealed))));
  const file: ImageFile = { format: CARD_IMAGE_FORMAT, state: sealed, mac };
  return `${JSON.stringify(file, undefined, 1)}\n`;
}

export function decodeCardImage(text: string, deviceKey: Uint8Array): CardState {
  const keys = imageKeys(deviceKey);
  let file: Partial<ImageFile>;
  try {
    file = JSON.parse(text) as Partial<ImageFile>;
  } catch (error) {
    throw new TesseraError(CardErrorCode.imageInvalid, 'the card image is not valid JSON', { cause: error });
  }
  if (file.format !== CARD_IMAGE_FORMAT || typeof file.mac !== 'string' || typeof file.state !== 'object' || file.state === null) {
    throw new TesseraError(CardErrorCode.imageInvalid, `not a ${CARD_IMAGE_FORMAT} card image`);
  }
  const expectedMac = computeHMACSHA256(keys.macKey, utf8(JSON.stringify(file.state)));
  let receivedMac: Uint8Array;
  try {
    receivedMac = fromHex(file.mac);
  } catch {
    receivedMac = new Uint8Array(0);
  }
  if (!constantTimeEqual(expectedMac, receivedMac)) {
    throw new TesseraError(CardErrorCode.imageIntegrity, 'the card image failed its integrity check (changed, or another device key)');
  }
  return mapKeys(file.state, (sealedHex, binding) => toHex(openAESGCM(keys.sealKey, fromHex(sealedHex), binding)));
}

/** Writes `text` to `path` so that a crash leaves the old file or the new one, never a mix. */
export function writeFileAtomic(path: string, text: string): void {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  // The rename itself lives in the directory: fsync it so the new name survives a power cut.
  const directoryFd = openSync(directory, 'r');
  try {
    fsyncSync(directoryFd);
  } finally {
    closeSync(directoryFd);
  }
}

export function readCardImageFile(path: string, deviceKey: Uint8Array): CardState {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > CARD_IMAGE_BYTES_MAX) {
      throw new TesseraError(CardErrorCode.imageInvalid, `the card image is larger than ${CARD_IMAGE_BYTES_MAX} bytes`);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError(CardErrorCode.imageMissing, `cannot read the card image ${path}`, { cause: error });
  }
  return decodeCardImage(text, deviceKey);
}
