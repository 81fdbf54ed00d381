import { LibErrorCode, TesseraError } from '../errors.js';
import { encodeDefiniteTemplate, encodeItem } from './encodeDefiniteTemplate.js';
import { ramLimit } from './errors.js';
import { RAM_COMMAND_BYTES_MAX, RAM_COMMAND_BYTES_MIN, RAM_SCRIPT_COMMANDS_MAX } from './limits.js';
import { RAMTag } from './tags.js';

/**
 * A Command Scripting template, definite length coding (ETSI TS 102 226 §5.2.1, table 5.2):
 * 'AA' L, then one C-APDU TLV ('22' L C-APDU, §5.2.1.1) per command, in order. Commands are sent
 * as given (no Le added or changed); an empty list is a valid, empty script.
 */
export function encodeCommandScript(commands: readonly Uint8Array[]): Uint8Array {
  if (commands.length > RAM_SCRIPT_COMMANDS_MAX) {
    throw ramLimit(`a script holds at most ${RAM_SCRIPT_COMMANDS_MAX} commands, received ${commands.length}`, 0);
  }
  const items = commands.map((command, index) => {
    if (command.length < RAM_COMMAND_BYTES_MIN || command.length > RAM_COMMAND_BYTES_MAX) {
      throw new TesseraError(
        LibErrorCode.apduMalformed,
        `command ${index} has ${command.length} bytes; a C-APDU has ${RAM_COMMAND_BYTES_MIN} to ${RAM_COMMAND_BYTES_MAX}`,
      );
    }
    return encodeItem(RAMTag.commandAPDU, command);
  });
  return encodeDefiniteTemplate(RAMTag.commandScriptDefinite, items);
}
