/**
 * The Crypto SE applet's public numbers: firmware class, instruction codes, data object tags,
 * limits and signature labels. Shared by the applet and by the host-side helpers in client.ts, so
 * both sides of the APDU interface read one definition (README.md describes every command).
 */

import { utf8 } from '../../lib/bytes.js';

/** The firmware class a load-file module names to get this applet (docs/load-file-format.md). */
export const CRYPTO_SE_FIRMWARE_CLASS = 'tessera.crypto-se';

/** Every command uses the proprietary class '80' (logical channel bits b1-b2 may be set). */
export const CRYPTO_SE_CLA = 0x80;

/**
 * Instruction codes. Where ISO/IEC 7816-4 §11 defines a command with the same meaning (VERIFY,
 * CHANGE REFERENCE DATA, RESET RETRY COUNTER, GET CHALLENGE, GET DATA, PERFORM SECURITY
 * OPERATION, GENERATE ASYMMETRIC KEY PAIR) its INS is kept, but with CLA '80': the data fields are
 * Tessera's own (tunnel blobs, BER-TLV templates), not the interindustry ones. '6X' and '9X' are
 * not valid INS values (ISO/IEC 7816-4 §5.4.2), hence the gaps.
 */
export const CRYPTO_SE_INS = {
  verifyPIN: 0x20,
  verifyBiometric: 0x21,
  changePIN: 0x24,
  unblockPIN: 0x2c,
  sign: 0x2a,
  enrolFinger: 0x30,
  generateKey: 0x46,
  getPublicKey: 0x48,
  beginRegistration: 0x50,
  storeCertificate: 0x52,
  readCertificate: 0x54,
  storeCredentialPackage: 0x56,
  keyInCardNumber: 0x58,
  readMaskedPAN: 0x5a,
  authorizePayment: 0x5c,
  deleteCredential: 0x5e,
  generateAC: 0xae,
  readPaymentData: 0x76,
  /** The host reads the payment attestation the last GENERATE AC of this session produced (README.md "Payment attestation"). */
  getPaymentAttestation: 0x78,
  /** The host has the device key sign a request to the TSM's device API (README.md "SIGN TSM REQUEST"). */
  signTsmRequest: 0x7a,
  getChallenge: 0x84,
  getData: 0xca,
} as const;

/** BER-TLV tags of command and response data (private class unless EMV defines the object). */
export const CRYPTO_SE_TAG = {
  /** EMV card engine: ICC master key for application cryptograms (16 bytes) and PAN sequence number (n2). */
  iccMasterKey: 0xdf21,
  panSequenceNumber: 0x5f34,
  /** GENERATE AC: the reader's CDOL1 data, the cryptogram type asked for ('00' AAC, '80' ARQC), the AIP. */
  cryptogramData: 0xc2,
  cryptogramType: 0xc3,
  applicationInterchangeProfile: 0x82,
  /** GET PAYMENT ATTESTATION answer: the fixed 26-byte record ('9E' carries the signature). */
  attestationRecord: 0xc1,
  /** Caller template: which App SE application asks (AID + the TSM key it was signed with). */
  caller: 0xe1,
  callerAID: 0x4f,
  callerKeyId: 0xc1,

  /** SIGN: a part of the data to be signed; block 0 may also carry the caller and the key slot. */
  toBeSigned: 0xc1,
  keySlot: 0xc3,

  /** ENROL FINGER: the two sensor blobs. */
  firstSample: 0xc1,
  secondSample: 0xc2,

  /** RESET RETRY COUNTER: the TSM's signature over the challenge; optional keypad blob with a new PIN. */
  signature: 0x9e,
  keypadBlob: 0xc8,

  /** Credential package (README.md "Credential package"). */
  packageCounter: 0xc1,
  packageSlot: 0xc2,
  packageCiphertext: 0xc3,

  /** Payment credential plaintext: EMV PAN (cn) and expiry (n6 YYMMDD), Tessera's CVV (ASCII digits). */
  pan: 0x5a,
  expiry: 0x5f24,
  cvv: 0xdf20,

  /** AUTHORIZE PAYMENT command and record; the EMV tags keep their EMV 4.4 Book 3 Annex A meaning. */
  credentialSlot: 0xc1,
  amountAuthorized: 0x9f02,
  currencyCode: 0x5f2a,
  unpredictableNumber: 0x9f37,
  paymentRecord: 0xf0,
  transactionCounter: 0xc4,
  cardTime: 0xc5,
  panLastFour: 0xc6,
  encryptedCredential: 0xc7,

  /** Keypad tunnel plaintext fields. */
  keypadPIN: 0x81,
  keypadNewPIN: 0x82,
  keypadPAN: 0x83,
  keypadExpiry: 0x84,
  keypadCVV: 0x85,

  /** GET DATA objects (P1-P2 = the tag). */
  status: 0xbf40,
  transactionCounterObject: 0xdf41,
  clockObject: 0xdf42,
  registrationCounterObject: 0xdf43,
  credentialCounterObject: 0xdf44,

  /** Children of the status template BF40. */
  statusPINTries: 0xc1,
  statusBiometricTries: 0xc2,
  statusFingers: 0xc3,
  statusFlags: 0xc4,
  statusVerified: 0xc5,
  statusCredentials: 0xc6,
} as const;

/** Personalization data objects (STORE DATA after INSTALL [for personalization], GP 2.3 §11.11). */
export const PERSONALIZATION_TAG = {
  pin: 0xdf01,
  pinTryLimit: 0xdf02,
  tsmPublicKey: 0xdf03,
  keypadPairingKey: 0xdf04,
  sensorPairingKey: 0xdf05,
  paymentRecipientPublicKey: 0xdf06,
  options: 0xdf07,
  biometricTryLimit: 0xdf08,
  aclEntry: 0xe2,
  preloadedKey: 0xe3,
  certificateChunk: 0xe4,
  preloadedCredential: 0xe5,
  /** Children of the templates above. */
  slot: 0xc1,
  scalar: 0xc2,
  operations: 0xc2,
  offset: 0xc2,
  chunk: 0xc3,
  aclAID: 0x4f,
  aclKeyId: 0xc1,
} as const;

/** Operations an ACL entry may grant (bits of its 'C2' byte). */
export const ACL_OPERATION = {
  authorizePayment: 0x01,
  readMaskedPAN: 0x02,
  sign: 0x04,
} as const;
export type ACLOperationName = keyof typeof ACL_OPERATION;

/** Personalization option bits ('DF07'). Absent: OPTION_DEFAULTS. */
export const OPTION = {
  /** SIGN (both purposes) needs a user verification (PIN or biometric) in the session. */
  signRequiresUserVerification: 0x01,
} as const;
export const OPTION_DEFAULTS = OPTION.signRequiresUserVerification;

/** Where the tunnelled input comes from: the first byte of a tunnel blob. */
export const TUNNEL_SOURCE = { keypad: 0x01, sensor: 0x02 } as const;
export type TunnelSourceName = keyof typeof TUNNEL_SOURCE;

/** SIGN P1. */
export const SIGN_PURPOSE = {
  /** An App SE application's signature: ACL 'sign', domain-separated message (README.md). */
  application: 0x00,
  /** The device's own PKCS#10 CertificationRequestInfo during registration. */
  certificationRequest: 0x01,
} as const;

/** AUTHORIZE PAYMENT P1: which user verification the payment needs (seed 000: PIN for debit). */
export const PAYMENT_CVM = { either: 0x00, pin: 0x01, biometric: 0x02, pinAndBiometric: 0x03 } as const;

/** Where a stored credential came from (status 'C6'). */
export const CREDENTIAL_ORIGIN = { preloaded: 0x01, overTheAir: 0x02, keyedIn: 0x03 } as const;

/** Verification methods (bits of the session's verification record and of status 'C5'). */
export const VERIFICATION_METHOD = { pin: 0x01, biometric: 0x02 } as const;

/** Status flags (status 'C4'). */
export const STATUS_FLAG = {
  pinSet: 0x01,
  deviceKeyPresent: 0x02,
  registered: 0x04,
  tsmKeyPresent: 0x08,
  keypadPaired: 0x10,
  sensorPaired: 0x20,
  paymentRecipientPresent: 0x40,
} as const;

/** P2 of the block-wise commands (SIGN, STORE CERTIFICATE): b8 last block, b1-b7 the block number. */
export const BLOCK_LAST = 0x80;
export const BLOCK_NUMBER_MASK = 0x7f;

// --- Key and slot numbers ---------------------------------------------------------------------

/** The on-card device (enrolment) key: the only key SIGN uses, and the ECIES recipient key. */
export const DEVICE_KEY_SLOT = 0x01;
/** Preloaded key pairs (personalization 'E3'). */
export const PRELOADED_KEY_SLOT_MIN = 0x10;
export const PRELOADED_KEY_SLOT_MAX = 0x1f;
/** Certificate store: 00 TSM root CA (personalization only), 01 device certificate, 02-07 others. */
export const ROOT_CA_CERTIFICATE_SLOT = 0x00;
export const DEVICE_CERTIFICATE_SLOT = 0x01;
export const CERTIFICATE_SLOT_MAX = 0x07;
/** Payment credentials. */
export const CREDENTIAL_SLOT_MIN = 1;
export const CREDENTIAL_SLOT_MAX = 4;
/** Finger templates. */
export const FINGER_SLOT_MIN = 1;
export const FINGER_SLOT_MAX = 5;

// --- Limits (TIGER_STYLE: a limit on everything, unit last) -------------------------------------

export const PIN_DIGITS_MIN = 4;
export const PIN_DIGITS_MAX = 12;
/** ISO/IEC 7816-4 §11.5.6: 63CX carries at most 15 tries. */
export const PIN_TRY_LIMIT_MAX = 15;
export const PIN_TRY_LIMIT_DEFAULT = 3;
export const BIOMETRIC_TRY_LIMIT_DEFAULT = 5;
/** A user verification is good for one authorization, and for this long at most (card clock). */
export const VERIFICATION_VALIDITY_MS = 60_000;
/** The modelled sensor's feature vector: 64 signed bytes. */
export const BIOMETRIC_FEATURES_BYTES = 64;
/**
 * Match and enrolment thresholds on cosine similarity, in hundredths (integer arithmetic on the
 * card). README.md "Biometrics" gives the measured false-accept and false-reject rates.
 */
export const MATCH_SIMILARITY_MIN_PERCENT = 70;
export const ENROL_SIMILARITY_MIN_PERCENT = 70;
export const ACL_ENTRIES_MAX = 16;
export const CALLER_KEY_ID_BYTES_MAX = 32;
export const AID_BYTES_MIN = 5;
export const AID_BYTES_MAX = 16;
export const PAIRING_KEY_BYTES = 32;
export const TUNNEL_COUNTER_BYTES = 8;
/** Tunnel plaintext: a sensor vector or a few keypad fields. */
export const TUNNEL_INPUT_BYTES_MAX = 128;
export const CHALLENGE_BYTES = 16;
export const SESSION_ID_BYTES = 8;
export const COUNTER_BYTES = 8;
export const CERTIFICATE_BYTES_MAX = 2048;
/** READ CERTIFICATE answers at most this many bytes per command (fits a short response). */
export const CERTIFICATE_READ_CHUNK_BYTES = 240;
export const TO_BE_SIGNED_BYTES_MAX = 1024;
/** Block numbers of SIGN and STORE CERTIFICATE run 0..BLOCKS_MAX-1. */
export const BLOCKS_MAX = 16;
export const CVV_DIGITS_MIN = 3;
export const CVV_DIGITS_MAX = 4;
export const UNPREDICTABLE_NUMBER_BYTES = 4;
/** Payment attestation record (README.md "Payment attestation"): version 1, 26 bytes. */
export const PAYMENT_ATTESTATION_VERSION = 0x01;
export const PAYMENT_ATTESTATION_RECORD_BYTES = 26;
/** A DER ECDSA P-256 signature is at most 72 bytes (two 33-byte INTEGERs and their headers). */
export const PAYMENT_ATTESTATION_SIGNATURE_BYTES_MAX = 72;
/** SIGN TSM REQUEST takes exactly a SHA-256 digest of the canonical request. */
export const TSM_REQUEST_DIGEST_BYTES = 32;

// --- Signature and key-derivation labels (domain separation) -----------------------------------

/** The TSM signs UNBLOCK_LABEL ‖ challenge to unblock the PIN. */
export const UNBLOCK_LABEL = utf8('tessera.crypto-se/unblock-pin/v1');
/** The TSM signs CREDENTIAL_PACKAGE_LABEL ‖ the package's C1 C2 C3 data objects. */
export const CREDENTIAL_PACKAGE_LABEL = utf8('tessera.crypto-se/credential-package/v1');
/** An App SE application's signature covers APPLICATION_SIGNATURE_LABEL ‖ len(AID) ‖ AID ‖ data. */
export const APPLICATION_SIGNATURE_LABEL = utf8('tessera.crypto-se/application-signature/v1');
/** The device key signs PAYMENT_ATTESTATION_LABEL ‖ the 26-byte payment attestation record (the fraud feed). */
export const PAYMENT_ATTESTATION_LABEL = utf8('tessera.crypto-se/payment-attestation/v1');
/** The device key signs TSM_REQUEST_LABEL ‖ SHA-256(canonical request) to authenticate a call to the TSM's device API. */
export const TSM_REQUEST_LABEL = utf8('tessera.crypto-se/tsm-request/v1');
/** ECIES KDF info strings. */
export const ECIES_CREDENTIAL_INFO = utf8('tessera.crypto-se/ecies/credential/v1');
export const ECIES_PAYMENT_INFO = utf8('tessera.crypto-se/ecies/payment/v1');
