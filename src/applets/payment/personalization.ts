import { StatusWord } from '../../lib/status-words.js';
import { decodeDOL, decodeTLV, type TLVNode } from '../../lib/tlv/index.js';
import type { AppletContext } from '../../card/types.js';
import { EMV_TAG, LABEL_BYTES_MAX, PAYMENT_PERSONALIZATION_TAG, PDOL_DATA_BYTES_MAX } from './constants.js';

/**
 * Personalization of the payment application (STORE DATA after INSTALL [for personalization],
 * through its security domain's secure channel). Each block is complete BER-TLV and is applied
 * whole or refused whole with '6A80'. README.md "Personalization" lists the data objects.
 */

/** Credential slots of the Crypto SE (its README: slots 1-4). */
const CREDENTIAL_SLOT_MIN = 1;
const CREDENTIAL_SLOT_MAX = 4;
const KEY_ID_BYTES_MAX = 32;
const CARDHOLDER_NAME_BYTES_MAX = 26;
/** CDOL1 data travels inside a PERFORM CARD APDU of at most 255 bytes, with room for the rest. */
export const CDOL1_DATA_BYTES_MAX = 128;
/** Largest cardholder verification requirement the Crypto SE knows ('03': PIN and finger). */
const CVM_MAX = 0x03;

export function settingKey(tag: number): string {
  return `perso.${tag.toString(16)}`;
}

function dolTotal(value: Uint8Array): number | undefined {
  try {
    return decodeDOL(value).reduce((sum, entry) => sum + entry.length, 0);
  } catch {
    return undefined;
  }
}

const VALIDATORS: ReadonlyMap<number, (value: Uint8Array) => boolean> = new Map([
  [EMV_TAG.applicationLabel, (value: Uint8Array) => value.length >= 1 && value.length <= LABEL_BYTES_MAX && value.every((byte) => byte >= 0x20 && byte <= 0x7e)],
  [EMV_TAG.applicationPriority, (value: Uint8Array) => value.length === 1],
  [EMV_TAG.cardholderName, (value: Uint8Array) => value.length >= 2 && value.length <= CARDHOLDER_NAME_BYTES_MAX && value.every((byte) => byte >= 0x20 && byte <= 0x7e)],
  [EMV_TAG.aip, (value: Uint8Array) => value.length === 2],
  [EMV_TAG.cdol1, (value: Uint8Array) => {
    const total = dolTotal(value);
    return total !== undefined && total > 0 && total <= CDOL1_DATA_BYTES_MAX;
  }],
  [EMV_TAG.pdol, (value: Uint8Array) => {
    const total = dolTotal(value);
    return total !== undefined && total <= PDOL_DATA_BYTES_MAX;
  }],
  [PAYMENT_PERSONALIZATION_TAG.credentialSlot, (value: Uint8Array) => value.length === 1 && (value[0] ?? 0) >= CREDENTIAL_SLOT_MIN && (value[0] ?? 0) <= CREDENTIAL_SLOT_MAX],
  [PAYMENT_PERSONALIZATION_TAG.callerKeyId, (value: Uint8Array) => value.length >= 1 && value.length <= KEY_ID_BYTES_MAX],
  [PAYMENT_PERSONALIZATION_TAG.cvm, (value: Uint8Array) => value.length === 1 && (value[0] ?? 0xff) <= CVM_MAX],
]);

/** The data objects of a personalization block or of the install parameters, all valid, or undefined. */
function validSettings(data: Uint8Array): TLVNode[] | undefined {
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(data, { padding: 'reject', lengths: 'minimal', depthMax: 2 });
  } catch {
    return undefined;
  }
  const seen = new Set<number>();
  for (const node of nodes) {
    const isValid = VALIDATORS.get(node.tag);
    if (isValid === undefined || node.constructed || seen.has(node.tag) || !isValid(node.value)) return undefined;
    seen.add(node.tag);
  }
  return nodes;
}

/**
 * A setting given at INSTALL [for install] in the application-specific parameters (tag C9), in
 * the personalization format: how the TSM's catalogue sets the slot and signing key id of an
 * application it installs. Invalid install parameters count as none.
 */
export function installSetting(installParameters: Uint8Array, tag: number): Uint8Array | undefined {
  if (installParameters.length === 0) return undefined;
  const node = validSettings(installParameters)?.find((candidate) => candidate.tag === tag);
  return node === undefined || node.constructed ? undefined : node.value;
}

export function personalizePaymentApplication(data: Uint8Array, context: AppletContext): number {
  const nodes = validSettings(data);
  if (nodes === undefined) return StatusWord.incorrectData;
  for (const node of nodes) {
    if (!node.constructed) context.store.set(settingKey(node.tag), node.value.slice());
  }
  return StatusWord.noError;
}
