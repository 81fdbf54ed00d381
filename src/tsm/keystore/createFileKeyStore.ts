import type { RandomSource } from '../../lib/crypto/index.js';
import { createVersionedKeyStore } from './createVersionedKeyStore.js';
import type { VersionedKEK } from './createVersionedKeyStore.js';
import { readKeyEncryptionKeyFile } from './keyEncryptionKeyFile.js';
import type { KeyStore } from './types.js';

export interface RetiredKeyFile {
  readonly path: string;
  readonly kekVersion: number;
}

export interface FileKeyStoreOptions {
  /** The KEK of a new key file, and every IV. */
  readonly random: RandomSource;
  /** Version byte of what this KEK seals; 1 unless given. */
  readonly kekVersion?: number;
  /**
   * During a KEK rotation: the previous key files, opened (never created) so values sealed under
   * them still open until they have been resealed under the current one.
   */
  readonly retiredKeyFiles?: readonly RetiredKeyFile[];
}

/**
 * A keystore whose key-encryption key is 32 bytes in a file: created (mode 0600) on first use,
 * refused when its mode is wider than 0600, it is owned by someone else, it is not a regular file,
 * or its size is not 32. The file is read once, here; the KEK then lives in this process only.
 */
export function createFileKeyStore(path: string, options: FileKeyStoreOptions): KeyStore {
  const version = options.kekVersion ?? 1;
  const keks: VersionedKEK[] = [{ version, kek: readKeyEncryptionKeyFile(path, { create: true, random: options.random }) }];
  for (const retired of options.retiredKeyFiles ?? []) {
    keks.push({ version: retired.kekVersion, kek: readKeyEncryptionKeyFile(retired.path, { create: false, random: options.random }) });
  }
  try {
    return createVersionedKeyStore({ keks, sealingVersion: version, random: options.random });
  } finally {
    // The store keeps its own copies.
    for (const { kek } of keks) kek.fill(0);
  }
}
