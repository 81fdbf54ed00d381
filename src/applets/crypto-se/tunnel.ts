import { concatBytes } from '../../lib/bytes.js';
import { AES_GCM_IV_BYTES, AES_GCM_TAG_BYTES, openAESGCM, sealAESGCM } from '../../lib/crypto/index.js';
import { LibErrorCode, TesseraError } from '../../lib/errors.js';
import { PAIRING_KEY_BYTES, TUNNEL_COUNTER_BYTES, TUNNEL_INPUT_BYTES_MAX, TUNNEL_SOURCE } from './constants.js';
import { notAllowed } from './refusal.js';
import { encodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * The secure input tunnel (seed 000 [0047]-[0050]): the keypad and the biometric sensor each share
 * an AES-256 pairing key with the Crypto SE, set at manufacture. A peripheral seals each input:
 *
 *   blob = source (1) ‖ counter (8, big-endian) ‖ AES-256-GCM ciphertext ‖ tag (16)
 *   IV   = source (1) ‖ 00 00 00 ‖ counter (8)          (SP 800-38D §8.2.1 deterministic IV)
 *   AAD  = source (1) ‖ counter (8)
 *
 * The counter travels in clear and must grow with every input, so the IV never repeats under one
 * key; the card keeps the last counter it accepted per source and refuses anything not above it.
 * The host and the App SE relay the blob and can read nothing but the source and the counter.
 */

const TUNNEL_HEADER_BYTES = 1 + TUNNEL_COUNTER_BYTES;
export const TUNNEL_BLOB_BYTES_MAX = TUNNEL_HEADER_BYTES + TUNNEL_INPUT_BYTES_MAX + AES_GCM_TAG_BYTES;
const TUNNEL_COUNTER_MAX = 0xffff_ffff_ffff_ffffn;

function tunnelIV(sourceId: number, counter: Uint8Array): Uint8Array {
  const iv = new Uint8Array(AES_GCM_IV_BYTES);
  iv[0] = sourceId;
  iv.set(counter, AES_GCM_IV_BYTES - TUNNEL_COUNTER_BYTES);
  return iv;
}

function isTunnelSource(value: number): boolean {
  return value === TUNNEL_SOURCE.keypad || value === TUNNEL_SOURCE.sensor;
}

/**
 * Peripheral side: seals one input for the Crypto SE. `counter` must be above every counter this
 * peripheral used before (the peripheral keeps it in its own non-volatile memory).
 */
export function sealTunnelInput(pairingKey: Uint8Array, sourceId: number, counter: bigint | number, input: Uint8Array): Uint8Array {
  if (pairingKey.length !== PAIRING_KEY_BYTES) throw new TesseraError(LibErrorCode.cryptoInput, `expected a ${PAIRING_KEY_BYTES}-byte pairing key`);
  if (!isTunnelSource(sourceId)) throw new TesseraError(LibErrorCode.cryptoInput, `expected tunnel source 01 (keypad) or 02 (sensor), received ${sourceId}`);
  const value = BigInt(counter);
  if (value < 1n || value > TUNNEL_COUNTER_MAX) throw new TesseraError(LibErrorCode.cryptoInput, 'expected a tunnel counter from 1 to 2^64-1');
  if (input.length > TUNNEL_INPUT_BYTES_MAX) throw new TesseraError(LibErrorCode.cryptoInput, `tunnel input is at most ${TUNNEL_INPUT_BYTES_MAX} bytes`);
  const counterBytes = encodeCounter(value);
  const header = concatBytes(Uint8Array.of(sourceId), counterBytes);
  const iv = tunnelIV(sourceId, counterBytes);
  const sealed = sealAESGCM(pairingKey, input, header, { bytes: () => iv.slice() });
  return concatBytes(header, sealed.subarray(AES_GCM_IV_BYTES));
}

/** The source and counter a relay can see in a blob (and nothing else). */
export function tunnelBlobHeader(blob: Uint8Array): { readonly sourceId: number; readonly counter: bigint } | undefined {
  if (blob.length < TUNNEL_HEADER_BYTES + AES_GCM_TAG_BYTES) return undefined;
  return { sourceId: blob[0] ?? 0, counter: new DataView(blob.buffer, blob.byteOffset + 1, TUNNEL_COUNTER_BYTES).getBigUint64(0) };
}

/**
 * Card side: opens a blob from `expectedSource` and records its counter. Every failure — wrong
 * source, unknown pairing, replayed or old counter, wrong key, tampering — answers 6982 alike.
 */
export function openTunnelInput(store: CryptoSEStore, expectedSource: number, received: Uint8Array): Uint8Array {
  const blob = received.slice();
  const header = tunnelBlobHeader(blob);
  if (header === undefined || blob.length > TUNNEL_BLOB_BYTES_MAX) return notAllowed('tunnel blob of the wrong size');
  if (header.sourceId !== expectedSource) return notAllowed('tunnel blob from another source');
  const pairingKey = store.getSealed(STORE.pairingKey(expectedSource));
  if (pairingKey === undefined) return notAllowed('tunnel source not paired');
  if (header.counter <= store.counter(STORE.tunnelCounter(expectedSource))) return notAllowed('tunnel counter replayed or old');
  const counterBytes = blob.subarray(1, TUNNEL_HEADER_BYTES);
  let input: Uint8Array;
  try {
    input = openAESGCM(pairingKey, concatBytes(tunnelIV(expectedSource, counterBytes), blob.subarray(TUNNEL_HEADER_BYTES)), blob.subarray(0, TUNNEL_HEADER_BYTES));
  } catch {
    return notAllowed('tunnel blob does not open');
  } finally {
    pairingKey.fill(0);
  }
  store.setCounter(STORE.tunnelCounter(expectedSource), header.counter);
  return input;
}
