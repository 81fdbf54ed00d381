import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RandomSource } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { KeyStoreErrorCode } from './errors.js';
import { KEK_BYTES } from './limits.js';

/** The file may be readable and writable by its owner only: any group, other or execute bit is refused (as ssh does with private keys). */
const PERMISSION_BITS_REFUSED = 0o177;
const KEY_FILE_MODE = 0o600;
const KEY_DIRECTORY_MODE = 0o700;
// O_NOFOLLOW: a symbolic link planted at the key path is refused, not followed. 0 where the platform lacks it.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

function refuse(path: string, problem: string, cause?: unknown): TesseraError {
  return new TesseraError(KeyStoreErrorCode.keyFileInvalid, `key-encryption key file ${path}: ${problem}`, cause === undefined ? {} : { cause });
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Creates the key file with fresh random bytes, mode 0600, refusing to overwrite anything (O_EXCL).
 * Returns false when another process created it first. A crash mid-write leaves a short file,
 * which reading then refuses: fail closed, never a silently different KEK.
 */
function createKeyFile(path: string, random: RandomSource): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: KEY_DIRECTORY_MODE });
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, KEY_FILE_MODE);
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw refuse(path, 'cannot be created', error);
  }
  const kek = random.bytes(KEK_BYTES);
  try {
    writeSync(descriptor, kek, 0, kek.length, 0);
    fsyncSync(descriptor);
  } finally {
    kek.fill(0);
    closeSync(descriptor);
  }
  return true;
}

/** Checks the open file (fstat, not stat: no window for a swap between check and read) and reads the KEK. */
function readOpenKeyFile(path: string, descriptor: number): Uint8Array {
  const status = fstatSync(descriptor);
  if (!status.isFile()) throw refuse(path, 'is not a regular file');
  if ((status.mode & PERMISSION_BITS_REFUSED) !== 0) {
    throw refuse(path, `has mode ${(status.mode & 0o777).toString(8).padStart(4, '0')}; expected 0600 or narrower (chmod 600)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && status.uid !== uid) throw refuse(path, 'is owned by another user');
  if (status.size !== KEK_BYTES) throw refuse(path, `holds ${status.size} bytes; expected ${KEK_BYTES}`);
  const kek = new Uint8Array(KEK_BYTES);
  const read = readSync(descriptor, kek, 0, KEK_BYTES, 0);
  if (read !== KEK_BYTES) {
    kek.fill(0);
    throw refuse(path, `gave ${read} bytes; expected ${KEK_BYTES}`);
  }
  return kek;
}

/**
 * The 32-byte KEK from `path`. With `create`, a missing file is made first (mode 0600, in a 0700
 * directory if that is missing too). The caller wipes the returned bytes when done with them.
 */
export function readKeyEncryptionKeyFile(path: string, options: { readonly create: boolean; readonly random: RandomSource }): Uint8Array {
  for (let attempt = 0; attempt < 2; attempt++) {
    let descriptor: number;
    try {
      descriptor = openSync(path, constants.O_RDONLY | NO_FOLLOW);
    } catch (error) {
      if (isCode(error, 'ENOENT') && options.create && attempt === 0) {
        createKeyFile(path, options.random);
        continue;
      }
      if (isCode(error, 'ELOOP')) throw refuse(path, 'is a symbolic link', error);
      throw refuse(path, isCode(error, 'ENOENT') ? 'does not exist' : 'cannot be opened', error);
    }
    try {
      return readOpenKeyFile(path, descriptor);
    } finally {
      closeSync(descriptor);
    }
  }
  throw refuse(path, 'disappeared while being created');
}
