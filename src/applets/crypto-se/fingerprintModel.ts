import type { RandomSource } from '../../lib/crypto/index.js';
import { BIOMETRIC_FEATURES_BYTES } from './constants.js';

/**
 * The modelled fingerprint sensor (README.md "Biometrics"). A finger is a fixed vector of 64
 * independent features, uniform integers in [-100, 100]; a presentation of it adds Gaussian noise
 * whose standard deviation is drawn per presentation, uniform in [5, 45] (a clean press at the low
 * end, a smudged or off-centre one at the high end), then clamps to int8. A different finger is an
 * independent vector. The device's sensor and the false-accept/false-reject measurement both use
 * this model, so the documented rates are those of the running system.
 */
export const MODEL_FEATURE_AMPLITUDE = 100;
export const MODEL_NOISE_SD_MIN = 5;
export const MODEL_NOISE_SD_MAX = 45;

/** A uniform number in [0, 1) from 32 random bits. */
function uniform(random: RandomSource): number {
  const bytes = random.bytes(4);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) / 2 ** 32;
}

/** A standard normal draw (Box-Muller, one of the pair). */
function gaussian(random: RandomSource): number {
  const u = Math.max(uniform(random), Number.MIN_VALUE);
  const v = uniform(random);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A new finger: what the sensor would read with no noise at all. */
export function createModelFinger(random: RandomSource): Int8Array {
  return Int8Array.from({ length: BIOMETRIC_FEATURES_BYTES }, () => Math.floor(uniform(random) * (2 * MODEL_FEATURE_AMPLITUDE + 1)) - MODEL_FEATURE_AMPLITUDE);
}

/** One presentation of `finger` to the sensor: the 64 feature bytes it sends through the tunnel. */
export function presentModelFinger(finger: Int8Array, random: RandomSource): Uint8Array {
  const noise = MODEL_NOISE_SD_MIN + uniform(random) * (MODEL_NOISE_SD_MAX - MODEL_NOISE_SD_MIN);
  const sample = Int8Array.from(finger, (feature) => Math.max(-128, Math.min(127, Math.round(feature + gaussian(random) * noise))));
  return new Uint8Array(sample.buffer);
}
