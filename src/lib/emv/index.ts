/**
 * EMV card cryptography for the issuer and the card (EMV 4.4 Book 2 §8 and Annex A1): ICC master key
 * derivation, session keys, application cryptograms (ARQC/TC/AAC), ARPC, and the ATC check. Pure
 * functions over Uint8Array on node:crypto TDEA; every check fails with a typed TesseraError code
 * (EMVErrorCode) that never carries key material. docs/emv.md describes the byte layouts and sources.
 */

// ICC master keys (Book 2 Annex A1.4) and key check values.
export { deriveICCMasterKey } from './deriveICCMasterKey.js';
export type { DeriveICCMasterKeyInput, MasterKeyDerivationOption } from './deriveICCMasterKey.js';
export { computeKeyCheckValue, KEY_CHECK_VALUE_BYTES_DEFAULT } from './computeKeyCheckValue.js';
export { setOddParity } from './setOddParity.js';

// Session keys (Book 2 Annex A1.3, §8.1.2).
export { deriveCommonSessionKey } from './deriveCommonSessionKey.js';
export { deriveSessionKey } from './deriveSessionKey.js';
export type { DeriveSessionKeyInput, SessionKeyMethod } from './deriveSessionKey.js';

// Application cryptograms (Book 2 §8.1, Annex A1.2) and the data they cover (Book 3 §5.4).
export { computeARQC } from './computeARQC.js';
export type { ComputeARQCInput } from './computeARQC.js';
export { verifyARQC } from './verifyARQC.js';
export type { VerifyARQCInput } from './verifyARQC.js';
export { buildCDOLData } from './buildCDOLData.js';
export type { TagValues } from './buildCDOLData.js';
export { AC_CARD_DATA_TAGS_DEFAULT, buildACData, RECOMMENDED_CDOL1 } from './buildACData.js';
export type { ACDataInput } from './buildACData.js';

// Issuer authentication (Book 2 §8.2).
export { computeARPC } from './computeARPC.js';
export type { ComputeARPCInput } from './computeARPC.js';
export { verifyARPC } from './verifyARPC.js';
export type { VerifyARPCInput } from './verifyARPC.js';

// The issuer's ATC check.
export { checkATC, decodeATC } from './checkATC.js';
export type { ATCCheckResult, CheckATCInput } from './checkATC.js';

// Errors and sizes.
export { ARPC_INVALID_MESSAGE, ARQC_INVALID_MESSAGE, EMVErrorCode } from './errors.js';
export {
  AC_BYTES, AC_DATA_BYTES_MAX, ARC_BYTES, ARPC_METHOD_1_BYTES, ARPC_METHOD_2_BYTES, ATC_BYTES, ATC_MAX, CSU_BYTES,
  EMV_KEY_BYTES, PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX, UNPREDICTABLE_NUMBER_BYTES,
} from './limits.js';
