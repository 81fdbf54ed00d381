import { presentModelFinger, TUNNEL_SOURCE } from '../../applets/crypto-se/client.js';
import type { RandomSource } from '../../lib/crypto/index.js';
import type { FingerprintSensor, ModelFinger } from '../types.js';
import { PairedPeripheral, type PeripheralSecrets } from './pairedPeripheral.js';

/**
 * MODEL of the fingerprint sensor: the Crypto SE applet's sensor model (64 features plus
 * per-presentation Gaussian noise; FRR/FAR measured in its README), sealed through the tunnel.
 * A real sensor driver would capture the image, extract the features in the sensor's secure
 * controller and hand the OS the same kind of sealed blob.
 */
export class FingerprintSensorModel extends PairedPeripheral implements FingerprintSensor {
  readonly #random: RandomSource;

  constructor(secrets: PeripheralSecrets, persist: () => void, random: RandomSource) {
    super(TUNNEL_SOURCE.sensor, secrets, persist);
    this.#random = random;
  }

  capture(finger: ModelFinger): Uint8Array {
    return this.sealForCryptoSE(presentModelFinger(finger, this.#random));
  }
}
