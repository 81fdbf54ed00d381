import { TesseraError } from '../../lib/errors.js';
import { decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { CREDENTIAL_ORIGIN, CRYPTO_SE_TAG, FINGER_SLOT_MAX, FINGER_SLOT_MIN, STATUS_FLAG, VERIFICATION_METHOD } from './constants.js';
import { CryptoSEErrorCode } from './errors.js';

/** The GET DATA 'BF40' status template, decoded for the host (device status, CLI). */
export interface CryptoSEStatus {
  readonly pinTriesLeft: number;
  readonly biometricTriesLeft: number;
  readonly enrolledFingers: readonly number[];
  readonly pinSet: boolean;
  readonly deviceKeyPresent: boolean;
  readonly registered: boolean;
  readonly tsmKeyPresent: boolean;
  readonly keypadPaired: boolean;
  readonly sensorPaired: boolean;
  readonly paymentRecipientPresent: boolean;
  readonly verified: { readonly pin: boolean; readonly biometric: boolean };
  readonly credentials: readonly { readonly slot: number; readonly origin: 'preloaded' | 'over-the-air' | 'keyed-in'; readonly locked: boolean }[];
}

const ORIGIN_NAMES = new Map<number, 'preloaded' | 'over-the-air' | 'keyed-in'>([
  [CREDENTIAL_ORIGIN.preloaded, 'preloaded'],
  [CREDENTIAL_ORIGIN.overTheAir, 'over-the-air'],
  [CREDENTIAL_ORIGIN.keyedIn, 'keyed-in'],
]);

function byteOf(children: readonly TLVNode[], tag: number): number {
  const node = children.find((child) => child.tag === tag);
  if (node === undefined || node.constructed || node.value.length !== 1) throw new TesseraError(CryptoSEErrorCode.response, `status without ${tag.toString(16)}`);
  return node.value[0] ?? 0;
}

export function parseStatus(response: Uint8Array): CryptoSEStatus {
  const [template] = decodeTLV(response);
  if (template?.tag !== CRYPTO_SE_TAG.status || !template.constructed) throw new TesseraError(CryptoSEErrorCode.response, 'expected the BF40 status template');
  const children = template.children;
  const flags = byteOf(children, CRYPTO_SE_TAG.statusFlags);
  const fingers = byteOf(children, CRYPTO_SE_TAG.statusFingers);
  const verified = byteOf(children, CRYPTO_SE_TAG.statusVerified);
  const summary = children.find((child) => child.tag === CRYPTO_SE_TAG.statusCredentials)?.value ?? new Uint8Array(0);
  const credentials = [];
  for (let offset = 0; offset + 3 <= summary.length; offset += 3) {
    credentials.push({ slot: summary[offset] ?? 0, origin: ORIGIN_NAMES.get(summary[offset + 1] ?? 0) ?? 'preloaded', locked: summary[offset + 2] === 1 });
  }
  const enrolledFingers: number[] = [];
  for (let slot = FINGER_SLOT_MIN; slot <= FINGER_SLOT_MAX; slot++) if ((fingers & (1 << (slot - 1))) !== 0) enrolledFingers.push(slot);
  const has = (bit: number): boolean => (flags & bit) !== 0;
  return {
    pinTriesLeft: byteOf(children, CRYPTO_SE_TAG.statusPINTries),
    biometricTriesLeft: byteOf(children, CRYPTO_SE_TAG.statusBiometricTries),
    enrolledFingers,
    pinSet: has(STATUS_FLAG.pinSet),
    deviceKeyPresent: has(STATUS_FLAG.deviceKeyPresent),
    registered: has(STATUS_FLAG.registered),
    tsmKeyPresent: has(STATUS_FLAG.tsmKeyPresent),
    keypadPaired: has(STATUS_FLAG.keypadPaired),
    sensorPaired: has(STATUS_FLAG.sensorPaired),
    paymentRecipientPresent: has(STATUS_FLAG.paymentRecipientPresent),
    verified: { pin: (verified & VERIFICATION_METHOD.pin) !== 0, biometric: (verified & VERIFICATION_METHOD.biometric) !== 0 },
    credentials,
  };
}
