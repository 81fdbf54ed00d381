import { KeyObject, constants, sign, verify } from 'node:crypto';
import { copyBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import { signECDSAP256, verifyECDSAP256 } from '../crypto/index.js';
import { LOAD_FILE_DATA_BLOCK_HASH_BYTES } from './loadFileDataBlockHash.js';

/**
 * Data Authentication Pattern (GP 2.3 §9 and Annex C): the signature, by a Security Domain's
 * DAP key, of the Load File Data Block Hash, carried in the DAP block ('E2' { '4F' SD AID, 'C3'
 * signature }) ahead of the load file. The message signed is the 32-byte SHA-256 hash; each
 * scheme hashes it again, as GP 2.3.1 Annex B specifies and GlobalPlatformPro implements:
 *
 * - ECDSA over P-256 with SHA-256 (GP 2.3.1 §B.4.3), the signature as raw r ‖ s, 64 bytes:
 *   the form GlobalPlatformPro sends and a card verifies without parsing DER;
 * - RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (GP 2.3.1 §B.3.2, keys above 1024
 *   bits; Tessera requires at least 2048). The PKCS#1 v1.5 / SHA-1 scheme for 1024-bit keys is
 *   not offered.
 *
 * The scheme follows from the key, a KeyObject. `verifyDAP` answers true or false for anything
 * the sender controls (no oracle); a wrong key or hash length is our bug and throws.
 */

const RSA_MODULUS_BITS_MIN = 2048;
const PSS_SALT_BYTES = 32;

type DAPScheme = 'ecdsa-p256' | 'rsa-pss';

function schemeOf(key: unknown, type: 'public' | 'private'): DAPScheme {
  if (!(key instanceof KeyObject) || key.type !== type) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected the DAP ${type} key as a ${type} KeyObject`);
  }
  if (key.asymmetricKeyType === 'ec') return 'ecdsa-p256';
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MODULUS_BITS_MIN) {
      throw new TesseraError(LibErrorCode.cryptoInput, `expected an RSA DAP key of at least ${RSA_MODULUS_BITS_MIN} bits, received ${bits}`);
    }
    return 'rsa-pss';
  }
  throw new TesseraError(LibErrorCode.cryptoInput, `expected an EC P-256 or RSA DAP key, received ${key.asymmetricKeyType ?? 'unknown'}`);
}

function requireHash(hash: unknown): Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== LOAD_FILE_DATA_BLOCK_HASH_BYTES) {
    throw new TesseraError(LibErrorCode.cryptoInput, `expected a ${LOAD_FILE_DATA_BLOCK_HASH_BYTES}-byte Load File Data Block Hash`);
  }
  return hash;
}

const PSS_OPTIONS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES } as const;

/** Signs a Load File Data Block Hash with a DAP private key (EC P-256 or RSA ≥ 2048). */
export function signDAP(hash: Uint8Array, privateKey: KeyObject): Uint8Array {
  const message = requireHash(hash);
  if (schemeOf(privateKey, 'private') === 'ecdsa-p256') return signECDSAP256(privateKey, message, 'raw');
  return new Uint8Array(sign('sha256', message, { key: privateKey, ...PSS_OPTIONS }));
}

/** True when `receivedSignature` is a valid DAP over `hash` under `publicKey`; false for any other signature. */
export function verifyDAP(hash: Uint8Array, receivedSignature: Uint8Array, publicKey: KeyObject): boolean {
  const message = requireHash(hash);
  const scheme = schemeOf(publicKey, 'public');
  if (!(receivedSignature instanceof Uint8Array)) return false;
  const signature = copyBytes(receivedSignature);
  if (scheme === 'ecdsa-p256') return verifyECDSAP256(publicKey, message, signature, 'raw');
  const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (signature.length !== modulusBytes) return false;
  try {
    return verify('sha256', message, { key: publicKey, ...PSS_OPTIONS }, signature);
  } catch {
    return false;
  }
}
