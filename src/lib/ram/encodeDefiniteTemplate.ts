import { concatBytes } from '../bytes.js';
import { lengthToBytes } from '../tlv/length.js';
import { ramLimit } from './errors.js';
import { RAM_SCRIPT_BYTES_MAX } from './limits.js';

/** One data object with a one-byte tag and a minimal definite length (ISO/IEC 8825-1 §8.1.3). */
export function encodeItem(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), lengthToBytes(value.length), value);
}

/** `tag L items…` with a minimal definite length, refused when the result exceeds RAM_SCRIPT_BYTES_MAX. */
export function encodeDefiniteTemplate(tag: number, items: readonly Uint8Array[]): Uint8Array {
  const content = concatBytes(...items);
  const template = concatBytes(Uint8Array.of(tag), lengthToBytes(content.length), content);
  if (template.length > RAM_SCRIPT_BYTES_MAX) {
    throw ramLimit(`the script would have ${template.length} bytes; at most ${RAM_SCRIPT_BYTES_MAX} are allowed`, 0);
  }
  return template;
}
