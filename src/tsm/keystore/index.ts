export type { KeyStore } from './types.js';
export { KeyStoreErrorCode } from './errors.js';
export { createFileKeyStore } from './createFileKeyStore.js';
export type { FileKeyStoreOptions, RetiredKeyFile } from './createFileKeyStore.js';
export { createMemoryKeyStore } from './createMemoryKeyStore.js';
export type { MemoryKeyStoreOptions } from './createMemoryKeyStore.js';
export { createVersionedKeyStore } from './createVersionedKeyStore.js';
export type { VersionedKEK, VersionedKeyStoreOptions } from './createVersionedKeyStore.js';
export { resealKey } from './resealKey.js';
export { SEALED_BYTES_MAX, SEALED_BYTES_MIN, kekVersionOf } from './sealedFormat.js';
export {
  BINDING_CHARACTERS_MAX,
  KEK_BYTES,
  KEK_VERSIONS_MAX,
  KEK_VERSION_MAX,
  KEK_VERSION_MIN,
  KEYSTORE_PLAINTEXT_BYTES_MAX,
  PURPOSE_CHARACTERS_MAX,
} from './limits.js';
