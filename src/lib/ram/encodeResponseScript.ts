import { LibErrorCode, TesseraError } from '../errors.js';
import { encodeDefiniteTemplate, encodeItem } from './encodeDefiniteTemplate.js';
import { ramLimit } from './errors.js';
import { RAM_RESPONSE_BYTES_MAX, RAM_RESPONSE_BYTES_MIN, RAM_SCRIPT_COMMANDS_MAX } from './limits.js';
import type { ResponseScript } from './responseScript.js';
import { RAMTag } from './tags.js';

/**
 * The count as an ISO/IEC 8825-1 §8.3 INTEGER: minimal big-endian two's complement, so a count
 * of 128 to 255 gets a leading '00' to stay positive.
 */
function encodeCount(count: number): Uint8Array {
  const bytes: number[] = [];
  let rest = count;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

function checkByteValue(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xff)) {
    throw new TesseraError(LibErrorCode.lengthInvalid, `${what} is one byte, received ${value}`);
  }
}

/**
 * A Response Scripting template, definite length coding (ETSI TS 102 226 §5.2.2, table 5.10):
 * 'AB' L, the number of executed command TLV objects ('80'), one R-APDU TLV ('23') per response,
 * then the Bad format ('90'), Immediate Action Response ('81') and Script Chaining Response ('83')
 * objects that are present.
 */
export function encodeResponseScript(script: ResponseScript): Uint8Array {
  const { executedCount, responses } = script;
  if (!Number.isInteger(executedCount) || executedCount < 0 || executedCount > RAM_SCRIPT_COMMANDS_MAX) {
    throw ramLimit(`the executed count is 0 to ${RAM_SCRIPT_COMMANDS_MAX}, received ${executedCount}`, 0);
  }
  if (responses.length > RAM_SCRIPT_COMMANDS_MAX) {
    throw ramLimit(`a script holds at most ${RAM_SCRIPT_COMMANDS_MAX} responses, received ${responses.length}`, 0);
  }
  checkByteValue(script.badFormat, 'the Bad format value');
  checkByteValue(script.immediateActionResponse, 'the Immediate Action Response value');
  checkByteValue(script.scriptChainingResponse, 'the Script Chaining Response value');
  const items = [encodeItem(RAMTag.executedCount, encodeCount(executedCount))];
  responses.forEach((response, index) => {
    if (response.length < RAM_RESPONSE_BYTES_MIN || response.length > RAM_RESPONSE_BYTES_MAX) {
      throw new TesseraError(
        LibErrorCode.apduMalformed,
        `response ${index} has ${response.length} bytes; an R-APDU has ${RAM_RESPONSE_BYTES_MIN} to ${RAM_RESPONSE_BYTES_MAX}`,
      );
    }
    items.push(encodeItem(RAMTag.responseAPDU, response));
  });
  if (script.badFormat !== undefined) items.push(encodeItem(RAMTag.badFormat, Uint8Array.of(script.badFormat)));
  if (script.immediateActionResponse !== undefined) {
    items.push(encodeItem(RAMTag.immediateAction, Uint8Array.of(script.immediateActionResponse)));
  }
  if (script.scriptChainingResponse !== undefined) {
    items.push(encodeItem(RAMTag.scriptChaining, Uint8Array.of(script.scriptChainingResponse)));
  }
  return encodeDefiniteTemplate(RAMTag.responseScriptDefinite, items);
}
