/**
 * node:crypto returns Buffers, often views into a shared pool. Callers get a fresh Uint8Array of
 * exactly their bytes instead, so no pooled memory escapes and bytes compare as plain Uint8Arrays.
 */
export function toBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

/** Joins cipher `update` and `final` outputs into one fresh Uint8Array. */
export function toBytesJoined(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}
