import { concatBytes } from '../bytes.js';
import { computeRetailMAC, encryptTDESECB } from '../crypto/index.js';
import { requireKey, requireLength, requireLengthInRange } from './checks.js';
import { emvInputError } from './errors.js';
import {
  AC_BYTES, ARC_BYTES, ARPC_METHOD_2_BYTES, CSU_BYTES, PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX,
} from './limits.js';

/**
 * The issuer's answer to an ARQC (EMV 4.4 Book 2 §8.2). `key` is the key A_K the scheme names: the
 * AC session key (EMV CSK cryptogram versions, M/Chip) or the ICC master key (Visa CVN 10).
 */
export type ComputeARPCInput =
  | {
    readonly method: 1;
    readonly key: Uint8Array;
    readonly arqc: Uint8Array;
    /** Authorisation Response Code, tag 8A, 2 bytes (e.g. '3030' for "00"). */
    readonly arc: Uint8Array;
  }
  | {
    readonly method: 2;
    readonly key: Uint8Array;
    readonly arqc: Uint8Array;
    /** Card Status Update, 4 bytes. */
    readonly csu: Uint8Array;
    /** Proprietary Authentication Data, 0 to 8 bytes; absent means none. */
    readonly proprietaryAuthenticationData?: Uint8Array;
  };

/**
 * ARPC method 1 (Book 2 §8.2.1): ARPC = DES3(A_K)[ARQC XOR (ARC || '00' x 6)], 8 bytes; the Issuer
 * Authentication Data (tag 91) is then ARPC || ARC.
 * ARPC method 2 (Book 2 §8.2.2): ARPC = the leftmost 4 bytes of MAC(A_K)[ARQC || CSU || Proprietary
 * Authentication Data], the MAC of Annex A1.2.1 (ISO/IEC 9797-1 MAC algorithm 3, padding method 2);
 * tag 91 is then ARPC || CSU || Proprietary Authentication Data.
 */
export function computeARPC(input: ComputeARPCInput): Uint8Array {
  requireKey(input.key, 'ARPC key');
  requireLength(input.arqc, AC_BYTES, 'ARQC');
  switch (input.method) {
    case 1: {
      requireLength(input.arc, ARC_BYTES, 'authorisation response code');
      const x = input.arqc.slice();
      for (let i = 0; i < ARC_BYTES; i++) x[i] = (x[i] as number) ^ (input.arc[i] as number);
      const arpc = encryptTDESECB(input.key, x);
      x.fill(0);
      return arpc;
    }
    case 2: {
      const proprietary = input.proprietaryAuthenticationData ?? new Uint8Array(0);
      requireLength(input.csu, CSU_BYTES, 'card status update');
      requireLengthInRange(proprietary, 0, PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX, 'proprietary authentication data');
      const mac = computeRetailMAC(input.key, concatBytes(input.arqc, input.csu, proprietary), 2);
      const arpc = mac.slice(0, ARPC_METHOD_2_BYTES);
      mac.fill(0);
      return arpc;
    }
    default:
      throw emvInputError('expected ARPC method 1 or 2');
  }
}
