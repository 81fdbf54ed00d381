import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../lib/bytes.js';

/**
 * The TSM's application-signing key: it signs the DAP of every App SE load file (GP 2.3.1 Annex C,
 * ECDSA P-256). One purpose only: the root CA key signs certificates and credential packages, this
 * one signs applications. Kept beside the PKI as a 0600 PKCS#8 PEM file.
 */
export const APPLICATION_SIGNING_KEY_FILE_NAME = 'application-signing.key.pem';
/** Bytes of SHA-256(SubjectPublicKeyInfo) that name the key in ACLs (the Crypto SE's `C1` key id). */
export const APPLICATION_SIGNING_KEY_ID_BYTES = 8;

export interface ApplicationSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER: what a DAP-verifying security domain stores (STORE DATA `DF70`). */
  readonly publicKeySpki: Uint8Array;
  /** Upper-case hex of the first 8 bytes of SHA-256 over the SPKI. */
  readonly keyId: string;
}

export function applicationSigningKeyId(publicKeySpki: Uint8Array): string {
  return toHex(createHash('sha256').update(publicKeySpki).digest().subarray(0, APPLICATION_SIGNING_KEY_ID_BYTES));
}

function fromPrivateKey(privateKey: KeyObject): ApplicationSigningKey {
  const publicKey = createPublicKey(privateKey);
  const publicKeySpki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return { privateKey, publicKey, publicKeySpki, keyId: applicationSigningKeyId(publicKeySpki) };
}

/** Loads the key from `directory`, making it on first use (O_EXCL: never overwrites a key). */
export function loadOrCreateApplicationSigningKey(directory: string): ApplicationSigningKey {
  const path = join(directory, APPLICATION_SIGNING_KEY_FILE_NAME);
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const text = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return fromPrivateKey(createPrivateKey(readFileSync(path, 'utf8')));
}

/** The public half as a PEM for the device maker (it personalizes the App SE's DAP domain with it). */
export function applicationSigningPublicKeyPEM(key: ApplicationSigningKey): string {
  return key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
}
