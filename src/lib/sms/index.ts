export { SmsErrorCode, smsError } from './errors.js';
export {
  countGSM7Septets, decodeGSM7, encodeGSM7, gsm7SeptetsOf, GSM7_ESCAPE, isGSM7Encodable, packGSM7, SEPTET_MAX, unpackGSM7,
} from './gsm7.js';
export { decodeUCS2, encodeUCS2, wellFormed } from './ucs2.js';
export {
  concatElement, decodeUserData, encodeUDH, findConcat, IEI_CONCAT_16BIT, IEI_CONCAT_8BIT, UDH_BYTES_MAX,
  type ConcatInfo, type DecodedUserData, type InformationElement,
} from './udh.js';
export {
  chooseEncoding, DATA_CODING_GSM7, DATA_CODING_UCS2, GSM7_PART_SEPTETS_MAX, GSM7_SINGLE_SEPTETS_MAX, SEGMENTS_MAX, segmentText,
  UCS2_PART_UNITS_MAX, UCS2_SINGLE_UNITS_MAX, type SegmentedText, type SegmentOptions, type SmsEncoding,
} from './segment.js';
