/**
 * GlobalPlatform Card Specification v2.3.1 data formats as pure codecs: what a host (TSM, CLI)
 * builds and a card parses, and what a card builds and a host parses. No I/O; errors are
 * TesseraErrors whose `details.statusWord` is the status word a card answers with.
 */

export {
  ApplicationLifeCycleState, CardLifeCycleState, DeleteP1, DeleteP2, ExecutableLoadFileLifeCycleState, GetDataTag,
  GetStatusP1, GetStatusP2, GP_CLA, GP_CLA_SECURE_MESSAGING, GPInstruction, GPTag, InstallP1, KeyType, LoadP1, PutKeyP1,
  PutKeyP2, SecurityDomainLifeCycleState,
} from './constants.js';
export {
  AID_BYTES_MAX, AID_BYTES_MIN, CPLC_BYTES, DAP_BLOCKS_MAX, DAP_SIGNATURE_BYTES_MAX, GET_STATUS_RESPONSE_BYTES_MAX,
  INSTALL_FIELD_BYTES_MAX, LOAD_BLOCKS_MAX, LOAD_BLOCK_BYTES_MAX, LOAD_BYTES_MAX, LOAD_FILE_DATA_BLOCK_HASH_BYTES_MAX,
  PUT_KEY_KEYS_MAX, REGISTRY_ENTRIES_MAX,
} from './limits.js';

// Privileges and life cycles.
export {
  canonicalPrivileges, checkPrivilegeCombination, decodePrivileges, encodePrivileges, isPrivilegeName, PRIVILEGE_NAMES,
} from './privileges.js';
export type { PrivilegeName } from './privileges.js';
export { isLockedLifeCycleState, lifeCycleStateName } from './lifeCycle.js';
export type { RegistryEntryKind } from './lifeCycle.js';

// INSTALL.
export { decodeInstallCommand, encodeInstallCommand } from './installCommand.js';
export type { EncodedInstallCommand, InstallCommandData } from './installCommand.js';
export { decodeInstallForLoad, encodeInstallForLoad } from './installForLoad.js';
export type { InstallForLoad } from './installForLoad.js';
export { decodeInstallForInstall, encodeInstallForInstall } from './installForInstall.js';
export type { InstallForInstall } from './installForInstall.js';
export { decodeInstallForMakeSelectable, encodeInstallForMakeSelectable } from './installForMakeSelectable.js';
export type { InstallForMakeSelectable } from './installForMakeSelectable.js';
export { decodeInstallForExtradition, encodeInstallForExtradition } from './installForExtradition.js';
export type { InstallForExtradition } from './installForExtradition.js';
export { decodeInstallForRegistryUpdate, encodeInstallForRegistryUpdate } from './installForRegistryUpdate.js';
export type { InstallForRegistryUpdate } from './installForRegistryUpdate.js';
export { decodeInstallForPersonalization, encodeInstallForPersonalization } from './installForPersonalization.js';
export type { InstallForPersonalization } from './installForPersonalization.js';
export type { PrivilegesLength } from './installFields.js';
export { decodeInstallParameters, encodeInstallParameters } from './installParameters.js';
export type { InstallParameters, SystemSpecificParameters } from './installParameters.js';

// LOAD.
export { decodeLoadData, encodeLoadData, splitLoadData } from './loadCommand.js';
export type { DAPBlock, LoadCommandBlock, LoadData } from './loadCommand.js';
export { acceptLoadBlock, LOAD_NOT_STARTED } from './loadReassembly.js';
export type { LoadProgress, LoadReassemblyOptions, LoadStep } from './loadReassembly.js';

// DELETE.
export { decodeDeleteCommandData, DELETE_RESPONSE_WITHOUT_RECEIPT, encodeDeleteCommandData } from './deleteCommand.js';
export type { DeleteCardContent, DeleteCommandData, DeleteKey } from './deleteCommand.js';

// GET STATUS.
export {
  aidMatchesSearchQualifier, decodeGetStatusCriteria, decodeTagList, encodeGetStatusCriteria, encodeTagList,
} from './getStatusCriteria.js';
export type { GetStatusCriteria } from './getStatusCriteria.js';
export {
  decodeRegistryEntries, encodeRegistryEntries, encodeRegistryEntry, paginateRegistryEntries,
} from './registryEntry.js';
export type { RegistryEntry } from './registryEntry.js';
export { decodeLegacyRegistryEntries, encodeLegacyRegistryEntries } from './legacyRegistryEntry.js';
export type { LegacyRegistryEntry } from './legacyRegistryEntry.js';

// PUT KEY and key information.
export {
  decodeAESKeyData, decodePutKeyData, decodePutKeyResponse, encodeAESKeyData, encodePutKeyData, encodePutKeyResponse,
  putKeyP1, putKeyP2,
} from './putKey.js';
export type { AESKeyData, PutKeyComponent, PutKeyData, PutKeyResponse } from './putKey.js';
export { decodeKeyInformation, decodeKeyInformationTemplate, encodeKeyInformationTemplate } from './keyInformation.js';
export type { KeyComponentInformation, KeyInformation } from './keyInformation.js';

// GET DATA objects.
export { decodeGetDataResponse, encodeGetDataResponse, getDataParameters, getDataTagOf } from './getData.js';
export {
  decodeCPLC, decodeCPLCDate, decodeCPLCResponse, encodeCPLC, encodeCPLCDate, encodeCPLCResponse,
} from './cplc.js';
export type { CPLC, CPLCDate } from './cplc.js';
export { decodeCardData, decodeCardRecognitionData, encodeCardData, encodeCardRecognitionData } from './cardRecognitionData.js';
export type { CardRecognitionData, SecureChannelProtocolInformation } from './cardRecognitionData.js';
export {
  decodeObjectIdentifier, encodeObjectIdentifier, objectIdentifierFromString, objectIdentifierToString,
} from './objectIdentifier.js';

// Tessera load files and DAP.
export {
  decodeLoadFile, DEFAULT_INSTALL_PARAMETERS_BYTES_MAX, encodeLoadFile, FIRMWARE_CLASS_BYTES_MAX, LOAD_FILE_BYTES_MAX,
  LOAD_FILE_FORMAT_VERSION, LOAD_FILE_MODULES_MAX, LoadFileTag,
} from './tesseraLoadFile.js';
export type { LoadFile, LoadFileModule } from './tesseraLoadFile.js';
export { LOAD_FILE_DATA_BLOCK_HASH_BYTES, loadFileDataBlockHash } from './loadFileDataBlockHash.js';
export { signDAP, verifyDAP } from './dap.js';
