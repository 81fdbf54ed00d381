import { copyBytes } from '../bytes.js';
import { ramBadFormat, ramLimit } from './errors.js';
import { RAM_EXECUTED_COUNT_BYTES_MAX, RAM_RESPONSE_BYTES_MAX, RAM_RESPONSE_BYTES_MIN, RAM_SCRIPT_COMMANDS_MAX } from './limits.js';
import { readScriptTemplate, type TemplateItem } from './readScriptTemplate.js';
import type { DecodedResponseScript } from './responseScript.js';
import { BadFormat, RAMTag } from './tags.js';

/**
 * Most data objects in a response script: the count, one R-APDU per command, and the three
 * one-byte status objects.
 */
const RESPONSE_ITEMS_MAX = 1 + RAM_SCRIPT_COMMANDS_MAX + 3;

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/** Read as unsigned: a sender that writes 200 as 'C8' (not a positive BER INTEGER) still means 200. */
function decodeCount(item: TemplateItem): number {
  if (item.value.length === 0 || item.value.length > RAM_EXECUTED_COUNT_BYTES_MAX) {
    throw ramBadFormat(BadFormat.wrongLength, `the executed count has 1 to ${RAM_EXECUTED_COUNT_BYTES_MAX} bytes, received ${item.value.length}`, item.offset);
  }
  let count = 0;
  for (const byte of item.value) count = count * 256 + byte;
  if (count > RAM_SCRIPT_COMMANDS_MAX) throw ramLimit(`${count} executed commands exceed the ${RAM_SCRIPT_COMMANDS_MAX} a script can hold`, item.offset);
  return count;
}

function decodeStatusByte(item: TemplateItem, previous: number | undefined, what: string): number {
  if (previous !== undefined) throw ramBadFormat(BadFormat.unknownTag, `a second ${what} object`, item.offset);
  const value = item.value[0];
  if (item.value.length !== 1 || value === undefined) {
    throw ramBadFormat(BadFormat.wrongLength, `the ${what} object has one byte, received ${item.value.length}`, item.offset);
  }
  return value;
}

/**
 * Decodes a Response Scripting template (ETSI TS 102 226 §5.2.2): 'AB' with a definite length,
 * starting with the number of executed command TLV objects ('80', table 5.11), or 'AF 80' … '00 00'
 * (table 5.10a), where that object is optional; then R-APDU TLVs ('23') and at most one each of
 * Bad format ('90'), Immediate Action Response ('81') and Script Chaining Response ('83').
 * Failures are TesseraErrors (ERR_RAM_BAD_FORMAT, ERR_RAM_LIMIT) naming the offset of the fault.
 */
export function decodeResponseScript(received: Uint8Array): DecodedResponseScript {
  const template = readScriptTemplate(received, {
    definite: RAMTag.responseScriptDefinite,
    indefinite: RAMTag.responseScriptIndefinite,
    name: 'Response Scripting template',
    itemsMax: RESPONSE_ITEMS_MAX,
  });
  const [first, ...rest] = template.items;
  let executedCount: number | undefined;
  let items = template.items;
  if (first?.tag === RAMTag.executedCount) {
    executedCount = decodeCount(first);
    items = rest;
  } else if (template.lengthCoding === 'definite') {
    throw ramBadFormat(BadFormat.unknownTag, 'a definite Response Scripting template starts with the executed count (80)', first?.offset ?? received.length);
  }

  const responses: Uint8Array[] = [];
  let badFormat: number | undefined;
  let immediateActionResponse: number | undefined;
  let scriptChainingResponse: number | undefined;
  for (const item of items) {
    switch (item.tag) {
      case RAMTag.responseAPDU:
        if (item.value.length < RAM_RESPONSE_BYTES_MIN || item.value.length > RAM_RESPONSE_BYTES_MAX) {
          throw ramBadFormat(BadFormat.wrongLength, `an R-APDU has ${RAM_RESPONSE_BYTES_MIN} to ${RAM_RESPONSE_BYTES_MAX} bytes, this one ${item.value.length}`, item.offset);
        }
        if (responses.length >= RAM_SCRIPT_COMMANDS_MAX) throw ramLimit(`more than ${RAM_SCRIPT_COMMANDS_MAX} R-APDUs`, item.offset);
        responses.push(copyBytes(item.value));
        break;
      case RAMTag.badFormat:
        badFormat = decodeStatusByte(item, badFormat, 'Bad format');
        break;
      case RAMTag.immediateAction:
        immediateActionResponse = decodeStatusByte(item, immediateActionResponse, 'Immediate Action Response');
        break;
      case RAMTag.scriptChaining:
        scriptChainingResponse = decodeStatusByte(item, scriptChainingResponse, 'Script Chaining Response');
        break;
      default:
        throw ramBadFormat(BadFormat.unknownTag, `tag ${hexByte(item.tag)} has no place in a Response Scripting template`, item.offset);
    }
  }
  return {
    executedCount: executedCount ?? responses.length,
    responses,
    ...(badFormat === undefined ? {} : { badFormat }),
    ...(immediateActionResponse === undefined ? {} : { immediateActionResponse }),
    ...(scriptChainingResponse === undefined ? {} : { scriptChainingResponse }),
    lengthCoding: template.lengthCoding,
  };
}
