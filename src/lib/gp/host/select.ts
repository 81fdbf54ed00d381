import { bytesToUint, toHex } from '../../bytes.js';
import { decodeTLV, findPath } from '../../tlv/index.js';

/** What SELECT of a Security Domain told the host (GP 2.3 §11.9.3.1). */
export interface SelectResult {
  readonly aidHex: string;
  /** The File Control Information as received (may be empty). */
  readonly fci: Uint8Array;
  /** '9F65': the largest command data field the SD accepts; undefined when the FCI does not say. */
  readonly commandDataBytesMax: number | undefined;
}

const TAG_FCI = 0x6f;
const TAG_PROPRIETARY = 0xa5;
const TAG_MAX_COMMAND_DATA = 0x9f65;
/** A command data field bound the host can work with: below it a LOAD block would not fit a MAC. */
const COMMAND_DATA_BYTES_MIN = 64;
const COMMAND_DATA_BYTES_MAX = 65_535;

/**
 * Reads the SD's FCI: '6F' { '84' AID, 'A5' { '9F65' maximum command data length, … } }. The
 * FCI is advisory, so an FCI that does not decode, or a '9F65' outside what a host can use, is
 * ignored and the host falls back to short APDUs.
 */
export function parseSelectResponse(requestedAID: Uint8Array, fci: Uint8Array): SelectResult {
  let commandDataBytesMax: number | undefined;
  try {
    const node = findPath(decodeTLV(fci), [TAG_FCI, TAG_PROPRIETARY, TAG_MAX_COMMAND_DATA]);
    if (node !== undefined && !node.constructed && node.value.length >= 1 && node.value.length <= 2) {
      const value = bytesToUint(node.value);
      if (value >= COMMAND_DATA_BYTES_MIN && value <= COMMAND_DATA_BYTES_MAX) commandDataBytesMax = value;
    }
  } catch {
    commandDataBytesMax = undefined;
  }
  return { aidHex: toHex(requestedAID), fci: fci.slice(), commandDataBytesMax };
}
