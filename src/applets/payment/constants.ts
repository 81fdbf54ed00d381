import { fromHex } from '../../lib/bytes.js';

/** "2PAY.SYS.DDF01": the Proximity Payment System Environment (EMV Book B §3.3). */
export const PPSE_AID = fromHex('325041592E5359532E4444463031');
/** The payment application's default instance AID: Tessera's RID, PIX "PAY" 01. */
export const PAYMENT_APPLICATION_AID = fromHex('F05445535350415901');

export const EMV_INS = {
  select: 0xa4,
  getProcessingOptions: 0xa8,
  readRecord: 0xb2,
  generateAC: 0xae,
  getData: 0xca,
} as const;

/** The Crypto SE commands the payment application sends through PERFORM CARD APDU (see its README). */
export const CRYPTO_SE_PAYMENT_INS = { generateAC: 0xae, readPaymentData: 0x76 } as const;
export const CRYPTO_SE_PAYMENT_CLA = 0x80;

/** GENERATE AC reference control parameter (P1, EMV Book 3 §6.5.5.2): the cryptogram asked for. */
export const CRYPTOGRAM_TYPE = { aac: 0x00, tc: 0x40, arqc: 0x80 } as const;
export const CRYPTOGRAM_TYPE_MASK = 0xc0;

/** The one record the application keeps (SFI 1, record 1). */
export const RECORD_SFI = 1;
export const RECORD_NUMBER = 1;

/** EMV tags the applets read or write. */
export const EMV_TAG = {
  fciTemplate: 0x6f,
  dfName: 0x84,
  fciProprietary: 0xa5,
  fciIssuerDiscretionary: 0xbf0c,
  directoryEntry: 0x61,
  adfName: 0x4f,
  applicationLabel: 0x50,
  applicationPriority: 0x87,
  languagePreference: 0x5f2d,
  pdol: 0x9f38,
  commandTemplate: 0x83,
  responseTemplate2: 0x77,
  recordTemplate: 0x70,
  aip: 0x82,
  afl: 0x94,
  track2: 0x57,
  pan: 0x5a,
  expiry: 0x5f24,
  panSequenceNumber: 0x5f34,
  cardholderName: 0x5f20,
  cdol1: 0x8c,
  cryptogramInformationData: 0x9f27,
  atc: 0x9f36,
  applicationCryptogram: 0x9f26,
  issuerApplicationData: 0x9f10,
} as const;

/** Personalization tags of the payment application (README.md "Personalization"). */
export const PAYMENT_PERSONALIZATION_TAG = {
  credentialSlot: 0xdf01,
  callerKeyId: 0xdf02,
  cvm: 0xdf03,
} as const;

/** Defaults, each overridable by personalization. */
export const DEFAULT_AIP = fromHex('1880');
export const DEFAULT_AFL = fromHex('08010100');
/** CDOL1: amount, other amount, terminal country, TVR, currency, date, type, unpredictable number (29 bytes). */
export const DEFAULT_CDOL1 = fromHex('9F02069F03069F1A0295055F2A029A039C019F3704');
export const DEFAULT_APPLICATION_LABEL = 'TESSERA PAY';
/** Service code 201: international, IC, normal authorization, no restrictions (ISO/IEC 7813). */
export const TRACK2_SERVICE_CODE = '201';

/** Lengths and limits. */
export const PDOL_DATA_BYTES_MAX = 64;
export const PPSE_ENTRIES_MAX = 8;
export const LABEL_BYTES_MAX = 16;
