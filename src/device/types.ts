/**
 * Published types of the device model: the driver interfaces a real phone's peripherals would
 * implement, the device's persisted state, and its status. README.md says which parts are models.
 */
import type { KeypadInput } from '../applets/crypto-se/client.js';

/** A finger as the sensor model sees it: 64 features (the applet's fingerprint model). */
export type ModelFinger = Int8Array;

/** Secure keypad driver: turns key presses into a blob only the Crypto SE can open (seed 000 [0050]). */
export interface SecureKeypad {
  type(keystrokes: KeypadInput): Uint8Array;
}

/** Fingerprint sensor driver: one capture, sealed for the Crypto SE. */
export interface FingerprintSensor {
  capture(finger: ModelFinger): Uint8Array;
}

/** NFC controller driver: card emulation routed to the App SE, switched by payment mode. */
export interface NFCController {
  readonly nfcEnabled: boolean;
  readonly cardEmulationRoute: 'app-se' | 'off';
}

/** SMS modem driver: sends one part; refuses while the cellular radio is off. */
export interface SMSModem {
  readonly msisdn: string;
  readonly cellularEnabled: boolean;
  send(to: string, text: string): void;
}

/** The payment-mode button (a hardware switch): enables the PIN tunnel and NFC, turns the other radios off. */
export interface PaymentModeButton {
  readonly paymentMode: boolean;
  press(): boolean;
}

export interface RadioState {
  paymentMode: boolean;
  nfc: boolean;
  cellular: boolean;
  outbox: { to: string; text: string }[];
}

/** An App SE application the TSM installed, as the device records it from the catalogue. */
export interface InstalledApplication {
  readonly name: string;
  readonly packageAid: string;
  readonly version: string;
  readonly instanceAid: string;
  /** Id of the TSM key that signed it (the Crypto SE ACL's `C1`). */
  readonly signingKeyId: string;
}

export interface DeviceRegistrationRecord {
  readonly serialNumber: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly registeredAt: string;
}

/** device.json: nothing secret (keys stay in the sealed card images and peripherals file). */
export interface DeviceFile {
  readonly format: string;
  readonly deviceId: string;
  readonly createdAt: string;
  readonly msisdn: string;
  readonly appSE: { readonly image: string; readonly cin: string };
  readonly cryptoSE: { readonly image: string; readonly cin: string; readonly aid: string };
  radios: RadioState;
  registration: DeviceRegistrationRecord | null;
  applications: InstalledApplication[];
}

export interface CredentialStatus {
  readonly slot: number;
  readonly origin: 'preloaded' | 'over-the-air' | 'keyed-in';
  readonly locked: boolean;
  /** `**** **** **** 1234` when an App SE application the ACL allows could read it, else null. */
  readonly masked: string | null;
}

export interface DeviceStatus {
  readonly deviceId: string;
  readonly msisdn: string;
  readonly pin: { readonly set: boolean; readonly triesLeft: number };
  readonly biometric: { readonly enrolledFingers: readonly number[]; readonly triesLeft: number };
  readonly registered: boolean;
  readonly certificate: { readonly subject: string; readonly serialNumber: string; readonly issuer: string; readonly notAfter: string } | null;
  readonly applications: readonly InstalledApplication[];
  readonly credentials: readonly CredentialStatus[];
  readonly peripherals: { readonly keypadPaired: boolean; readonly sensorPaired: boolean; readonly paymentMode: boolean; readonly nfc: boolean; readonly cellular: boolean };
  /** Payment attestations in the outbox, waiting for the TSM's fraud feed. */
  readonly paymentReportsPending: number;
}

/** What a PIN or finger check answered. */
export interface VerificationResult {
  readonly verified: boolean;
  /** Tries left after this one (0 and not verified: blocked). */
  readonly triesLeft: number;
  readonly blocked: boolean;
}
