import { concatBytes } from '../../lib/bytes.js';
import { signECDSAP256 } from '../../lib/crypto/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { encodeTLV, primitiveNode } from '../../lib/tlv/index.js';
import type { AppletCommand, AppletResponse } from '../../card/types.js';
import { CRYPTO_SE_TAG, DEVICE_KEY_SLOT, PAYMENT_ATTESTATION_RECORD_BYTES, VERIFICATION_VALIDITY_MS } from './constants.js';
import { loadPrivateKey } from './keys.js';
import { encodePaymentAttestationRecord, paymentAttestationMessage } from './paymentAttestationRecord.js';
import { decodeCounter, encodeCounter, STORE, type CryptoSEStore } from './store.js';

/**
 * The payment attestation (seed 000 [0090], the fraud feed; README.md "Payment attestation"): at
 * every GENERATE AC made under a user verification, the card signs a small fixed record — last
 * four digits, ATC, date, the cryptogram, its own attestation counter — with the device key the
 * TSM certified, and keeps it for the host to read once (GET PAYMENT ATTESTATION) and deliver to
 * the TSM. Nothing in it is secret; what it must not carry (amount, PAN, merchant) it does not.
 */

const ATTESTATION_COUNTER_MAX = 0xffff_ffff_ffff_ffffn;
const MADE_AT_BYTES = 8;

/** YYMMDD of the card clock, UTC (the '9A' format). */
function cardDateDigits(nowMs: number): string {
  const date = new Date(nowMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

/**
 * Called by GENERATE AC after it has counted the ATC and used up the verification: signs and keeps
 * the attestation in this session, replacing any earlier one. A card without a device key has no
 * certificate for the TSM to check against, so it makes none (and GENERATE AC works as before).
 */
export function makePaymentAttestation(store: CryptoSEStore, transaction: { readonly lastFour: string; readonly atc: number; readonly cryptogram: Uint8Array }): void {
  const privateKey = loadPrivateKey(store, DEVICE_KEY_SLOT);
  if (privateKey === undefined) {
    store.delete(STORE.attestationPending);
    return;
  }
  const counter = store.counter(STORE.attestationCounter) + 1n;
  // 2^64 attestations cannot happen; if they did, stop attesting rather than wrap and look like a replay.
  if (counter > ATTESTATION_COUNTER_MAX) return;
  store.setCounter(STORE.attestationCounter, counter);
  const now = store.now();
  const record = encodePaymentAttestationRecord({
    lastFour: transaction.lastFour, atc: transaction.atc, transactionDate: cardDateDigits(now), cryptogram: transaction.cryptogram, counter,
  });
  const signature = signECDSAP256(privateKey, paymentAttestationMessage(record), 'der');
  store.setSessionValue(STORE.attestationPending, concatBytes(encodeCounter(BigInt(now)), record, signature));
}

/**
 * GET PAYMENT ATTESTATION (P1 P2 = 00 00, no data): the attestation the last GENERATE AC of this
 * session made, once — the answer deletes it (committed with 9000). No ACL entry and no new user
 * verification: its only authority is the GENERATE AC that made it, which needed the payment
 * application's `authorize-payment` grant and used up the user's verification; so it is readable
 * only in that session and within the verification's validity after it was made. Else 6A88.
 */
export function getPaymentAttestation(store: CryptoSEStore, command: AppletCommand): AppletResponse {
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  if (command.data.length !== 0) return { sw: StatusWord.wrongLength };
  store.sessionId();
  const pending = store.sessionValue(STORE.attestationPending);
  if (pending === undefined || pending.length <= MADE_AT_BYTES + PAYMENT_ATTESTATION_RECORD_BYTES) return { sw: StatusWord.referencedDataNotFound };
  const madeAt = Number(decodeCounter(pending.subarray(0, MADE_AT_BYTES)));
  if (store.now() - madeAt > VERIFICATION_VALIDITY_MS) return { sw: StatusWord.referencedDataNotFound };
  const record = pending.subarray(MADE_AT_BYTES, MADE_AT_BYTES + PAYMENT_ATTESTATION_RECORD_BYTES);
  const signature = pending.subarray(MADE_AT_BYTES + PAYMENT_ATTESTATION_RECORD_BYTES);
  store.delete(STORE.attestationPending);
  return {
    data: encodeTLV([primitiveNode(CRYPTO_SE_TAG.attestationRecord, record.slice()), primitiveNode(CRYPTO_SE_TAG.signature, signature.slice())]),
    sw: StatusWord.noError,
  };
}
