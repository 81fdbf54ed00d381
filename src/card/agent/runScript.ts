import { concatBytes } from '../../lib/bytes.js';
import {
  BadFormat, RAM_SCRIPT_BYTES_MAX, RAM_TRUNCATED_STATUS_WORD, badFormatOf, decodeCommandScript, encodeResponseScript,
  responseContinuesScript,
} from '../../lib/ram/index.js';
import type { SmartCard } from '../types.js';

/**
 * Bytes a response script spends besides the R-APDUs: the template tag and a length of at most
 * five bytes, and the executed count ('80' 01-02 value).
 */
const RESPONSE_SCRIPT_OVERHEAD_BYTES = 1 + 5 + 4;
/** Per R-APDU: the '23' tag and a length of at most five bytes. */
const RESPONSE_TLV_OVERHEAD_BYTES = 1 + 5;
/** What a card answers when it fails internally without a more precise status (ISO/IEC 7816-4: no precise diagnosis). */
const NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

export interface ScriptRun {
  /** The response script to POST back; undefined when the run was aborted (the agent is stopping). */
  readonly responseScript: Uint8Array | undefined;
  readonly commandCount: number;
  readonly executedCount: number;
  /** Set when the command script could not be parsed and nothing ran. */
  readonly badFormat?: number;
}


/**
 * Runs a command script on the card as a UICC's RAM implementation would (ETSI TS 102 226 §5.2):
 * the C-APDUs in order, stopping after the first that fails (any SW but 9000, 61xx, 62xx, 63xx).
 * A script that cannot be parsed runs nothing and is answered with a Bad format TLV; Tessera
 * parses the whole script before running any of it, so "executed" is 0 then. A response that
 * would push the answer past RAM_SCRIPT_BYTES_MAX is cut short and given SW '62F1', which also
 * ends the script (§5.2.1.1). `shouldStop` is checked before each command.
 */
export function runScript(card: SmartCard, received: Uint8Array, shouldStop: () => boolean): ScriptRun {
  let commands: readonly Uint8Array[];
  try {
    commands = decodeCommandScript(received).commands;
  } catch (error) {
    const badFormat = badFormatOf(error) ?? BadFormat.unknownTag;
    return { responseScript: encodeResponseScript({ executedCount: 0, responses: [], badFormat }), commandCount: 0, executedCount: 0, badFormat };
  }
  const responses: Uint8Array[] = [];
  let bytes = RESPONSE_SCRIPT_OVERHEAD_BYTES;
  for (const command of commands) {
    if (shouldStop()) return { responseScript: undefined, commandCount: commands.length, executedCount: responses.length };
    let response: Uint8Array;
    try {
      response = card.transmit(command);
    } catch {
      response = NO_PRECISE_DIAGNOSIS;
    }
    if (response.length < 2) response = NO_PRECISE_DIAGNOSIS;
    const room = RAM_SCRIPT_BYTES_MAX - bytes - RESPONSE_TLV_OVERHEAD_BYTES;
    if (response.length > room) {
      responses.push(concatBytes(response.subarray(0, Math.max(0, room - 2)), Uint8Array.of(RAM_TRUNCATED_STATUS_WORD >> 8, RAM_TRUNCATED_STATUS_WORD & 0xff)));
      break;
    }
    responses.push(response);
    bytes += RESPONSE_TLV_OVERHEAD_BYTES + response.length;
    if (!responseContinuesScript(response)) break;
  }
  return {
    responseScript: encodeResponseScript({ executedCount: responses.length, responses }),
    commandCount: commands.length,
    executedCount: responses.length,
  };
}
