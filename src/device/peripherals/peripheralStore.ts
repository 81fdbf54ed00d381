import { readFileSync } from 'node:fs';
import { fromHex, toHex, utf8 } from '../../lib/bytes.js';
import { deriveHKDFSHA256, openAESGCM, sealAESGCM, type RandomSource } from '../../lib/crypto/index.js';
import { deviceError, DeviceErrorCode } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import type { PeripheralSecrets } from './pairedPeripheral.js';

const STORE_INFO = utf8('tessera.device/peripherals/v1');
const STORE_AAD = utf8('tessera.device/peripherals.sealed');
const KEY_BYTES = 32;

export interface PeripheralSecretsFile {
  readonly keypad: PeripheralSecrets;
  readonly sensor: PeripheralSecrets;
}

function storeKey(deviceKey: Uint8Array, deviceId: string): Uint8Array {
  return deriveHKDFSHA256(deviceKey, utf8(deviceId), STORE_INFO, KEY_BYTES);
}

/**
 * The MODEL of the peripherals' own secure storage: their pairing keys and counters, AES-256-GCM
 * sealed under a key derived from the device key and bound to the device id. On hardware each
 * peripheral keeps these in its controller; the phone OS never holds them.
 */
export function savePeripheralSecrets(path: string, deviceKey: Uint8Array, deviceId: string, secrets: PeripheralSecretsFile, random: RandomSource): void {
  const text = JSON.stringify({
    keypad: { pairingKey: toHex(secrets.keypad.pairingKey), counter: secrets.keypad.counter.toString() },
    sensor: { pairingKey: toHex(secrets.sensor.pairingKey), counter: secrets.sensor.counter.toString() },
  });
  const key = storeKey(deviceKey, deviceId);
  try {
    writeFileAtomic(path, toHex(sealAESGCM(key, utf8(text), STORE_AAD, random)));
  } finally {
    key.fill(0);
  }
}

export function loadPeripheralSecrets(path: string, deviceKey: Uint8Array, deviceId: string): PeripheralSecretsFile {
  const key = storeKey(deviceKey, deviceId);
  let parsed: { keypad: { pairingKey: string; counter: string }; sensor: { pairingKey: string; counter: string } };
  try {
    parsed = JSON.parse(new TextDecoder().decode(openAESGCM(key, fromHex(readFileSync(path, 'utf8').trim()), STORE_AAD))) as typeof parsed;
  } catch (error) {
    throw deviceError(DeviceErrorCode.invalid, `${path} does not open with this device key`, { cause: String(error instanceof Error ? error.message : error) });
  } finally {
    key.fill(0);
  }
  return {
    keypad: { pairingKey: fromHex(parsed.keypad.pairingKey), counter: BigInt(parsed.keypad.counter) },
    sensor: { pairingKey: fromHex(parsed.sensor.pairingKey), counter: BigInt(parsed.sensor.counter) },
  };
}
