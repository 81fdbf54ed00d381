import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromHex, toHex } from '../lib/bytes.js';
import { createSystemRandomSource, exportECP256PublicKey, generateECP256KeyPair, type RandomSource } from '../lib/crypto/index.js';
import { encodeLoadFile, type LoadFile } from '../lib/gp/index.js';
import { GPManager } from '../lib/gp/host/index.js';
import { isPlausiblePAN, luhnCheckDigit } from '../lib/luhn.js';
import { encodeTLV, primitiveNode } from '../lib/tlv/index.js';
import {
  CENTRAL_SD_AID, createCardImage, ISD_AID, openCardImage, SECURITY_DOMAIN_MODULE_AID, SECURITY_DOMAIN_PACKAGE_AID, type AppletFirmware, type VirtualCard,
} from '../card/client.js';
import {
  CRYPTO_SE_FIRMWARE_CLASS, createCryptoSEApplet, encodePersonalization, generateKeyCommand, ROOT_CA_CERTIFICATE_SLOT, type ACLOperationName,
} from '../applets/crypto-se/client.js';
import {
  APP_SE_IMAGE_NAME, APPLICATIONS_SD_AID, CRYPTO_SE_AID, CRYPTO_SE_IMAGE_NAME, CRYPTO_SE_MODULE_AID, CRYPTO_SE_PACKAGE_AID, DAP_PUBLIC_KEY_TAG,
  DEVICE_FILE_NAME, DEVICE_FORMAT, INITIAL_KEY_VERSION, PAYMENT_APPLICATION_AID, PERIPHERALS_FILE_NAME, PRELOADED_CREDENTIAL_SLOT, PRELOADED_KEY_SLOT,
} from './constants.js';
import { exchange, require9000, selectCommand } from './cryptoSEDriver.js';
import { deviceError, DeviceErrorCode } from './errors.js';
import { writeFileAtomic } from './files.js';
import { applicationKeyId } from './applicationKeyId.js';
import { savePeripheralSecrets } from './peripherals/peripheralStore.js';
import type { DeviceFile } from './types.js';

/** SCP03 AES key length of the secure elements' domains (AES-128, as GP tools default). */
const DOMAIN_KEY_BYTES = 16;
const PAIRING_KEY_BYTES = 32;
/** Test BIN of the preloaded credential (ISO/IEC 7812 "9" = national use; never a real card). */
const PRELOADED_PAN_PREFIX = '999000';
const PRELOADED_PAN_DIGITS = 16;
const PRELOADED_VALIDITY_YEARS = 4;

/** What the factory needs from the TSM: public facts only. */
export interface TsmTrust {
  /** The TSM root CA certificate (PEM): stored in the Crypto SE (slot 00); its key verifies certificates, packages, unblocks. */
  readonly rootCertificatePEM: string;
  /** The TSM application-signing public key (PEM, SPKI): the App SE's applications domain verifies DAPs with it. */
  readonly applicationSigningPublicKeyPEM: string;
}

export interface CreateDeviceOptions {
  /** Seals the card images and the peripherals file (src/cli/cardDeviceKey.ts shows where the CLI gets it). */
  readonly deviceKey: Uint8Array;
  readonly tsm: TsmTrust;
  /** The SIM's MSISDN (the SMS modem's number; the App SE's MSI at the TSM). */
  readonly msisdn: string;
  /** App SE applications the Crypto SE's ACL names (default: the payment application, authorize + masked PAN). */
  readonly acl?: readonly { readonly aid: string; readonly operations: readonly ACLOperationName[] }[];
  /** The payment credential preloaded locked (default: a random Luhn-valid test PAN). */
  readonly preloadedCredential?: { readonly pan: string; readonly expiry: string; readonly cvv?: string };
  readonly appSEFirmware?: AppletFirmware;
  readonly random?: RandomSource;
  readonly now?: () => number;
}

/**
 * The hand-over to the TSM (issue 5): the facts of the device table and, for the App SE's entry in
 * the secure-element registry, its central SD keys — what an SE maker delivers to the TSM over its
 * own secure channel. Never written to the device directory.
 */
export interface ManufactureRecord {
  readonly deviceId: string;
  readonly devicePublicKeyHex: string;
  readonly appSECin: string;
  readonly appSEApplicationsDomainAid: string;
  readonly appSE: {
    readonly cin: string;
    readonly iin: string;
    readonly profile: string;
    readonly masterKeyIndex: number;
    readonly centralDomainAid: string;
    readonly keyset: { readonly version: number; readonly enc: Uint8Array; readonly mac: Uint8Array; readonly dek: Uint8Array };
  };
  readonly cryptoSECin: string;
}

function randomDigits(random: RandomSource, count: number): string {
  let digits = '';
  while (digits.length < count) {
    for (const byte of random.bytes(count)) if (byte < 250 && digits.length < count) digits += String(byte % 10);
  }
  return digits;
}

function preloadedCredential(random: RandomSource, now: Date): { pan: string; expiry: string; cvv: string } {
  const payload = PRELOADED_PAN_PREFIX + randomDigits(random, PRELOADED_PAN_DIGITS - PRELOADED_PAN_PREFIX.length - 1);
  const year = (now.getUTCFullYear() + PRELOADED_VALIDITY_YEARS) % 100;
  const month = now.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(now.getUTCFullYear() + PRELOADED_VALIDITY_YEARS, month, 0)).getUTCDate();
  const expiry = `${String(year).padStart(2, '0')}${String(month).padStart(2, '0')}${String(lastDay).padStart(2, '0')}`;
  return { pan: payload + luhnCheckDigit(payload), expiry, cvv: randomDigits(random, 3) };
}

function privateScalar(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.d ?? '', 'base64url'));
}

async function secureDomain(card: VirtualCard, aid: string, key: Uint8Array, random: RandomSource): Promise<GPManager> {
  const gp = new GPManager((apdu) => card.transmit(apdu), { random });
  await gp.selectSecurityDomain(fromHex(aid));
  await gp.openSecureChannel({ enc: key, mac: key, dek: key, keyVersion: INITIAL_KEY_VERSION }, 0x33, { keyVersion: INITIAL_KEY_VERSION });
  return gp;
}

/** App SE: a UICC with a DAP-verifying applications domain holding the TSM's application key. */
async function buildAppSE(card: VirtualCard, key: Uint8Array, applicationKeySpki: Uint8Array, random: RandomSource): Promise<void> {
  card.powerOn();
  const central = await secureDomain(card, CENTRAL_SD_AID, key, random);
  await central.installForInstall({
    loadFileAID: fromHex(SECURITY_DOMAIN_PACKAGE_AID), moduleAID: fromHex(SECURITY_DOMAIN_MODULE_AID), applicationAID: fromHex(APPLICATIONS_SD_AID),
    privileges: ['securityDomain', 'dapVerification'], makeSelectable: true,
  });
  central.closeSecureChannel();
  // The new domain starts with its creator's keyset (GP 2.3 §11.5.2.3.2); its DAP key is set once, here.
  const applications = await secureDomain(card, APPLICATIONS_SD_AID, key, random);
  await applications.storeData([encodeTLV([primitiveNode(DAP_PUBLIC_KEY_TAG, applicationKeySpki)])], { structure: 'ber-tlv' });
  applications.closeSecureChannel();
  card.powerOff();
}

interface CryptoSEFacts {
  readonly devicePoint: Uint8Array;
  readonly keypadPairingKey: Uint8Array;
  readonly sensorPairingKey: Uint8Array;
}

/** Crypto SE: load, install and personalize the applet through the ISD, then make the device key on the card. */
async function buildCryptoSE(card: VirtualCard, key: Uint8Array, options: CreateDeviceOptions, random: RandomSource, now: Date): Promise<CryptoSEFacts> {
  const root = new X509Certificate(options.tsm.rootCertificatePEM);
  const applicationKeySpki = new Uint8Array(createPublicKey(options.tsm.applicationSigningPublicKeyPEM).export({ format: 'der', type: 'spki' }));
  const keyId = fromHex(applicationKeyId(applicationKeySpki));
  const keypadPairingKey = random.bytes(PAIRING_KEY_BYTES);
  const sensorPairingKey = random.bytes(PAIRING_KEY_BYTES);
  const preloaded = generateECP256KeyPair(random);
  const scalar = privateScalar(preloaded.privateKey);
  const credential = options.preloadedCredential ?? preloadedCredential(random, now);
  const acl = options.acl ?? [{ aid: PAYMENT_APPLICATION_AID, operations: ['authorizePayment', 'readMaskedPAN'] as ACLOperationName[] }];
  const loadFile: LoadFile = {
    packageAID: fromHex(CRYPTO_SE_PACKAGE_AID), version: { major: 1, minor: 0 },
    modules: [{ aid: fromHex(CRYPTO_SE_MODULE_AID), firmwareClass: CRYPTO_SE_FIRMWARE_CLASS }],
  };
  card.powerOn();
  const isd = await secureDomain(card, ISD_AID, key, random);
  try {
    await isd.loadFile(encodeLoadFile(loadFile));
    await isd.installForInstall({ loadFileAID: loadFile.packageAID, moduleAID: fromHex(CRYPTO_SE_MODULE_AID), applicationAID: fromHex(CRYPTO_SE_AID) });
    await isd.installForPersonalization(fromHex(CRYPTO_SE_AID));
    await isd.storeData(encodePersonalization({
      tsmPublicKey: exportECP256PublicKey(root.publicKey),
      keypadPairingKey, sensorPairingKey,
      acl: acl.map((entry) => ({ aid: fromHex(entry.aid), keyId, operations: entry.operations })),
      preloadedKeys: [{ slot: PRELOADED_KEY_SLOT, scalar }],
      certificates: [{ slot: ROOT_CA_CERTIFICATE_SLOT, der: new Uint8Array(root.raw) }],
      preloadedCredentials: [{ slot: PRELOADED_CREDENTIAL_SLOT, pan: credential.pan, expiry: credential.expiry, ...(credential.cvv === undefined ? {} : { cvv: credential.cvv }) }],
    }));
  } finally {
    isd.closeSecureChannel();
    scalar.fill(0);
  }
  require9000('SELECT Crypto SE', exchange(card, selectCommand(CRYPTO_SE_AID)));
  const devicePoint = require9000('GENERATE KEY', exchange(card, generateKeyCommand()));
  card.powerOff();
  return { devicePoint: new Uint8Array(devicePoint), keypadPairingKey, sensorPairingKey };
}

/**
 * Manufactures a device in `dir` (seed 000 figs. 1-2): the App SE (UICC profile) and the Crypto SE
 * (embedded profile, applet installed and personalized), the peripherals paired with the Crypto SE,
 * and device.json. Returns the hand-over record for the TSM.
 */
export async function createDevice(dir: string, options: CreateDeviceOptions): Promise<ManufactureRecord> {
  const directory = resolve(dir);
  if (existsSync(join(directory, DEVICE_FILE_NAME))) throw deviceError(DeviceErrorCode.exists, `${directory} holds a device already`);
  if (!/^[0-9]{5,15}$/.test(options.msisdn)) throw deviceError(DeviceErrorCode.invalid, 'an MSISDN is 5-15 digits');
  const preloaded = options.preloadedCredential;
  if (preloaded !== undefined && (!isPlausiblePAN(preloaded.pan) || !/^[0-9]{6}$/.test(preloaded.expiry) || (preloaded.cvv !== undefined && !/^[0-9]{3,4}$/.test(preloaded.cvv)))) {
    throw deviceError(DeviceErrorCode.invalid, 'a preloaded credential is a Luhn-valid PAN of 12-19 digits, an expiry YYMMDD and an optional 3-4 digit CVV');
  }
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const random = options.random ?? createSystemRandomSource();
  const now = options.now ?? Date.now;
  const manufacturedAt = new Date(now());
  const applicationKeySpki = new Uint8Array(createPublicKey(options.tsm.applicationSigningPublicKeyPEM).export({ format: 'der', type: 'spki' }));

  const appSEKey = random.bytes(DOMAIN_KEY_BYTES);
  const appSEPath = join(directory, APP_SE_IMAGE_NAME);
  const appSEState = createCardImage(appSEPath, options.deviceKey, { profile: 'uicc', key: appSEKey, random, manufacturedAt });
  const appSE = openCardImage(appSEPath, options.deviceKey, { firmware: options.appSEFirmware ?? new Map(), random, now });
  await buildAppSE(appSE, appSEKey, applicationKeySpki, random);

  const cryptoSEKey = random.bytes(DOMAIN_KEY_BYTES);
  const cryptoSEPath = join(directory, CRYPTO_SE_IMAGE_NAME);
  const cryptoSEState = createCardImage(cryptoSEPath, options.deviceKey, { profile: 'embedded', key: cryptoSEKey, random, manufacturedAt });
  const cryptoSE = openCardImage(cryptoSEPath, options.deviceKey, { firmware: new Map([[CRYPTO_SE_FIRMWARE_CLASS, createCryptoSEApplet]]), random, now });
  const facts = await buildCryptoSE(cryptoSE, cryptoSEKey, options, random, manufacturedAt);
  cryptoSEKey.fill(0);

  const deviceId = cryptoSEState.cinHex;
  savePeripheralSecrets(join(directory, PERIPHERALS_FILE_NAME), options.deviceKey, deviceId, {
    keypad: { pairingKey: facts.keypadPairingKey, counter: 0n },
    sensor: { pairingKey: facts.sensorPairingKey, counter: 0n },
  }, random);
  facts.keypadPairingKey.fill(0);
  facts.sensorPairingKey.fill(0);
  const file: DeviceFile = {
    format: DEVICE_FORMAT, deviceId, createdAt: manufacturedAt.toISOString(), msisdn: options.msisdn,
    appSE: { image: APP_SE_IMAGE_NAME, cin: appSEState.cinHex },
    cryptoSE: { image: CRYPTO_SE_IMAGE_NAME, cin: cryptoSEState.cinHex, aid: CRYPTO_SE_AID },
    radios: { paymentMode: false, nfc: false, cellular: true, outbox: [] },
    registration: null,
    applications: [],
  };
  // device.json last: its presence says the device is complete.
  writeFileAtomic(join(directory, DEVICE_FILE_NAME), `${JSON.stringify(file, null, 2)}\n`);
  return {
    deviceId,
    devicePublicKeyHex: toHex(facts.devicePoint),
    appSECin: appSEState.cinHex,
    appSEApplicationsDomainAid: APPLICATIONS_SD_AID,
    appSE: {
      cin: appSEState.cinHex, iin: appSEState.iinHex, profile: appSEState.profile, masterKeyIndex: appSEState.masterKeyIndex,
      centralDomainAid: CENTRAL_SD_AID, keyset: { version: INITIAL_KEY_VERSION, enc: appSEKey, mac: appSEKey, dek: appSEKey },
    },
    cryptoSECin: cryptoSEState.cinHex,
  };
}
