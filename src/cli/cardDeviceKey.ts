import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEVICE_KEY_BYTES } from '../card/client.js';
import { fromHex, toHex } from '../lib/bytes.js';
import { TesseraError } from '../lib/errors.js';

/**
 * The device key that seals the keys inside card images (src/card/image.ts). It comes from the
 * environment (TESSERA_CARD_DEVICE_KEY, 64 hex digits), or from a key file: `--device-key-file`,
 * by default `<data dir>/card-device.key`, the data dir being `.tessera` as for `tessera up`
 * (TESSERA_DATA_DIR overrides it). `tessera card new` creates the file on first use (random
 * bytes from the OS, mode 0600); every other command needs it to exist, since a fresh key could
 * not open any existing image anyway.
 */
export const CARD_DEVICE_KEY_ENVIRONMENT_NAME = 'TESSERA_CARD_DEVICE_KEY';
export const CARD_DEVICE_KEY_FILE_NAME = 'card-device.key';
export const DATA_DIR_DEFAULT = '.tessera';

export const CardDeviceKeyErrorCode = {
  invalid: 'ERR_CARD_DEVICE_KEY_INVALID',
  missing: 'ERR_CARD_DEVICE_KEY_MISSING',
} as const;

const KEY_HEX_PATTERN = new RegExp(`^[0-9A-Fa-f]{${DEVICE_KEY_BYTES * 2}}$`);
/** Permission bits for group and others: a key file readable by them is reported. */
const GROUP_OTHER_BITS = 0o077;

export interface CardDeviceKeyOptions {
  readonly env: NodeJS.ProcessEnv;
  /** `--device-key-file`. */
  readonly keyFile?: string;
  /** Create the key file when it does not exist (`tessera card new`). */
  readonly create: boolean;
  /** Where to tell the person what happened (stderr): a created key, a key file others can read. */
  readonly notify: (message: string) => void;
}

export interface CardDeviceKey {
  readonly key: Uint8Array;
  /** 'environment' or the key file's path. */
  readonly source: string;
}

function parseKeyHex(text: string, source: string): Uint8Array {
  const hex = text.trim();
  if (!KEY_HEX_PATTERN.test(hex)) {
    throw new TesseraError(CardDeviceKeyErrorCode.invalid, `expected the card device key in ${source} as ${DEVICE_KEY_BYTES * 2} hex digits`);
  }
  return fromHex(hex);
}

export function defaultCardDeviceKeyFile(env: NodeJS.ProcessEnv): string {
  const dataDir = env['TESSERA_DATA_DIR'] !== undefined && env['TESSERA_DATA_DIR'] !== '' ? env['TESSERA_DATA_DIR'] : DATA_DIR_DEFAULT;
  return resolve(join(dataDir, CARD_DEVICE_KEY_FILE_NAME));
}

function createKeyFile(path: string, notify: (message: string) => void): Uint8Array | undefined {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = new Uint8Array(randomBytes(DEVICE_KEY_BYTES));
  try {
    // 'wx': never overwrite a key someone else just wrote; images sealed with it would be lost.
    writeFileSync(path, `${toHex(key)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  notify(`created the card device key ${path} (mode 0600): card images are sealed with it; keep it, or set ${CARD_DEVICE_KEY_ENVIRONMENT_NAME}`);
  return key;
}

function readKeyFile(path: string, notify: (message: string) => void): Uint8Array {
  const mode = statSync(path).mode;
  if ((mode & GROUP_OTHER_BITS) !== 0) notify(`warning: ${path} can be read by other users; chmod 600 it`);
  return parseKeyHex(readFileSync(path, 'utf8'), path);
}

export function loadCardDeviceKey(options: CardDeviceKeyOptions): CardDeviceKey {
  const fromEnvironment = options.env[CARD_DEVICE_KEY_ENVIRONMENT_NAME];
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    return { key: parseKeyHex(fromEnvironment, CARD_DEVICE_KEY_ENVIRONMENT_NAME), source: 'environment' };
  }
  const path = resolve(options.keyFile ?? defaultCardDeviceKeyFile(options.env));
  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    if (!options.create) {
      throw new TesseraError(
        CardDeviceKeyErrorCode.missing,
        `no card device key at ${path}: set ${CARD_DEVICE_KEY_ENVIRONMENT_NAME}, pass --device-key-file, or create cards with 'tessera card new', which makes one`,
      );
    }
    const created = createKeyFile(path, options.notify);
    if (created !== undefined) return { key: created, source: path };
  }
  return { key: readKeyFile(path, options.notify), source: path };
}
