import type { KeyObject } from 'node:crypto';
import { exportECP256PublicKey, verifyECDSAP256 } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { decodeTLV, encodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import { unpackDigits } from './bcd.js';
import { CRYPTO_SE_TAG, ECIES_PAYMENT_INFO } from './constants.js';
import { openECIES } from './ecies.js';
import { CryptoSEErrorCode } from './errors.js';
import { paymentAdditionalData } from './payment.js';
import { decodeCounter } from './store.js';

/**
 * The receiving side of AUTHORIZE PAYMENT (payment platform, acquirer or issuer): parse the signed
 * payment record, verify it against the device key (from the device certificate), and open the
 * credential with the payment recipient's private key.
 */
export interface PaymentAuthorization {
  /** The 'F0' record exactly as signed. */
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly amountMinor: number;
  /** ISO 4217 numeric, three digits. */
  readonly currencyNumeric: string;
  readonly unpredictableNumber: Uint8Array;
  readonly credentialSlot: number;
  readonly transactionCounter: bigint;
  readonly cardTimeMs: number;
  readonly panLastFour: string;
  readonly encryptedCredential: Uint8Array;
  /** The raw fields the ECIES additional data is made of. */
  readonly fields: { readonly counter: Uint8Array; readonly time: Uint8Array; readonly amount: Uint8Array; readonly currency: Uint8Array };
}

function malformed(message: string): TesseraError {
  return new TesseraError(CryptoSEErrorCode.response, message);
}

function field(nodes: readonly TLVNode[], tag: number): Uint8Array {
  const node = nodes.find((candidate) => candidate.tag === tag);
  if (node === undefined || node.constructed) throw malformed(`payment record without data object ${tag.toString(16).toUpperCase()}`);
  return node.value;
}

export function parsePaymentAuthorization(response: Uint8Array): PaymentAuthorization {
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(response, { padding: 'reject', lengths: 'minimal' });
  } catch (cause) {
    throw new TesseraError(CryptoSEErrorCode.response, 'payment authorization is not BER-TLV', { cause });
  }
  const [recordNode, signatureNode] = nodes;
  if (nodes.length !== 2 || recordNode?.tag !== CRYPTO_SE_TAG.paymentRecord || !recordNode.constructed || signatureNode?.tag !== CRYPTO_SE_TAG.signature) {
    throw malformed('expected an F0 record and a 9E signature');
  }
  const children = recordNode.children;
  const counter = field(children, CRYPTO_SE_TAG.transactionCounter);
  const time = field(children, CRYPTO_SE_TAG.cardTime);
  const amount = field(children, CRYPTO_SE_TAG.amountAuthorized);
  const currency = field(children, CRYPTO_SE_TAG.currencyCode);
  return {
    record: encodeTLV([recordNode]),
    signature: signatureNode.value,
    amountMinor: Number(unpackDigits(amount)),
    currencyNumeric: unpackDigits(currency).slice(1),
    unpredictableNumber: field(children, CRYPTO_SE_TAG.unpredictableNumber),
    credentialSlot: field(children, CRYPTO_SE_TAG.credentialSlot)[0] ?? 0,
    transactionCounter: decodeCounter(counter),
    cardTimeMs: Number(decodeCounter(time)),
    panLastFour: new TextDecoder().decode(field(children, CRYPTO_SE_TAG.panLastFour)),
    encryptedCredential: field(children, CRYPTO_SE_TAG.encryptedCredential),
    fields: { counter, time, amount, currency },
  };
}

export function verifyPaymentAuthorization(devicePublicKey: KeyObject, authorization: PaymentAuthorization): boolean {
  return verifyECDSAP256(devicePublicKey, authorization.record, authorization.signature, 'der');
}

/** Opens the credential ('5A' PAN, '5F24' expiry) with the payment recipient's private key. */
export function openPaymentCredential(recipientPrivateKey: KeyObject, recipientPublicKey: KeyObject, authorization: PaymentAuthorization): { pan: string; expiry: string } {
  const { counter, time, amount, currency } = authorization.fields;
  const plaintext = openECIES(
    recipientPrivateKey, exportECP256PublicKey(recipientPublicKey), authorization.encryptedCredential, ECIES_PAYMENT_INFO,
    paymentAdditionalData(counter, time, amount, currency, authorization.unpredictableNumber),
  );
  const nodes = decodeTLV(plaintext);
  const pan = unpackDigits(field(nodes, CRYPTO_SE_TAG.pan));
  return { pan: pan.endsWith('F') ? pan.slice(0, -1) : pan, expiry: unpackDigits(field(nodes, CRYPTO_SE_TAG.expiry)) };
}
