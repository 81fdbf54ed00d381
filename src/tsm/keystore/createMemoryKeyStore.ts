import { createSystemRandomSource } from '../../lib/crypto/index.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import { createVersionedKeyStore } from './createVersionedKeyStore.js';
import type { KeyStore } from './types.js';

export interface MemoryKeyStoreOptions {
  /** IVs come from here; the system source unless given. */
  readonly random?: RandomSource;
  /** 1 unless given. */
  readonly kekVersion?: number;
}

/** A keystore whose 32-byte KEK is given in memory: for tests and for a KEK fetched from elsewhere. */
export function createMemoryKeyStore(kek: Uint8Array, options: MemoryKeyStoreOptions = {}): KeyStore {
  const version = options.kekVersion ?? 1;
  return createVersionedKeyStore({
    keks: [{ version, kek }],
    sealingVersion: version,
    random: options.random ?? createSystemRandomSource(),
  });
}
