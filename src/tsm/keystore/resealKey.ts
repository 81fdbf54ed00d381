import type { KeyStore } from './types.js';

/**
 * Opens a sealed value (under whichever KEK version it names) and seals it again under the store's
 * current KEK: one row's step of a KEK rotation. The plaintext is wiped before returning.
 */
export function resealKey(store: KeyStore, purpose: string, sealed: Uint8Array, binding: string): Uint8Array {
  const plaintext = store.open(purpose, sealed, binding);
  try {
    return store.seal(purpose, plaintext, binding);
  } finally {
    plaintext.fill(0);
  }
}
