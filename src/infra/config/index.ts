export {
  CONFIG_ENVIRONMENT_PREFIX_DEFAULT,
  CONFIG_FILE_BYTES_MAX,
  CONFIG_RECEIVED_CHARACTERS_MAX,
  CONFIG_VALIDATION_ERRORS_MAX,
  loadConfig,
} from './loadConfig.js';
export type { ConfigIssue, DeepPartial, LoadConfigOptions } from './loadConfig.js';
export { CONFIG_DEPTH_MAX, WELL_KNOWN_ENVIRONMENT_NAMES, collectConfigLeaves, environmentName, toUpperSnakeCase } from './environmentNames.js';
export type { ConfigLeaf } from './environmentNames.js';
export { describeValidationErrors, toJSONPointer } from './describeValidationErrors.js';
export type { SchemaValidationError, ValidationIssue } from './describeValidationErrors.js';
export { ConfigErrorCode } from './errors.js';
