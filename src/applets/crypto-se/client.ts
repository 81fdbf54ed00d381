/**
 * The Crypto SE applet's public surface (README.md is its interface specification): the firmware
 * factory and class name for the card's composition root, the APDU constants, and the host-side
 * helpers the device, its peripherals and the TSM use to talk to it. Nothing else in this folder
 * is for other domains.
 */
export { createCryptoSEApplet } from './cryptoSEApplet.js';
export {
  ACL_OPERATION, BIOMETRIC_FEATURES_BYTES, BLOCK_LAST, CERTIFICATE_BYTES_MAX, CERTIFICATE_READ_CHUNK_BYTES, CERTIFICATE_SLOT_MAX,
  CREDENTIAL_ORIGIN, CREDENTIAL_SLOT_MAX, CREDENTIAL_SLOT_MIN, CRYPTO_SE_CLA, CRYPTO_SE_FIRMWARE_CLASS, CRYPTO_SE_INS, CRYPTO_SE_TAG,
  DEVICE_CERTIFICATE_SLOT, DEVICE_KEY_SLOT, ENROL_SIMILARITY_MIN_PERCENT, FINGER_SLOT_MAX, FINGER_SLOT_MIN, MATCH_SIMILARITY_MIN_PERCENT,
  OPTION, OPTION_DEFAULTS, PAIRING_KEY_BYTES, PAYMENT_CVM, PERSONALIZATION_TAG, PIN_TRY_LIMIT_DEFAULT, PRELOADED_KEY_SLOT_MAX,
  PRELOADED_KEY_SLOT_MIN, ROOT_CA_CERTIFICATE_SLOT, SIGN_PURPOSE, STATUS_FLAG, TUNNEL_SOURCE, VERIFICATION_METHOD, VERIFICATION_VALIDITY_MS,
  BIOMETRIC_TRY_LIMIT_DEFAULT, UNBLOCK_LABEL, CREDENTIAL_PACKAGE_LABEL, APPLICATION_SIGNATURE_LABEL, PAYMENT_ATTESTATION_LABEL,
  PAYMENT_ATTESTATION_RECORD_BYTES, PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX, PAYMENT_ATTESTATION_VERSION, TSM_REQUEST_DIGEST_BYTES, TSM_REQUEST_LABEL,
} from './constants.js';
export type { ACLOperationName, TunnelSourceName } from './constants.js';
export { CryptoSEErrorCode } from './errors.js';

// Peripherals: the tunnel and the modelled fingerprint sensor.
export { sealTunnelInput, tunnelBlobHeader } from './tunnel.js';
export { createModelFinger, presentModelFinger, MODEL_NOISE_SD_MAX, MODEL_NOISE_SD_MIN } from './fingerprintModel.js';

// Host: command builders and response parsers.
export {
  authorizePaymentCommand, beginRegistrationCommand, changePINCommand, deleteCredentialCommand, encodeAmountField, encodeCurrencyField,
  encodeKeypadInput, enrolFingerCommand, generateKeyCommand, getChallengeCommand, getDataCommand, getPaymentAttestationCommand, getPublicKeyCommand,
  keyInCardNumberCommand,
  readCertificate, readCertificateCommand, readMaskedPANCommand, signCommands, signTsmRequestCommand, storeCertificateCommands, storeCredentialPackageCommand,
  unblockPINCommand, verifyBiometricCommand, verifyPINCommand,
} from './hostCommands.js';
export type { AuthorizePaymentRequest, CallerIdentity, KeypadInput } from './hostCommands.js';
export { parseStatus } from './statusTemplate.js';
export type { CryptoSEStatus } from './statusTemplate.js';
export { registrationCounterText, applicationSignatureMessage } from './keys.js';
export { unblockMessage } from './pin.js';

// TSM and factory: personalization data, credential packages.
export { encodePersonalization, PERSONALIZATION_BLOCK_BYTES_MAX } from './personalizationData.js';
export type { CryptoSEPersonalization } from './personalizationData.js';
export { sealCredentialPackage } from './credentialPackage.js';
export type { CredentialPackageInput } from './credentialPackage.js';

// Payment recipient: the signed payment record.
export { openPaymentCredential, parsePaymentAuthorization, verifyPaymentAuthorization } from './paymentAuthorization.js';
export type { PaymentAuthorization } from './paymentAuthorization.js';

// Fraud feed (TSM): the payment attestation record GENERATE AC signs.
export {
  decodePaymentAttestationRecord, encodePaymentAttestationRecord, parsePaymentAttestation, paymentAttestationMessage, verifyPaymentAttestation,
} from './paymentAttestationRecord.js';
export type { PaymentAttestation, PaymentAttestationFields } from './paymentAttestationRecord.js';

// Device and TSM: the signed requests of the TSM's device API (SIGN TSM REQUEST).
export {
  canonicalTsmRequest, encodeTsmRequestSignatureHeader, parseTsmRequestSignatureHeader, tsmRequestDigest, tsmRequestMessage, verifyTsmRequestSignature,
  TSM_REQUEST_CANONICAL_VERSION, TSM_REQUEST_NONCE_BYTES, TSM_REQUEST_SIGNATURE_HEADER, TSM_REQUEST_SIGNATURE_HEADER_CHARACTERS_MAX,
} from './tsmRequestSignature.js';
export type { TsmRequestFields, TsmRequestSignature } from './tsmRequestSignature.js';
