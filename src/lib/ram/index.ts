/**
 * Remote Application Management: the expanded remote APDU format of ETSI TS 102 226 §5.2 (command
 * and response scripting templates) and the HTTP names of GlobalPlatform Amendment B (RAM over
 * HTTP). Pure functions over Uint8Array; no recursion, every loop bounded by limits.ts.
 */
export {
  ADMIN_AGENT_ID_PATTERN, ADMIN_COMMAND_CONTENT_TYPE, ADMIN_COMMAND_MEDIA_TYPE, ADMIN_MEDIA_TYPE_VERSION, ADMIN_PROTOCOL,
  ADMIN_RESPONSE_CONTENT_TYPE, ADMIN_RESPONSE_MEDIA_TYPE, ADMIN_ROUTE_PATH, AdminHeader, AdminScriptStatus,
} from './adminProtocol.js';
export { decodeCommandScript } from './decodeCommandScript.js';
export type { CommandScript } from './decodeCommandScript.js';
export { decodeResponseScript } from './decodeResponseScript.js';
export { encodeCommandScript } from './encodeCommandScript.js';
export { encodeResponseScript } from './encodeResponseScript.js';
export { RAMErrorCode, badFormatOf } from './errors.js';
export {
  RAM_COMMAND_BYTES_MAX, RAM_COMMAND_BYTES_MIN, RAM_EXECUTED_COUNT_BYTES_MAX, RAM_LENGTH_FIELD_BYTES_MAX, RAM_RESPONSE_BYTES_MAX,
  RAM_RESPONSE_BYTES_MIN, RAM_SCRIPT_BYTES_MAX, RAM_SCRIPT_COMMANDS_MAX,
} from './limits.js';
export type { LengthCoding } from './readScriptTemplate.js';
export type { DecodedResponseScript, ResponseScript } from './responseScript.js';
export { RAM_TRUNCATED_STATUS_WORD, responseContinuesScript, statusWordContinuesScript, trailingStatusWord } from './statusWordContinuesScript.js';
export { BadFormat, INDEFINITE_LENGTH_BYTE, RAMTag, describeBadFormat } from './tags.js';
