import { type KeyObject, createPublicKey } from 'node:crypto';
import { LibErrorCode, TesseraError } from '../errors.js';
import { importECP256PrivateKey } from './importECP256PrivateKey.js';
import { P256_SCALAR_BYTES } from './limits.js';
import { type RandomSource } from './randomSource.js';

/** The order n of the P-256 base point (FIPS 186-5 / SP 800-186 §3.2.1.3). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** A 256-bit draw falls outside [1, n-1] with probability about 2^-32; 16 misses in a row is a broken source. */
const KEY_GENERATION_ATTEMPTS_MAX = 16;

export interface ECP256KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/**
 * Generates a P-256 key pair from the injected RandomSource, so tests can pin keys while
 * production passes the system source. The scalar is drawn by rejection sampling (FIPS 186-5
 * Appendix A.2.2): 256 random bits, kept only if they fall in [1, n-1], so d is uniform.
 */
export function generateECP256KeyPair(random: RandomSource): ECP256KeyPair {
  for (let attempt = 0; attempt < KEY_GENERATION_ATTEMPTS_MAX; attempt++) {
    const candidate = random.bytes(P256_SCALAR_BYTES);
    const value = toBigInt(candidate);
    if (value >= 1n && value < P256_ORDER) {
      const privateKey = importECP256PrivateKey(candidate);
      candidate.fill(0);
      return { privateKey, publicKey: createPublicKey(privateKey) };
    }
    candidate.fill(0);
  }
  throw new TesseraError(LibErrorCode.cryptoInput, `random source gave no valid P-256 scalar in ${KEY_GENERATION_ATTEMPTS_MAX} draws`);
}
