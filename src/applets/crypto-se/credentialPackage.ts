import type { KeyObject } from 'node:crypto';
import { utf8 } from '../../lib/bytes.js';
import { importECP256PublicKey, signECDSAP256, type RandomSource } from '../../lib/crypto/index.js';
import { TesseraError } from '../../lib/errors.js';
import { isPlausiblePAN } from '../../lib/luhn.js';
import { encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import { packDigits } from './bcd.js';
import { CREDENTIAL_SLOT_MAX, CREDENTIAL_SLOT_MIN, CRYPTO_SE_TAG, ECIES_CREDENTIAL_INFO } from './constants.js';
import { credentialPackageAdditionalData, credentialPackageMessage, encodePANField } from './credentials.js';
import { sealECIES } from './ecies.js';
import { emvKeyNodes, type CredentialEMVKeys } from './personalizationData.js';
import { CryptoSEErrorCode } from './errors.js';
import { encodeCounter } from './store.js';

/**
 * The TSM's side of OTA credential deployment (seed 000 [0060]-[0062]): the SP's PAN, expiry and
 * CVV, encrypted to the device key with ECIES and signed by the TSM. README.md "Credential
 * package" specifies the bytes; STORE CREDENTIAL PACKAGE is the card's side.
 */
export interface CredentialPackageInput {
  /** The device key (uncompressed point, from the device certificate or GET PUBLIC KEY). */
  readonly devicePublicKey: Uint8Array;
  /** The TSM key whose public half the card was personalized with. */
  readonly tsmPrivateKey: KeyObject;
  /** Above every counter this device has accepted (the TSM keeps one per device). */
  readonly counter: bigint;
  readonly credentialSlot: number;
  readonly pan: string;
  /** YYMMDD. */
  readonly expiry: string;
  readonly cvv?: string;
  /** The issuer's EMV keys for this card, so the Crypto SE can make application cryptograms. */
  readonly emv?: CredentialEMVKeys;
  readonly random: RandomSource;
}

function invalid(message: string): TesseraError {
  return new TesseraError(CryptoSEErrorCode.input, message);
}

export function sealCredentialPackage(input: CredentialPackageInput): Uint8Array {
  if (!isPlausiblePAN(input.pan)) throw invalid('expected a Luhn-valid PAN of 12-19 digits');
  if (!/^[0-9]{6}$/.test(input.expiry)) throw invalid('expected the expiry as YYMMDD');
  if (input.cvv !== undefined && !/^[0-9]{3,4}$/.test(input.cvv)) throw invalid('expected a CVV of 3-4 digits');
  if (input.credentialSlot < CREDENTIAL_SLOT_MIN || input.credentialSlot > CREDENTIAL_SLOT_MAX) throw invalid(`expected a credential slot ${CREDENTIAL_SLOT_MIN}-${CREDENTIAL_SLOT_MAX}`);
  const counter = encodeCounter(input.counter);
  const plaintextNodes: TLVNode[] = [
    primitiveNode(CRYPTO_SE_TAG.pan, encodePANField(input.pan)),
    primitiveNode(CRYPTO_SE_TAG.expiry, packDigits(input.expiry)),
  ];
  if (input.cvv !== undefined) plaintextNodes.push(primitiveNode(CRYPTO_SE_TAG.cvv, utf8(input.cvv)));
  plaintextNodes.push(...emvKeyNodes(input.emv));
  const ciphertext = sealECIES(
    importECP256PublicKey(input.devicePublicKey), encodeTLV(plaintextNodes), ECIES_CREDENTIAL_INFO,
    credentialPackageAdditionalData(counter, input.credentialSlot), input.random,
  );
  const signedPart = encodeTLV([
    primitiveNode(CRYPTO_SE_TAG.packageCounter, counter),
    primitiveNode(CRYPTO_SE_TAG.packageSlot, Uint8Array.of(input.credentialSlot)),
    primitiveNode(CRYPTO_SE_TAG.packageCiphertext, ciphertext),
  ]);
  const signature = signECDSAP256(input.tsmPrivateKey, credentialPackageMessage(signedPart), 'der');
  return encodeTLV([
    primitiveNode(CRYPTO_SE_TAG.packageCounter, counter),
    primitiveNode(CRYPTO_SE_TAG.packageSlot, Uint8Array.of(input.credentialSlot)),
    primitiveNode(CRYPTO_SE_TAG.packageCiphertext, ciphertext),
    primitiveNode(CRYPTO_SE_TAG.signature, signature),
  ]);
}
