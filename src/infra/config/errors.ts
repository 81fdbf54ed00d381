/** Error codes of the config loader (public API: operators and scripts match on them). */
export const ConfigErrorCode = {
  /** One or more settings are missing, unknown or of the wrong type; `details.issues` lists them. */
  invalid: 'ERR_CONFIG_INVALID',
  /** The config file named by the caller cannot be read, is too large or is not a JSON object. */
  fileUnreadable: 'ERR_CONFIG_FILE',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];
