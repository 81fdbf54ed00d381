import { fromHex, toHex } from '../lib/bytes.js';
import type { SCP03StaticKeys } from '../lib/scp03/index.js';

/**
 * What the TSM needs of a key store: authenticated encryption of key material bound to where it
 * belongs. The file key store (src/tsm/keystore) implements it today; an HSM can tomorrow.
 */
export interface TsmKeyStore {
  seal(purpose: string, plaintext: Uint8Array, binding: string): Uint8Array;
  open(purpose: string, sealed: Uint8Array, binding: string): Uint8Array;
}

const KEYSET_PURPOSE = 'sd-keyset';

/** A security domain's SCP03 static keys as the TSM keeps them. */
export interface Keyset {
  readonly version: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

function binding(cin: string, aid: string, version: number): string {
  return `${cin}/${aid}/${version}`;
}

export function sealKeyset(store: TsmKeyStore, cin: string, aid: string, keyset: Keyset): Uint8Array {
  const plaintext = new TextEncoder().encode(JSON.stringify({ enc: toHex(keyset.enc), mac: toHex(keyset.mac), dek: toHex(keyset.dek) }));
  try {
    return store.seal(KEYSET_PURPOSE, plaintext, binding(cin, aid, keyset.version));
  } finally {
    plaintext.fill(0);
  }
}

export function openKeyset(store: TsmKeyStore, cin: string, aid: string, version: number, sealed: Uint8Array): Keyset {
  const plaintext = store.open(KEYSET_PURPOSE, sealed, binding(cin, aid, version));
  try {
    const parsed = JSON.parse(new TextDecoder().decode(plaintext)) as { enc: string; mac: string; dek: string };
    return { version, enc: fromHex(parsed.enc), mac: fromHex(parsed.mac), dek: fromHex(parsed.dek) };
  } finally {
    plaintext.fill(0);
  }
}

export function toStaticKeys(keyset: Keyset): SCP03StaticKeys {
  return { keyVersion: keyset.version, enc: keyset.enc, mac: keyset.mac, dek: keyset.dek };
}
