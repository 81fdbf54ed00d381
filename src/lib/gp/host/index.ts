/**
 * An off-card GlobalPlatform management client (what GlobalPlatformPro's `gp` does), pure logic
 * over a transmit function: SELECT, SCP03, GET STATUS with paging and the legacy fallback, GET
 * DATA, INSTALL, LOAD, DELETE, PUT KEY, STORE DATA, SET STATUS (GP Card Specification 2.3 §11).
 */
export { GPManager } from './GPManager.js';
export type {
  APDUScriptTransmit, GPManagerOptions, GPScriptCommand, InstallRequest, LoadFileOptions, LoadFileResult, LoadRequest, OpenSecureChannelOptions,
  SecureChannelInfo, StoreDataResult,
} from './GPManager.js';
export { GPHostErrorCode } from './errors.js';
export type { CardRegistry, ManagedEntry, ManagedEntryKind, RegistryScope } from './registry.js';
export type { GetStatusFormat } from './getStatus.js';
export type { NewKeyset, PutKeyRequest, PutKeyResult } from './putKey.js';
export { SetStatusP1 } from './setStatus.js';
export type { SetStatusTarget } from './setStatus.js';
export type { StoreDataOptions } from './storeData.js';
export type { SelectResult } from './select.js';
export { GET_STATUS_PAGES_MAX, STORE_DATA_BLOCKS_MAX } from './limits.js';
/** GlobalPlatform's default Issuer Security Domain AID (the one GP tools select first). */
export const GP_DEFAULT_ISD_AID_HEX = 'A000000151000000';
