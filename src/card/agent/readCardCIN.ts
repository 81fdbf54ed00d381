import { fromHex, toHex } from '../../lib/bytes.js';
import { TesseraError } from '../../lib/errors.js';
import { decodeSingleTLV } from '../../lib/tlv/index.js';
import { ISD_AID } from '../profiles.js';
import type { SmartCard } from '../types.js';
import { CardAgentErrorCode } from './errors.js';

/** SELECT by name (ISO/IEC 7816-4 §11.2.2, GP 2.3 §11.9) of the Issuer Security Domain, Le 00. */
const SELECT_ISD = fromHex(`00A40400${(ISD_AID.length / 2).toString(16).padStart(2, '0')}${ISD_AID}00`);
/** GET DATA '0045', Card Image Number (GP 2.3 §11.3.1, §H.3), Le 00. */
const GET_DATA_CIN = fromHex('80CA004500');
const CIN_TAG = 0x45;

function statusWord(response: Uint8Array): number {
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
}

function unreadable(message: string, cause?: unknown): TesseraError {
  return new TesseraError(CardAgentErrorCode.cin, message, cause === undefined ? {} : { cause });
}

/**
 * The card's CIN, read as the TSM would: SELECT the ISD, GET DATA '0045' (no secure channel is
 * needed for it, GP 2.3 §11.3). The agent identifies itself with it in X-Admin-From.
 */
export function readCardCIN(card: SmartCard): string {
  const selected = card.transmit(SELECT_ISD);
  if (statusWord(selected) !== 0x9000) {
    throw unreadable(`SELECT of the ISD ${ISD_AID} answered ${toHex(selected.subarray(-2))}`);
  }
  const response = card.transmit(GET_DATA_CIN);
  if (statusWord(response) !== 0x9000) throw unreadable(`GET DATA 0045 (CIN) answered ${toHex(response.subarray(-2))}`);
  let node;
  try {
    node = decodeSingleTLV(response.subarray(0, -2), { padding: 'reject' });
  } catch (error) {
    throw unreadable('GET DATA 0045 answered malformed data', error);
  }
  if (node.tag !== CIN_TAG || node.value.length === 0 || node.value.length > 32) {
    throw unreadable(`GET DATA 0045 answered tag ${node.tag.toString(16).toUpperCase()} with ${node.value.length} bytes, expected tag 45 with the CIN`);
  }
  return toHex(node.value);
}
