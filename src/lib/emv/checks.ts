import { emvInputError } from './errors.js';
import { EMV_KEY_BYTES } from './limits.js';

/**
 * Input checks for the EMV functions. They report the expected and received length or form only,
 * never a value: keys and cryptograms are secret, and a PAN is personal data.
 */

export function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw emvInputError(`expected ${name} as a Uint8Array`);
}

export function requireLength(value: unknown, expectedLengthBytes: number, name: string): asserts value is Uint8Array {
  requireBytes(value, name);
  if (value.length !== expectedLengthBytes) {
    throw emvInputError(`expected ${name} of ${expectedLengthBytes} bytes, received ${value.length}`);
  }
}

export function requireLengthInRange(value: unknown, minimumBytes: number, maximumBytes: number, name: string): asserts value is Uint8Array {
  requireBytes(value, name);
  if (value.length < minimumBytes || value.length > maximumBytes) {
    throw emvInputError(`expected ${name} of ${minimumBytes} to ${maximumBytes} bytes, received ${value.length}`);
  }
}

/** Every EMV DES key here is double length, K_L || K_R (EMV Book 2 Annex A1.3, A1.4). */
export function requireKey(value: unknown, name: string): asserts value is Uint8Array {
  requireLength(value, EMV_KEY_BYTES, name);
}

export function requireIntegerInRange(value: unknown, minimum: number, maximum: number, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw emvInputError(`expected ${name} to be an integer from ${minimum} to ${maximum}`);
  }
}
