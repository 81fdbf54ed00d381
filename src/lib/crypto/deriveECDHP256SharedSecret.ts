import { diffieHellman, type KeyObject } from 'node:crypto';
import { requireECP256Key } from './ecP256Keys.js';
import { toBytes } from './toBytes.js';

/**
 * The ECC CDH primitive of SP 800-56A Rev. 3 §5.7.1.2 on P-256: Z = x-coordinate of d_A * Q_B,
 * 32 bytes. P-256's cofactor is 1, so CDH equals plain ECDH here. The peer's point was validated
 * when it was imported (`importECP256PublicKey`). Z is a shared secret, not a key: derive keys from
 * it with a KDF (SP 800-56C), never use it directly.
 */
export function deriveECDHP256SharedSecret(privateKey: KeyObject, peerPublicKey: KeyObject): Uint8Array {
  requireECP256Key(privateKey, 'private', 'own private key');
  requireECP256Key(peerPublicKey, 'public', 'peer public key');
  return toBytes(diffieHellman({ privateKey, publicKey: peerPublicKey }));
}
