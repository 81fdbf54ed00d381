/**
 * The device domain's public surface (README.md): manufacture and open a device, its TSM client,
 * and the constants the CLI and tests need. Everything else in src/device is internal.
 */
export { createDevice } from './manufacture.js';
export type { CreateDeviceOptions, ManufactureRecord, TsmTrust } from './manufacture.js';
export { openDevice, Device } from './device.js';
export type { OpenDeviceOptions, OTAAgentRunner, PaymentReportFlush } from './device.js';
export type { PendingPaymentReport } from './paymentReports.js';
export { DeviceTsmClient, DEVICE_TSM_TIMEOUT_MS } from './tsmClient.js';
export type { DeviceTsmClientOptions, PaymentReportAnswer, PINUnblockAnswer, RegistrationAnswer, TsmRequestSigner, UpdatesAnswer } from './tsmClient.js';
export { AppSE } from './appSE.js';
export { applicationKeyId } from './applicationKeyId.js';
export { DeviceErrorCode } from './errors.js';
export {
  APP_SE_IMAGE_NAME, APPLICATIONS_SD_AID, CRYPTO_SE_AID, CRYPTO_SE_IMAGE_NAME, DEVICE_FILE_NAME, PAYMENT_APPLICATION_AID, PAYMENT_REPORTS_FILE_NAME,
  PAYMENT_REPORTS_PENDING_MAX, PRELOADED_CREDENTIAL_SLOT,
} from './constants.js';
export { encodeCertificationRequest, encodeCertificationRequestInfo } from './certificationRequest.js';
export { SMS_TEXT_CHARACTERS_MAX } from './peripherals/radios.js';
export type * from './types.js';
