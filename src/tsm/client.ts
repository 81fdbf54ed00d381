/**
 * The TSM domain's public surface for the CLI (composition root) and other domains.
 */
export type { CardLink, CardLinkProvider } from './types.js';
export { startTsm, otaPath, TSM_VERSION } from './server.js';
export type { RunningTsm, TsmServerConfig, TsmServerDeps } from './server.js';
export { loadOrCreateTsmPki, issueSPCredential } from './pkiStore.js';
export type { TsmPki } from './pkiStore.js';
export { createFileKeyStore, createMemoryKeyStore } from './keystore/index.js';
export type { KeyStore } from './keystore/index.js';
export { addMnoRoute, addServiceProvider, registerSecureElement, spSecurityDomainAid } from './registry.js';
export type { SecureElementRegistration } from './registry.js';
export { TSM_SCHEMA, tsmMigrations } from './schema.js';
export type { TsmDatabase, SecurityDomainRole } from './schema.js';
export type { TsmContext } from './context.js';
export { LocalCardLinks } from './localCards.js';
export { SPClient, SPSecureChannel } from './spClient.js';
export type { Keyset } from './keys.js';
export { TsmErrorCode } from './errors.js';
// Issue 5: devices (registration as CA, signed App SE applications, credential deployment).
export {
  recordManufacturedDevice, publishApplication, deviceApplications, deployCredential, loadOrCreateApplicationSigningKey,
  applicationSigningKeyId, applicationSigningPublicKeyPEM, APPLICATION_SIGNING_KEY_FILE_NAME, DEVICE_CERTIFICATE_VALIDITY_DAYS,
} from './devices/index.js';
export type { ManufacturedDevice, PublishedApplication, DeviceApplication, ApplicationSigningKey, CredentialToDeploy, DeployedCredential } from './devices/index.js';
