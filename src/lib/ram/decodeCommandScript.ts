import { copyBytes } from '../bytes.js';
import { ramBadFormat, ramUnsupported } from './errors.js';
import { RAM_COMMAND_BYTES_MAX, RAM_COMMAND_BYTES_MIN, RAM_SCRIPT_COMMANDS_MAX } from './limits.js';
import { readScriptTemplate, type LengthCoding } from './readScriptTemplate.js';
import { BadFormat, RAMTag } from './tags.js';

export interface CommandScript {
  /** The C-APDUs, in the order they are to be executed; fresh copies. */
  readonly commands: readonly Uint8Array[];
  readonly lengthCoding: LengthCoding;
}

const UNSUPPORTED_COMMAND_OBJECTS: ReadonlyMap<number, string> = new Map([
  [RAMTag.immediateAction, 'Immediate Action (TS 102 226 §5.2.1.2)'],
  [RAMTag.errorAction, 'Error Action (TS 102 226 §5.2.1.3)'],
  [RAMTag.scriptChaining, 'Script Chaining (TS 102 226 §5.2.1.4)'],
]);

/**
 * Decodes a Command Scripting template (ETSI TS 102 226 §5.2.1): 'AA' with a definite length or
 * 'AE 80' … '00 00' (table 5.2a), holding C-APDU TLVs ('22'). Every failure is a TesseraError
 * whose `details.badFormat` is the Bad format value (table 5.12) to answer with: ERR_RAM_BAD_FORMAT,
 * ERR_RAM_LIMIT, or ERR_RAM_UNSUPPORTED for the Immediate Action, Error Action and Script Chaining
 * objects, which Tessera does not model (the agent answers them as unknown tags).
 */
export function decodeCommandScript(received: Uint8Array): CommandScript {
  const template = readScriptTemplate(received, {
    definite: RAMTag.commandScriptDefinite,
    indefinite: RAMTag.commandScriptIndefinite,
    name: 'Command Scripting template',
    itemsMax: RAM_SCRIPT_COMMANDS_MAX,
  });
  const commands: Uint8Array[] = [];
  for (const item of template.items) {
    const unsupported = UNSUPPORTED_COMMAND_OBJECTS.get(item.tag);
    if (unsupported !== undefined) throw ramUnsupported(item.tag, unsupported, item.offset);
    if (item.tag !== RAMTag.commandAPDU) {
      throw ramBadFormat(BadFormat.unknownTag, `tag ${item.tag.toString(16).toUpperCase().padStart(2, '0')} is not a C-APDU TLV (22)`, item.offset);
    }
    if (item.value.length < RAM_COMMAND_BYTES_MIN || item.value.length > RAM_COMMAND_BYTES_MAX) {
      throw ramBadFormat(
        BadFormat.wrongLength,
        `a C-APDU has ${RAM_COMMAND_BYTES_MIN} to ${RAM_COMMAND_BYTES_MAX} bytes, this one ${item.value.length}`,
        item.offset,
      );
    }
    commands.push(copyBytes(item.value));
  }
  return { commands, lengthCoding: template.lengthCoding };
}
