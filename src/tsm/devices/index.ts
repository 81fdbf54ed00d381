/** The TSM's device side (issue 5): registration as CA, the signed-application catalogue, credential deployment, PIN unblock. */
export { recordManufacturedDevice } from './manufacturedDevice.js';
export type { ManufacturedDevice } from './manufacturedDevice.js';
export { registerDevice, DEVICE_CERTIFICATE_VALIDITY_DAYS } from './registerDevice.js';
export type { DeviceRegistration } from './registerDevice.js';
export { certificationRequestFacts } from './certificationRequestFacts.js';
export { publishApplication, deviceApplications, installDeviceUpdates } from './catalogue.js';
export type { PublishedApplication, DeviceApplication, UpdateOutcome } from './catalogue.js';
export { deployCredential, credentialPackagesFor } from './credentials.js';
export type { CredentialToDeploy, DeployedCredential, CredentialPackage } from './credentials.js';
export {
  applicationSigningKeyId, applicationSigningPublicKeyPEM, loadOrCreateApplicationSigningKey, APPLICATION_SIGNING_KEY_FILE_NAME,
} from './applicationSigningKey.js';
export type { ApplicationSigningKey } from './applicationSigningKey.js';
export { approvePINUnblock, PIN_UNBLOCK_APPROVAL_VALIDITY_MS, PIN_UNBLOCK_APPROVALS_LIVE_MAX } from './approvePINUnblock.js';
export type { PINUnblockApproval, PINUnblockApprovalRequest } from './approvePINUnblock.js';
export { signPINUnblock, PIN_UNBLOCK_CHALLENGE_BYTES } from './signPINUnblock.js';
export type { PINUnblockSignature } from './signPINUnblock.js';
export { PINUnblockErrorCode } from './errors.js';
export { registerDeviceRoutes, registerDeviceSPRoutes } from './routes.js';
export { certifiedKey } from './verifyDeviceRequest.js';
