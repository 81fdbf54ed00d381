import { gpLimit, gpMalformed } from './gpError.js';
import { OBJECT_IDENTIFIER_ARCS_MAX } from './limits.js';

/**
 * Object identifier contents (X.690 §8.19): the first two arcs in one subidentifier (40 * a + b),
 * then each arc in base 128, high bit set on every byte but the last, no leading '80' byte.
 * Arcs are bounded to 2^48 so every value is a safe integer.
 */

const ARC_MAX = 2 ** 48;
const SEVEN_BITS = 128;

function subidentifiers(received: Uint8Array): number[] {
  const values: number[] = [];
  let value = 0;
  let inArc = false;
  for (const byte of received) {
    if (!inArc && byte === 0x80) throw gpMalformed('object identifier: a subidentifier starts with 80 (X.690 §8.19.2)');
    value = value * SEVEN_BITS + (byte & 0x7f);
    if (value >= ARC_MAX) throw gpLimit('object identifier: an arc exceeds 2^48');
    inArc = (byte & 0x80) !== 0;
    if (!inArc) {
      if (values.length === OBJECT_IDENTIFIER_ARCS_MAX) throw gpLimit(`object identifier: more than ${OBJECT_IDENTIFIER_ARCS_MAX} arcs`);
      values.push(value);
      value = 0;
    }
  }
  if (inArc || values.length === 0) throw gpMalformed('object identifier: empty, or ends inside a subidentifier');
  return values;
}

/** The arcs of an OID's contents octets. */
export function decodeObjectIdentifier(received: Uint8Array): number[] {
  const [first, ...rest] = subidentifiers(received);
  const head = first as number;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - 40 * top, ...rest];
}

function encodeSubidentifier(value: number): number[] {
  const bytes = [value % SEVEN_BITS];
  let rest = Math.floor(value / SEVEN_BITS);
  while (rest > 0) {
    bytes.unshift((rest % SEVEN_BITS) | 0x80);
    rest = Math.floor(rest / SEVEN_BITS);
  }
  return bytes;
}

export function encodeObjectIdentifier(arcs: readonly number[]): Uint8Array {
  const [top, second, ...rest] = arcs;
  if (top === undefined || second === undefined || arcs.length > OBJECT_IDENTIFIER_ARCS_MAX) {
    throw gpMalformed(`an object identifier has 2 to ${OBJECT_IDENTIFIER_ARCS_MAX} arcs`);
  }
  for (const arc of arcs) {
    if (!Number.isInteger(arc) || arc < 0 || arc >= ARC_MAX) throw gpMalformed(`object identifier arc ${String(arc)} is not an integer from 0 to 2^48`);
  }
  if (top > 2 || (top < 2 && second > 39) || 40 * top + second >= ARC_MAX) throw gpMalformed('object identifier: invalid first two arcs');
  return Uint8Array.from([...encodeSubidentifier(40 * top + second), ...rest.flatMap(encodeSubidentifier)]);
}

export function objectIdentifierToString(arcs: readonly number[]): string {
  return arcs.join('.');
}

export function objectIdentifierFromString(text: string): number[] {
  if (!/^\d+(\.\d+)+$/.test(text)) throw gpMalformed('expected a dotted object identifier');
  return text.split('.').map(Number);
}
