import { createHash } from 'node:crypto';
import { toHex } from '../lib/bytes.js';

/** Bytes of the key id (docs/device.md): the same rule as the TSM's `applicationSigningKeyId`. */
const KEY_ID_BYTES = 8;

/**
 * The id of a TSM application-signing key: the first 8 bytes of SHA-256 over its
 * SubjectPublicKeyInfo, upper-case hex. The Crypto SE's ACL names App SE applications by (AID, this
 * id), so an application signed by another key is another application (README of the applet).
 */
export function applicationKeyId(publicKeySpki: Uint8Array): string {
  return toHex(createHash('sha256').update(publicKeySpki).digest().subarray(0, KEY_ID_BYTES));
}
