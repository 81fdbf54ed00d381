import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesEqual, fromHex, toHex } from '../lib/bytes.js';
import { isTesseraError } from '../lib/errors.js';
import { createSystemRandomSource, type RandomSource } from '../lib/crypto/index.js';
import { decodeTLV } from '../lib/tlv/index.js';
import { openCardImage, type AppletFirmware, type SmartCard } from '../card/client.js';
import {
  beginRegistrationCommand, changePINCommand, getChallengeCommand, CREDENTIAL_SLOT_MAX, CRYPTO_SE_FIRMWARE_CLASS, CRYPTO_SE_TAG, createCryptoSEApplet, DEVICE_CERTIFICATE_SLOT,
  DEVICE_KEY_SLOT, enrolFingerCommand, FINGER_SLOT_MAX, FINGER_SLOT_MIN, getDataCommand, getPaymentAttestationCommand, getPublicKeyCommand,
  keyInCardNumberCommand, parsePaymentAttestation, parseStatus,
  readCertificate, readMaskedPANCommand, registrationCounterText, ROOT_CA_CERTIFICATE_SLOT, signCommands, signTsmRequestCommand, storeCertificateCommands,
  storeCredentialPackageCommand, unblockPINCommand, verifyBiometricCommand, verifyPINCommand, type CallerIdentity, type CryptoSEStatus,
} from '../applets/crypto-se/client.js';
import {
  decodePerformCardAPDU, encodeTerminalResponse, FETCH_INS, PROACTIVE_PENDING_SW1, RESULT_BEYOND_CAPABILITIES,
  RESULT_CARD_READER_ERROR, RESULT_PERFORMED, TERMINAL_RESPONSE_INS,
} from '../applets/payment/client.js';
import { AppSE } from './appSE.js';
import { encodeCertificationRequest, encodeCertificationRequestInfo } from './certificationRequest.js';
import { DEVICE_FILE_NAME, DEVICE_FORMAT, ENROLMENT_ROUNDS_MAX, PAYMENT_APPLICATION_AID, PERIPHERALS_FILE_NAME } from './constants.js';
import { CryptoSELink, require9000, type CardAnswer } from './cryptoSEDriver.js';
import { deviceError, DeviceErrorCode, swText } from './errors.js';
import { writeFileAtomic } from './files.js';
import { isRelayedPaymentCommand } from './paymentRelay.js';
import { PaymentReportOutbox, type PendingPaymentReport } from './paymentReports.js';
import { FingerprintSensorModel } from './peripherals/fingerprintSensor.js';
import { KeypadModel } from './peripherals/keypad.js';
import { loadPeripheralSecrets, savePeripheralSecrets, type PeripheralSecretsFile } from './peripherals/peripheralStore.js';
import { RadioModels } from './peripherals/radios.js';
import type { DeviceTsmClient, TsmRequestSigner } from './tsmClient.js';
import type { DeviceFile, DeviceStatus, InstalledApplication, ModelFinger, VerificationResult } from './types.js';

const SW_SUCCESS = 0x9000;
const SW_WRONG_DATA = 0x6a80;
const SW_BLOCKED = 0x6983;
/** The Crypto SE's counters are 8 bytes, big-endian. */
const COUNTER_BYTES = 8;
/** Captures one registration asks for before giving up (each miss costs a biometric try, limit 5). */
const FINGER_ATTEMPTS_MAX = 3;
/** Proactive exchanges one reader command may need (READ PAYMENT DATA or GENERATE AC: one each). */
const PROACTIVE_ROUNDS_MAX = 4;
/** The reader's GENERATE AC (EMV Book 3 §6.5.5): the command whose success ends a tap. */
const INS_GENERATE_AC = 0xae;
/** GET CHALLENGE answers 16 bytes (src/applets/crypto-se/README.md "PIN"). */
const UNBLOCK_CHALLENGE_BYTES = 16;
/** A PIN the Crypto SE takes: 4-12 ASCII digits (src/applets/crypto-se/README.md "PIN"). */
const PIN_FORMAT = /^[0-9]{4,12}$/;
/** The longest DER ECDSA P-256 signature: SEQUENCE { INTEGER r, INTEGER s } with 33-byte values. */
const ECDSA_P256_DER_SIGNATURE_BYTES_MAX = 72;
/** TSM answers that refuse a payment report for good (malformed, bad signature, replay): retrying cannot help. */
const PAYMENT_REPORT_FINAL_STATUSES: ReadonlySet<number> = new Set([400, 409]);

/** What one delivery round of the payment-report outbox did. */
export interface PaymentReportFlush {
  /** Attestation counters the TSM stored. */
  readonly delivered: readonly string[];
  /** Counters the TSM refused for good (dropped from the outbox), with its error code. */
  readonly refused: readonly { readonly counter: string; readonly code: string }[];
  /** Still waiting (the TSM was unreachable or not ready for them). */
  readonly pending: number;
}

/** Runs the App SE's admin agent against the TSM's OTA endpoint until `signal` aborts (src/card/agent's runCardAgent). */
export type OTAAgentRunner = (card: SmartCard, options: { readonly tsmUrl: string; readonly ca: string; readonly signal: AbortSignal; readonly pollDelayMs: number }) => Promise<void>;

export interface OpenDeviceOptions {
  readonly deviceKey: Uint8Array;
  /** The App SE's firmware: applet classes its load files may name (the CLI's cardFirmware()). */
  readonly appSEFirmware?: AppletFirmware;
  readonly random?: RandomSource;
  readonly now?: () => number;
}

function verificationOf(answer: CardAnswer): VerificationResult {
  if (answer.sw === SW_SUCCESS) return { verified: true, triesLeft: -1, blocked: false };
  if ((answer.sw & 0xfff0) === 0x63c0) return { verified: false, triesLeft: answer.sw & 0x0f, blocked: (answer.sw & 0x0f) === 0 };
  if (answer.sw === SW_BLOCKED) return { verified: false, triesLeft: 0, blocked: true };
  throw deviceError(DeviceErrorCode.refused, `the Crypto SE answered ${swText(answer.sw)}`, { sw: swText(answer.sw) });
}

function readDeviceFile(directory: string): DeviceFile {
  const path = join(directory, DEVICE_FILE_NAME);
  if (!existsSync(path)) throw deviceError(DeviceErrorCode.notFound, `no device in ${directory} (make one with 'tessera device new')`);
  const file = JSON.parse(readFileSync(path, 'utf8')) as DeviceFile;
  if (file.format !== DEVICE_FORMAT) throw deviceError(DeviceErrorCode.invalid, `${path} is not a ${DEVICE_FORMAT} device file`);
  return file;
}

/** Opens a device made by createDevice: its two secure elements, its peripherals and its state. */
export function openDevice(dir: string, options: OpenDeviceOptions): Device {
  return new Device(resolve(dir), options);
}

/**
 * The phone (seed 000 fig. 1): the host OS, the App SE, the Crypto SE and the peripherals. The
 * methods are the host's jobs — relaying sealed blobs and public answers between peripherals,
 * secure elements and the TSM. Nothing here holds a PIN, a template, a key or a credential: the
 * keypad and sensor seal their input for the Crypto SE, the TSM seals credentials to its key.
 */

export class Device implements TsmRequestSigner {
  readonly directory: string;
  readonly keypad: KeypadModel;
  readonly sensor: FingerprintSensorModel;
  readonly radios: RadioModels;
  readonly appSE: AppSE;
  readonly #file: DeviceFile;
  readonly #cryptoSE: CryptoSELink;
  readonly #cryptoSECard: SmartCard;
  readonly #secrets: PeripheralSecretsFile;
  readonly #deviceKey: Uint8Array;
  readonly #random: RandomSource;
  readonly #now: () => number;
  readonly #paymentReports: PaymentReportOutbox;

  constructor(directory: string, options: OpenDeviceOptions) {
    this.directory = directory;
    this.#file = readDeviceFile(directory);
    this.#random = options.random ?? createSystemRandomSource();
    this.#deviceKey = options.deviceKey;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#cryptoSECard = openCardImage(join(directory, this.#file.cryptoSE.image), options.deviceKey, {
      firmware: new Map([[CRYPTO_SE_FIRMWARE_CLASS, createCryptoSEApplet]]), random: this.#random, now,
    });
    this.#cryptoSE = new CryptoSELink(this.#cryptoSECard, this.#file.cryptoSE.aid);
    const appSECard = openCardImage(join(directory, this.#file.appSE.image), options.deviceKey, { firmware: options.appSEFirmware ?? new Map(), random: this.#random, now });
    this.appSE = new AppSE(appSECard, () => this.#file.applications);
    this.#secrets = loadPeripheralSecrets(join(directory, PERIPHERALS_FILE_NAME), options.deviceKey, this.#file.deviceId);
    const persistSecrets = (): void => savePeripheralSecrets(join(directory, PERIPHERALS_FILE_NAME), this.#deviceKey, this.#file.deviceId, this.#secrets, this.#random);
    this.keypad = new KeypadModel(this.#secrets.keypad, persistSecrets);
    this.sensor = new FingerprintSensorModel(this.#secrets.sensor, persistSecrets, this.#random);
    this.radios = new RadioModels(this.#file.radios, this.#file.msisdn, () => this.#save());
    this.#paymentReports = new PaymentReportOutbox(directory);
  }

  get id(): string {
    return this.#file.deviceId;
  }

  get msisdn(): string {
    return this.#file.msisdn;
  }

  #save(): void {
    writeFileAtomic(join(this.directory, DEVICE_FILE_NAME), `${JSON.stringify(this.#file, null, 2)}\n`);
  }

  /** A fresh Crypto SE session (power up + SELECT): verifications from earlier sessions are gone. */
  #session(): CryptoSELink {
    this.#cryptoSE.end();
    this.#cryptoSE.begin();
    return this.#cryptoSE;
  }

  cryptoSEStatus(): CryptoSEStatus {
    const link = this.#session();
    return parseStatus(require9000('GET DATA status', link.send(getDataCommand(CRYPTO_SE_TAG.status))));
  }

  /**
   * Enrols a finger (seed 000 [0056]): the sensor captures it twice, both blobs go to the Crypto SE,
   * which keeps the mean template if they agree. Like an enrolment screen, up to 3 rounds. The first
   * finger unlocks the preloaded payment credential.
   */
  enrolFinger(finger: ModelFinger, slot?: number): { readonly slot: number; readonly rounds: number } {
    const link = this.#session();
    const status = parseStatus(require9000('GET DATA status', link.send(getDataCommand(CRYPTO_SE_TAG.status))));
    const target = slot ?? [...Array(FINGER_SLOT_MAX - FINGER_SLOT_MIN + 1).keys()].map((index) => index + FINGER_SLOT_MIN).find((candidate) => !status.enrolledFingers.includes(candidate));
    if (target === undefined) throw deviceError(DeviceErrorCode.refused, 'every finger slot is in use');
    let answer: CardAnswer = { data: new Uint8Array(0), sw: SW_WRONG_DATA };
    let rounds = 0;
    while (answer.sw === SW_WRONG_DATA && rounds < ENROLMENT_ROUNDS_MAX) {
      rounds += 1;
      answer = link.send(enrolFingerCommand(target, this.sensor.capture(finger), this.sensor.capture(finger)));
    }
    require9000('ENROL FINGER', answer);
    return { slot: target, rounds };
  }

  /** VERIFY BIOMETRIC with one capture; the session keeps the verification for the next operation. */
  verifyFinger(finger: ModelFinger): VerificationResult {
    return verificationOf(this.#session().send(verifyBiometricCommand(this.sensor.capture(finger))));
  }

  /** Sets the first PIN (only while none is set) or changes it with the old one; typed on the secure keypad. */
  setPIN(newPIN: string, oldPIN?: string): void {
    const link = this.#session();
    const blob = oldPIN === undefined ? this.keypad.type({ newPIN }) : this.keypad.type({ pin: oldPIN, newPIN });
    const answer = link.send(changePINCommand(blob, { initial: oldPIN === undefined }));
    if (answer.sw !== SW_SUCCESS) {
      const result = (answer.sw & 0xfff0) === 0x63c0 || answer.sw === SW_BLOCKED ? verificationOf(answer) : undefined;
      throw deviceError(DeviceErrorCode.refused, result === undefined ? `CHANGE PIN: the Crypto SE answered ${swText(answer.sw)}` : `wrong PIN: ${result.triesLeft} tries left`, { sw: swText(answer.sw) });
    }
  }

  /** VERIFY PIN through the keypad tunnel: the try counter goes down before the comparison, on the card. */
  verifyPIN(pin: string): VerificationResult {
    return verificationOf(this.#session().send(verifyPINCommand(this.keypad.type({ pin }))));
  }

  /**
   * PIN unblock through the TSM (docs/device.md "PIN unblock"), after the user's bank approved it
   * with the TSM: GET CHALLENGE opens a one-time challenge in a Crypto SE session; the TSM, asked by
   * a request the Crypto SE signs in that same session (no new SELECT, which would drop the
   * challenge), uses up the approval and signs the challenge with its root key; UNBLOCK PIN carries
   * the signature — and, when `newPIN` is given, a keypad blob with it — and the card, having checked
   * the signature against the TSM key it was personalized with, restores both try counters. The
   * host relays a challenge and a signature and sees no PIN. Answers the PIN's state afterwards.
   */
  async unblockPIN(tsm: DeviceTsmClient, newPIN?: string): Promise<DeviceStatus['pin']> {
    if (this.#file.registration === null) throw deviceError(DeviceErrorCode.notRegistered, 'register the device first: the TSM answers only a device it certified');
    // Checked before the TSM uses up the approval: the card would refuse the new PIN (6A80) only afterwards.
    if (newPIN !== undefined && !PIN_FORMAT.test(newPIN)) throw deviceError(DeviceErrorCode.invalid, 'a PIN is 4-12 digits');
    await this.#deliverPendingReports(tsm);
    const link = this.#session();
    const challenge = require9000('GET CHALLENGE', link.send(getChallengeCommand()));
    if (challenge.length !== UNBLOCK_CHALLENGE_BYTES) throw deviceError(DeviceErrorCode.refused, `GET CHALLENGE answered ${challenge.length} bytes, expected ${UNBLOCK_CHALLENGE_BYTES}`);
    const answer = await tsm.pinUnblock(this.id, challenge, this);
    if (!/^([0-9A-Fa-f]{2})+$/.test(answer.signature) || answer.signature.length > ECDSA_P256_DER_SIGNATURE_BYTES_MAX * 2) {
      throw deviceError(DeviceErrorCode.tsm, 'the TSM answered a PIN unblock without a signature');
    }
    // Typed only now: the keypad's counter is spent on a blob that will be sent.
    const blob = newPIN === undefined ? undefined : this.keypad.type({ newPIN });
    require9000('UNBLOCK PIN', link.send(unblockPINCommand(fromHex(answer.signature), blob)));
    const status = this.cryptoSEStatus();
    return { set: status.pinSet, triesLeft: status.pinTriesLeft };
  }

  /**
   * Registration with the TSM, only through the Crypto SE (seed 000 [0057]-[0058]): the card opens
   * a registration (a counter it keeps), the host builds the CertificationRequestInfo around the
   * card's public key and that counter, the user's finger authorizes SIGN [certification request],
   * the TSM certifies the key, and the card stores the certificate (it checks the TSM's signature
   * and that it carries its own key). The host never touches a private key.
   */
  async register(tsm: DeviceTsmClient, finger: ModelFinger): Promise<DeviceStatus['certificate']> {
    const link = this.#session();
    const point = require9000('GET PUBLIC KEY', link.send(getPublicKeyCommand(DEVICE_KEY_SLOT)));
    const counter = require9000('BEGIN REGISTRATION', link.send(beginRegistrationCommand()));
    const info = encodeCertificationRequestInfo(`Tessera device ${this.id}`, point, registrationCounterText(counter));
    // Like a lock screen: a smudged press may miss (the model's FRR is about 1 %), so a few captures.
    let verified = verificationOf(link.send(verifyBiometricCommand(this.sensor.capture(finger))));
    for (let attempt = 1; attempt < FINGER_ATTEMPTS_MAX && !verified.verified && !verified.blocked; attempt++) {
      verified = verificationOf(link.send(verifyBiometricCommand(this.sensor.capture(finger))));
    }
    if (!verified.verified) throw deviceError(DeviceErrorCode.refused, `the finger did not match (${verified.triesLeft} tries left)`, { triesLeft: verified.triesLeft });
    const signature = require9000('SIGN certification request', link.sendAll(signCommands('certification-request', info)));
    const request = encodeCertificationRequest(info, signature);

    const answer = await tsm.register(this.id, request);
    const certificate = new X509Certificate(answer.certificate);
    const root = new X509Certificate(answer.rootCertificate);
    const reader = this.#session();
    const storedRoot = readCertificate((apdu) => reader.transmit(apdu), ROOT_CA_CERTIFICATE_SLOT);
    if (storedRoot === undefined || !bytesEqual(storedRoot, new Uint8Array(root.raw))) {
      throw deviceError(DeviceErrorCode.tsm, 'the TSM answered with a root certificate other than the one in the Crypto SE');
    }
    require9000('STORE CERTIFICATE', this.#session().sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, new Uint8Array(certificate.raw))));
    this.#file.registration = { serialNumber: answer.serialNumber, subject: answer.subject, notAfter: answer.notAfter, registeredAt: new Date(this.#now()).toISOString() };
    this.#save();
    return this.#certificate();
  }

  /** The device certificate from the Crypto SE (slot 01), or null. */
  #certificate(): DeviceStatus['certificate'] {
    const der = this.deviceCertificate();
    if (der === undefined) return null;
    const certificate = new X509Certificate(der);
    return { subject: certificate.subject.replace(/\n/g, ', '), serialNumber: certificate.serialNumber, issuer: certificate.issuer.replace(/\n/g, ', '), notAfter: new Date(certificate.validTo).toISOString() };
  }

  /**
   * SIGN TSM REQUEST: the Crypto SE signs a device-API request's digest with the certified device
   * key (DeviceTsmClient builds the digest and the header). In the current session, so a pending
   * user verification (a prepared tap) is not dropped; the command needs none.
   */
  signTsmRequest(digest: Uint8Array): Uint8Array {
    return require9000('SIGN TSM REQUEST', this.#cryptoSE.send(signTsmRequestCommand(digest)));
  }

  /** The device certificate's DER (for `openssl verify` and the like), or undefined before registration. */
  deviceCertificate(): Uint8Array | undefined {
    const link = this.#session();
    return readCertificate((apdu) => link.transmit(apdu), DEVICE_CERTIFICATE_SLOT);
  }

  /**
   * Asks the TSM for application updates and lets it install them over the air: the App SE's
   * admin agent connects to the TSM's OTA endpoint while the TSM LOADs and INSTALLs (the App SE
   * verifying each DAP). Records what the card now has.
   */
  async update(tsm: DeviceTsmClient, runAgent: OTAAgentRunner): Promise<{ installed: InstalledApplication[]; failed: { packageAid: string; code: string }[] }> {
    if (this.#file.registration === null) throw deviceError(DeviceErrorCode.notRegistered, 'register the device first');
    await this.#deliverPendingReports(tsm);
    const catalogue = await tsm.updates(this.id, this);
    const pending = catalogue.applications.filter((application) => application.installedVersion !== application.version);
    const installed: InstalledApplication[] = [];
    const failed: { packageAid: string; code: string }[] = [];
    if (pending.length > 0) {
      if (catalogue.otaPath === null) throw deviceError(DeviceErrorCode.tsm, 'the TSM has no OTA route for this device\'s App SE');
      const stop = new AbortController();
      const agent = runAgent(this.appSE.card, { tsmUrl: new URL(catalogue.otaPath, tsm.url).toString(), ca: tsm.ca, signal: stop.signal, pollDelayMs: 0 });
      try {
        const outcome = await tsm.installUpdates(this.id, this);
        for (const application of outcome.installed) {
          installed.push({ name: application.name, packageAid: application.packageAid, version: application.version, instanceAid: application.instanceAid, signingKeyId: application.signingKeyId });
        }
        for (const refusal of outcome.failed) failed.push({ packageAid: refusal.packageAid, code: refusal.code });
      } finally {
        stop.abort();
        await agent.catch(() => undefined);
        this.appSE.card.powerOff();
      }
    }
    // What the catalogue says is installed and the card has (a re-run after a lost answer finds it too).
    const known = new Map(this.#file.applications.map((application) => [application.packageAid, application]));
    for (const application of [...catalogue.applications.filter((entry) => entry.installedVersion === entry.version), ...installed]) {
      known.set(application.packageAid, { name: application.name, packageAid: application.packageAid, version: application.version, instanceAid: application.instanceAid, signingKeyId: application.signingKeyId });
    }
    this.#file.applications = [...known.values()];
    this.#save();
    return { installed, failed };
  }

  /** The last credential-package counter the Crypto SE accepted (16 hex digits). */
  lastCredentialCounter(): string {
    const answer = require9000('GET DATA DF44', this.#session().send(getDataCommand(CRYPTO_SE_TAG.credentialCounterObject)));
    const [object] = decodeTLV(answer);
    if (object?.tag !== CRYPTO_SE_TAG.credentialCounterObject || object.constructed || object.value.length !== COUNTER_BYTES) {
      throw deviceError(DeviceErrorCode.refused, 'the Crypto SE answered GET DATA DF44 without its counter');
    }
    return toHex(object.value);
  }

  /** Relays one sealed credential package to the Crypto SE; answers its status word. */
  storeCredentialPackage(sealedPackage: Uint8Array): number {
    return this.#session().send(storeCredentialPackageCommand(sealedPackage)).sw;
  }

  /**
   * Fetches the credential packages the TSM holds for this device above the card's last counter and
   * relays each, sealed, to the Crypto SE, which checks the TSM signature and the counter before
   * decrypting and storing. Answers what was stored and what was refused.
   */
  async receiveCredentials(tsm: DeviceTsmClient): Promise<{ stored: { slot: number; counter: string }[]; refused: { counter: string; sw: string }[] }> {
    if (this.#file.registration === null) throw deviceError(DeviceErrorCode.notRegistered, 'register the device first');
    await this.#deliverPendingReports(tsm);
    const answer = await tsm.credentialPackages(this.id, this.lastCredentialCounter(), this);
    const stored: { slot: number; counter: string }[] = [];
    const refused: { counter: string; sw: string }[] = [];
    for (const item of answer.packages) {
      const sw = this.storeCredentialPackage(fromHex(item.package));
      if (sw === SW_SUCCESS) stored.push({ slot: item.credentialSlot, counter: item.counter });
      else refused.push({ counter: item.counter, sw: swText(sw) });
    }
    return { stored, refused };
  }

  /** KEY IN CARD NUMBER: the customer types PAN, expiry (YYMM) and CVV on the secure keypad; the card checks Luhn. */
  keyInCardNumber(slot: number, typed: { readonly pan: string; readonly expiry: string; readonly cvv?: string }): void {
    const blob = this.keypad.type({ pan: typed.pan, expiry: typed.expiry, ...(typed.cvv === undefined ? {} : { cvv: typed.cvv }) });
    require9000('KEY IN CARD NUMBER', this.#session().send(keyInCardNumberCommand(slot, blob)));
  }

  /** READ MASKED PAN on behalf of an App SE application: answers the SW and, on 9000, the last four digits. */
  readMaskedPAN(slot: number, caller: CallerIdentity): { readonly sw: number; readonly lastFour: string | null } {
    const answer = this.#session().send(readMaskedPANCommand(slot, caller));
    return { sw: answer.sw, lastFour: answer.sw === SW_SUCCESS ? new TextDecoder().decode(answer.data) : null };
  }

  /**
   * The host relay: one APDU to the Crypto SE in the current session, as the host forwards an App
   * SE application's request (or a peripheral's blob). The host can send anything; the Crypto SE
   * decides (tunnel keys, counters, ACL, user verification), which is the point.
   */
  relay(apdu: Uint8Array): CardAnswer {
    return this.#cryptoSE.send(apdu);
  }

  /** Each step of the device's life, from the secure elements themselves. */
  status(): DeviceStatus {
    const card = this.cryptoSEStatus();
    const caller = this.appSE.callerFor(PAYMENT_APPLICATION_AID);
    const credentials = card.credentials.filter((credential) => credential.slot >= 1 && credential.slot <= CREDENTIAL_SLOT_MAX).map((credential) => {
      let masked: string | null = null;
      if (caller !== undefined && !credential.locked) {
        const read = this.readMaskedPAN(credential.slot, caller);
        if (read.lastFour !== null) masked = `**** **** **** ${read.lastFour}`;
      }
      return { ...credential, masked };
    });
    return {
      deviceId: this.id,
      msisdn: this.#file.msisdn,
      pin: { set: card.pinSet, triesLeft: card.pinTriesLeft },
      biometric: { enrolledFingers: card.enrolledFingers, triesLeft: card.biometricTriesLeft },
      registered: card.registered,
      certificate: card.registered ? this.#certificate() : null,
      applications: this.appSE.installedApplications(),
      credentials,
      peripherals: { keypadPaired: card.keypadPaired, sensorPaired: card.sensorPaired, paymentMode: this.radios.paymentMode, nfc: this.radios.nfcEnabled, cellular: this.radios.cellularEnabled },
      paymentReportsPending: this.#paymentReports.pending().length,
    };
  }

  /** Powers both secure elements down. */
  /**
   * Getting ready to tap (seed 000 [0085]-[0087], [0095]): payment mode on (NFC card emulation to
   * the App SE, the other radios off), then the finger — a few captures, like a lock screen —
   * verified by the Crypto SE in a session that stays open for the tap. The verification is good
   * for one payment (the Crypto SE uses it up at GENERATE AC) and for 60 s of card time.
   */
  prepareTap(finger: ModelFinger): VerificationResult {
    if (!this.radios.paymentMode) this.radios.press();
    const link = this.#session();
    let verified = verificationOf(link.send(verifyBiometricCommand(this.sensor.capture(finger))));
    for (let attempt = 1; attempt < FINGER_ATTEMPTS_MAX && !verified.verified && !verified.blocked; attempt++) {
      verified = verificationOf(link.send(verifyBiometricCommand(this.sensor.capture(finger))));
    }
    return verified;
  }

  /**
   * The NFC controller's card-emulation side: what a reader's field reaches. Each command APDU goes
   * to the App SE; while the App SE answers '91XX' the host does what a terminal does for a UICC —
   * FETCH the proactive command, carry its C-APDU to the Crypto SE (PERFORM CARD APDU, on the
   * session `prepareTap` opened; the host never reads it), hand the R-APDU back with TERMINAL
   * RESPONSE — and the last answer goes back to the reader. Refused while NFC is off.
   */
  contactless(): { transmit(commandAPDU: Uint8Array): Promise<Uint8Array> } {
    // A reader's field powers the App SE's contactless interface afresh: a new card session.
    if (this.radios.cardEmulationRoute === 'app-se') this.appSE.card.powerOn();
    return {
      transmit: (commandAPDU) => {
        if (this.radios.cardEmulationRoute !== 'app-se') {
          return Promise.reject(deviceError(DeviceErrorCode.radioOff, 'NFC card emulation is off: press the payment-mode button'));
        }
        return Promise.resolve(this.#emulate(commandAPDU));
      },
    };
  }

  #emulate(commandAPDU: Uint8Array): Uint8Array {
    const response = this.#emulateCommand(commandAPDU);
    const sw = ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
    if (commandAPDU[1] === INS_GENERATE_AC && sw === SW_SUCCESS) this.#collectPaymentAttestation();
    return response;
  }

  /**
   * The tap is complete (the reader has its cryptogram): read the payment attestation the Crypto SE
   * made at GENERATE AC — once, in the session the tap ran in — and keep it in the outbox for the
   * TSM (payment mode has the other radios off). The host relays it: it is signed on the card.
   * Whatever goes wrong here must not change the reader's answer, so failures only lose the report.
   */
  #collectPaymentAttestation(): void {
    try {
      const answer = this.#cryptoSE.send(getPaymentAttestationCommand());
      if (answer.sw !== SW_SUCCESS) return;
      const attestation = parsePaymentAttestation(answer.data);
      this.#paymentReports.add(attestation.record, attestation.signature, attestation.fields.counter);
    } catch {
      // A malformed answer or a full disk: the payment stands, the fraud feed misses one report.
    }
  }

  /** Payment attestations waiting for the TSM, oldest first. */
  pendingPaymentReports(): readonly PendingPaymentReport[] {
    return this.#paymentReports.pending();
  }

  /**
   * Delivers the outbox to the TSM's fraud feed, oldest first (the TSM wants each device's counters
   * to grow). A report the TSM stores or refuses for good (400 malformed or bad signature, 409
   * replay — which is also what a retry after a lost answer gets) leaves the outbox; on anything
   * else — the TSM unreachable, 5xx, the device not registered yet — delivery stops and the rest
   * waits for the next call.
   */
  async flushPaymentReports(tsm: DeviceTsmClient): Promise<PaymentReportFlush> {
    const delivered: string[] = [];
    const refused: { counter: string; code: string }[] = [];
    for (const report of this.#paymentReports.pending()) {
      try {
        const answer = await tsm.paymentReport(this.id, report);
        delivered.push(answer.attestationCounter);
      } catch (error) {
        const status = isTesseraError(error) ? error.details?.['status'] : undefined;
        if (typeof status !== 'number' || !PAYMENT_REPORT_FINAL_STATUSES.has(status)) break;
        const code = isTesseraError(error) ? error.details?.['code'] : undefined;
        refused.push({ counter: report.counter, code: typeof code === 'string' ? code : 'unknown' });
      }
      this.#paymentReports.remove(report.record);
    }
    return { delivered, refused, pending: this.#paymentReports.pending().length };
  }

  /** "Sent on the next call": other calls to the TSM deliver waiting reports first, and never fail because of them. */
  async #deliverPendingReports(tsm: DeviceTsmClient): Promise<void> {
    if (this.#paymentReports.pending().length === 0) return;
    await this.flushPaymentReports(tsm).catch(() => undefined);
  }

  #emulateCommand(commandAPDU: Uint8Array): Uint8Array {
    const card = this.appSE.card;
    let response = card.transmit(commandAPDU);
    for (let round = 0; round < PROACTIVE_ROUNDS_MAX; round++) {
      const sw1 = response[response.length - 2];
      const sw2 = response[response.length - 1] ?? 0;
      if (sw1 !== PROACTIVE_PENDING_SW1) return response;
      const fetched = card.transmit(Uint8Array.of(0x80, FETCH_INS, 0x00, 0x00, sw2));
      let terminalResponse: Uint8Array;
      try {
        const proactive = decodePerformCardAPDU(fetched.subarray(0, fetched.length - 2));
        terminalResponse = isRelayedPaymentCommand(proactive.commandAPDU)
          ? encodeTerminalResponse(proactive.commandNumber, RESULT_PERFORMED, this.#cryptoSE.transmit(proactive.commandAPDU))
          : encodeTerminalResponse(proactive.commandNumber, RESULT_BEYOND_CAPABILITIES, undefined);
      } catch {
        // Not a PERFORM CARD APDU we can carry out: the App SE is told so and ends the transaction.
        terminalResponse = encodeTerminalResponse(0, RESULT_CARD_READER_ERROR, undefined);
      }
      response = card.transmit(Uint8Array.from([0x80, TERMINAL_RESPONSE_INS, 0x00, 0x00, terminalResponse.length, ...terminalResponse]));
    }
    return Uint8Array.of(0x6f, 0x00);
  }

  close(): void {
    this.#cryptoSE.end();
    this.appSE.card.powerOff();
  }
}
