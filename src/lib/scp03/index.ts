/**
 * GlobalPlatform Secure Channel Protocol '03' (GP Card Specification v2.3 Amendment D, v1.1.x and
 * v1.2) as pure protocol code, shared by the virtual card (SCP03CardSession) and the TSM / CLI
 * (SCP03HostSession, openSCP03). AES-128/192/256 keysets, S8 and S16 modes, random and
 * pseudo-random card challenges, security levels 01, 03, 11, 13 and 33, logical channels 0-19.
 */

export { SCP03CardSession, SCP03_CARD_FAILURE_STATUS_WORDS } from './SCP03CardSession.js';
export type {
  SCP03CardChallengeSource,
  SCP03CardFailure,
  SCP03CardFailureReason,
  SCP03CardSessionOptions,
  SCP03CardSessionState,
  SCP03ExternalAuthenticateResult,
  SCP03InitializeUpdateContext,
  SCP03InitializeUpdateResult,
  SCP03UnwrapCommandResult,
} from './SCP03CardSession.js';

export { SCP03HostSession } from './SCP03HostSession.js';
export type { SCP03CardInformation, SCP03HostSessionOptions, SCP03HostSessionState } from './SCP03HostSession.js';
export { openSCP03 } from './openSCP03.js';
export type { APDUTransmit, SCP03Channel, SCP03OpenOptions } from './openSCP03.js';

// Building blocks, for tests against published vectors and for tools that show the steps.
export { deriveSCP03Data, SCP03DerivationConstant } from './deriveSCP03Data.js';
export { deriveSCP03SessionKeys } from './deriveSCP03SessionKeys.js';
export { computeSCP03CardCryptogram, computeSCP03HostCryptogram } from './computeSCP03Cryptograms.js';
export { generateSCP03PseudoRandomCardChallenge } from './generateSCP03PseudoRandomCardChallenge.js';
export {
  encodeSCP03InitializeUpdateResponse,
  parseSCP03InitializeUpdateResponse,
  SCP03_INS_EXTERNAL_AUTHENTICATE,
  SCP03_INS_INITIALIZE_UPDATE,
} from './initializeUpdate.js';
export type { SCP03InitializeUpdateResponse } from './initializeUpdate.js';
export { macInputCLA } from './secureMessaging.js';

// PUT KEY: AES keys under K-DEK.
export {
  computeAESKeyCheckValue,
  decodeAESKeyDataField,
  decryptKeyWithDEK,
  encodeAESKeyDataField,
  encryptKeyWithDEK,
  GP_KEY_TYPE_AES,
} from './protectKeyWithDEK.js';
export type { DecodeAESKeyDataFieldResult } from './protectKeyWithDEK.js';

export {
  decodeSCP03Parameter,
  encodeSCP03Parameter,
  isSCP03SecurityLevel,
  SCP03_SECURITY_LEVELS,
  scp03ChallengeBytes,
  SCP03SecurityLevel,
} from './types.js';
export type { SCP03Mode, SCP03Parameter, SCP03SessionKeys, SCP03StaticKeys } from './types.js';

export {
  SCP03_AID_BYTES_MAX,
  SCP03_AID_BYTES_MIN,
  SCP03_CHALLENGE_BYTES_S16,
  SCP03_CHALLENGE_BYTES_S8,
  SCP03_COMMANDS_PER_SESSION_MAX,
  SCP03_IDENTIFIER,
  SCP03_KEY_CHECK_VALUE_BYTES,
  SCP03_KEY_DIVERSIFICATION_DATA_BYTES,
  SCP03_KEYSETS_MAX,
  SCP03_LOGICAL_CHANNEL_MAX,
  SCP03_SEQUENCE_COUNTER_MAX,
} from './limits.js';
