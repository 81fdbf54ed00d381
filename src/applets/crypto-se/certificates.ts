import { bytesEqual, concatBytes } from '../../lib/bytes.js';
import { importECP256PublicKey, verifyECDSAP256 } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { lengthToBytes } from '../../lib/tlv/length.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import {
  BLOCK_LAST, BLOCK_NUMBER_MASK, BLOCKS_MAX, CERTIFICATE_BYTES_MAX, CERTIFICATE_READ_CHUNK_BYTES, CERTIFICATE_SLOT_MAX, DEVICE_CERTIFICATE_SLOT,
  DEVICE_KEY_SLOT, ROOT_CA_CERTIFICATE_SLOT,
} from './constants.js';
import { notAllowed, refuse } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';
import { containsBytes } from './containsBytes.js';

/**
 * The certificate store: DER X.509 certificates by slot. Slot 00 holds the TSM root CA certificate
 * and is written only by personalization; slots 01-07 are written with STORE CERTIFICATE, which
 * accepts only a certificate the TSM key signed (ecdsa-with-SHA256 over tbsCertificate, RFC 5280
 * §4.1.1.3). Slot 01 is the device certificate: it must also carry the device public key, and
 * storing it completes registration.
 *
 * The card does not interpret names, validity or extensions (a chip-sized X.509 parser is a
 * liability): it walks the outer DER structure only, to find what the signature covers.
 */

/** ecdsa-with-SHA256, 1.2.840.10045.4.3.2 (RFC 5758 §3.2), as the content octets of its OID. */
const ECDSA_WITH_SHA256_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
const DER_SEQUENCE = 0x30;
const DER_BIT_STRING = 0x03;
const DER_OID = 0x06;
const OFFSET_BYTES = 2;

interface SignedCertificate {
  readonly toBeSigned: Uint8Array;
  readonly signature: Uint8Array;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
function splitCertificate(der: Uint8Array): SignedCertificate {
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(der, { padding: 'reject', lengths: 'minimal' });
  } catch {
    return refuse(StatusWord.incorrectData, 'not DER');
  }
  const certificate = nodes[0];
  if (nodes.length !== 1 || certificate === undefined || certificate.tag !== DER_SEQUENCE || !certificate.constructed) {
    return refuse(StatusWord.incorrectData, 'not one DER SEQUENCE');
  }
  const [tbs, algorithm, signatureValue] = certificate.children;
  if (certificate.children.length !== 3 || tbs?.tag !== DER_SEQUENCE || algorithm?.tag !== DER_SEQUENCE || !algorithm.constructed || signatureValue?.tag !== DER_BIT_STRING) {
    return refuse(StatusWord.incorrectData, 'not an X.509 certificate');
  }
  const oid = algorithm.children[0];
  if (oid?.tag !== DER_OID || !bytesEqual(oid.value, ECDSA_WITH_SHA256_OID)) return notAllowed('not signed with ecdsa-with-SHA256');
  if (signatureValue.value[0] !== 0x00) return refuse(StatusWord.incorrectData, 'a signature BIT STRING has no unused bits');
  // Minimal lengths were required above, so re-encoding the header gives the bytes as received.
  const toBeSigned = concatBytes(Uint8Array.of(DER_SEQUENCE), lengthToBytes(tbs.value.length), tbs.value);
  return { toBeSigned, signature: signatureValue.value.subarray(1) };
}


function requireIssuedByTSM(store: CryptoSEStore, der: Uint8Array, slot: number): void {
  const tsmPoint = store.get(STORE.tsmPublicKey);
  if (tsmPoint === undefined) refuse(StatusWord.conditionsOfUseNotSatisfied, 'no TSM key personalized');
  const { toBeSigned, signature } = splitCertificate(der);
  if (!verifyECDSAP256(importECP256PublicKey(tsmPoint), toBeSigned, signature, 'der')) notAllowed('the certificate is not signed by the TSM');
  if (slot === DEVICE_CERTIFICATE_SLOT) {
    const devicePoint = store.get(STORE.publicKey(DEVICE_KEY_SLOT));
    if (devicePoint === undefined || !containsBytes(toBeSigned, devicePoint)) notAllowed('the certificate is not for the device key');
  }
}

/** STORE CERTIFICATE (P1 = slot 01-07, P2 = b8 last block ‖ block number): DER in blocks. */
export function storeCertificate(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  const slot = command.p1;
  const block = command.p2 & BLOCK_NUMBER_MASK;
  if (slot > CERTIFICATE_SLOT_MAX || block >= BLOCKS_MAX) return { sw: StatusWord.incorrectP1P2 };
  if (slot === ROOT_CA_CERTIFICATE_SLOT) return notAllowed('the root CA certificate comes only from personalization');
  if (command.data.length === 0) return { sw: StatusWord.wrongLength };
  let previous: Uint8Array = new Uint8Array(0);
  if (block > 0) {
    const pending = store.sessionValue(STORE.certificatePending);
    if (pending === undefined || pending[0] !== slot || pending[1] !== block) return { sw: StatusWord.incorrectP1P2 };
    previous = pending.subarray(2);
  } else {
    store.sessionId();
  }
  const der = concatBytes(previous, command.data);
  if (der.length > CERTIFICATE_BYTES_MAX) return { sw: StatusWord.notEnoughMemory };
  if ((command.p2 & BLOCK_LAST) === 0) {
    store.setSessionValue(STORE.certificatePending, concatBytes(Uint8Array.of(slot, block + 1), der));
    return { sw: StatusWord.noError };
  }
  store.delete(STORE.certificatePending);
  requireIssuedByTSM(store, der, slot);
  store.set(STORE.certificate(slot), der);
  if (slot === DEVICE_CERTIFICATE_SLOT) store.setByte(STORE.registered, 1);
  return { sw: StatusWord.noError };
}

/** READ CERTIFICATE (P1 = slot, data = 2-byte offset): up to 240 bytes from the offset. */
export function readCertificate(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 > CERTIFICATE_SLOT_MAX || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== 0 && command.data.length !== OFFSET_BYTES) return { sw: StatusWord.wrongLength };
  const der = store.get(STORE.certificate(command.p1));
  if (der === undefined) return { sw: StatusWord.referencedDataNotFound };
  const offset = ((command.data[0] ?? 0) << 8) | (command.data[1] ?? 0);
  if (offset > der.length) return { sw: StatusWord.wrongP1P2 };
  return { data: der.slice(offset, offset + CERTIFICATE_READ_CHUNK_BYTES), sw: StatusWord.noError };
}

/** Personalization 'E4' { 'C1' slot, 'C2' offset, 'C3' bytes }: offset 0 replaces, else appends. */
export function personalizeCertificateChunk(store: CryptoSEStore, slot: number, offset: number, chunk: Uint8Array): void {
  if (slot > CERTIFICATE_SLOT_MAX || slot === DEVICE_CERTIFICATE_SLOT) refuse(StatusWord.incorrectData, 'personalization writes slot 00 and 02-07');
  const current = offset === 0 ? new Uint8Array(0) : store.get(STORE.certificate(slot)) ?? new Uint8Array(0);
  if (offset !== current.length) refuse(StatusWord.incorrectData, 'certificate chunk out of sequence');
  const next = concatBytes(current, chunk);
  if (next.length > CERTIFICATE_BYTES_MAX) refuse(StatusWord.notEnoughMemory, `a certificate is at most ${CERTIFICATE_BYTES_MAX} bytes`);
  store.set(STORE.certificate(slot), next);
}
