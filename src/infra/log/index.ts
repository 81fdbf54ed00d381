export { LOG_LEVELS, LogLevelSchema, createLogger, isLogLevel } from './createLogger.js';
export type { DestinationStream, LogLevel, Logger, LoggerOptions } from './createLogger.js';
export {
  LABELLED_HEX_DIGITS_MIN,
  LOG_PAN_DIGITS_MAX,
  LOG_PAN_DIGITS_MIN,
  looksLikePAN,
  maskPANDigits,
  maskSensitiveJSONLine,
  maskSensitiveText,
} from './maskSensitiveText.js';
export { LOG_STRING_CHARACTERS_MAX, LOG_VALUE_DEPTH_MAX, LOG_VALUE_NODES_MAX, sanitizeLogValue } from './sanitizeLogValue.js';
export { REDACTED, REDACTED_LOG_PATHS, SECRET_FIELD_NAMES, SECRET_FIELD_SUFFIXES, isSecretFieldName } from './secretFields.js';
