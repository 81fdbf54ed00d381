/**
 * ISO 8583:1987 financial transaction card originated messages: MTI, bitmaps and data elements in
 * two dialects (all-ASCII and BCD/binary), field 55 as BER-TLV, field 35 as track 2, response
 * codes, network management and responses. Pure functions over Uint8Array; no recursion.
 * docs/iso8583.md describes the dialects, the field table and the error codes.
 */
export { decodeBitmap, encodeBitmap, listBitmapBits } from './bitmap.js';
export { decodeISO8583 } from './decodeISO8583.js';
export {
  defineISO8583Dialect, ISO8583_ASCII_DIALECT, ISO8583_BCD_DIALECT, ISO8583_DIALECTS, worstCaseMessageBytes,
} from './dialects.js';
export { encodeISO8583 } from './encodeISO8583.js';
export { ISO8583ErrorCode } from './errors.js';
export { ISO8583_1987_FIELDS } from './fields1987.js';
export { messageFromJSON, messageToJSON, tlvFromJSON, tlvToJSON } from './json.js';
export type { ISO8583FieldJSON, ISO8583MessageJSON, TLVJSON } from './json.js';
export {
  ISO8583_BITMAP_BYTES, ISO8583_FIELD_NUMBER_MAX, ISO8583_LLLVAR_LENGTH_MAX, ISO8583_LLVAR_LENGTH_MAX,
  ISO8583_MESSAGE_BYTES_MAX, ISO8583_PRIMARY_FIELD_NUMBER_MAX, TRACK2_CHARACTERS_MAX, TRACK2_PAN_DIGITS_MAX,
  TRACK2_PAN_DIGITS_MIN,
} from './limits.js';
export { checkMTI, isAnswerableMTI, parseMTI, responseMTI } from './mti.js';
export type { MTIParts } from './mti.js';
export {
  buildEchoRequest, buildNetworkManagementRequest, buildResponse, formatTransmissionDateTime, ISO8583_ECHOED_FIELDS,
  NetworkManagementCode,
} from './networkManagement.js';
export type { NetworkManagementRequest, ResponseOptions } from './networkManagement.js';
export { describeResponseCode, isApprovedResponseCode, ISO8583_RESPONSE_CODES, ResponseCode } from './responseCodes.js';
export type { ResponseCodeAction, ResponseCodeInfo } from './responseCodes.js';
export {
  buildTrack2, decodeTrack2Equivalent, encodeTrack2Equivalent, isTrack2Expired, parseTrack2, TRACK2_SEPARATORS,
  validateTrack2,
} from './track2.js';
export type { Track2, Track2Parts, Track2Separator } from './track2.js';
export type {
  ISO8583Dialect, ISO8583FieldContent, ISO8583FieldSpec, ISO8583FieldTable, ISO8583FieldValue, ISO8583Format,
  ISO8583LengthType, ISO8583Message,
} from './types.js';
