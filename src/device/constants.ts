import { TESSERA_RID } from '../card/client.js';

/** The Crypto SE package, module and instance on the embedded SE (Tessera's RID, as the applet's tests use). */
export const CRYPTO_SE_PACKAGE_AID = 'F054455353C501';
export const CRYPTO_SE_MODULE_AID = 'F054455353C50101';
export const CRYPTO_SE_AID = 'F054455353C5010101';
/**
 * The App SE's applications domain: a supplementary security domain with the DAP Verification
 * privilege, personalized at manufacture with the TSM's application-signing key (STORE DATA
 * `DF70`). Every load file the TSM puts on the App SE is associated with it, so the card verifies
 * the TSM's DAP before the load completes (GP 2.3.1 §9.2.3).
 */
export const APPLICATIONS_SD_AID = `${TESSERA_RID}000010`;
/** The wallet's payment application on the App SE: the one App SE application the factory ACL names. */
export const PAYMENT_APPLICATION_AID = `${TESSERA_RID}504110`;
/** Where the preloaded payment credential sits in the Crypto SE. */
export const PRELOADED_CREDENTIAL_SLOT = 1;
/** The key slot of the preloaded key pair (seed 000: "preloaded ECC key pairs"). */
export const PRELOADED_KEY_SLOT = 0x10;
/** SCP03 key version of a new card's domains (GP tools' usual initial KVN). */
export const INITIAL_KEY_VERSION = 0x30;
/** Rounds of "present the same finger twice" an enrolment screen offers before giving up. */
export const ENROLMENT_ROUNDS_MAX = 3;
/** STORE DATA tag for a DAP-verifying domain's public key (src/card, docs/card.md). */
export const DAP_PUBLIC_KEY_TAG = 0xdf70;

export const DEVICE_FILE_NAME = 'device.json';
export const APP_SE_IMAGE_NAME = 'app-se.card';
export const CRYPTO_SE_IMAGE_NAME = 'crypto-se.card';
export const PERIPHERALS_FILE_NAME = 'peripherals.sealed';
export const DEVICE_FORMAT = 'tessera-device/1';
/** The outbox of payment attestations for the TSM's fraud feed (paymentReports.ts). */
export const PAYMENT_REPORTS_FILE_NAME = 'payment-reports.json';
export const PAYMENT_REPORTS_FORMAT = 'tessera-payment-reports/1';
/** Attestations the outbox keeps at most; past it the oldest goes. */
export const PAYMENT_REPORTS_PENDING_MAX = 64;
