/** Error codes of the TSM keystore. Codes are public API; messages are not. */
export const KeyStoreErrorCode = {
  /** A sealed key did not open: wrong purpose or binding, altered bytes, unknown KEK version. Always this one code. */
  openFailed: 'ERR_TSM_KEYSTORE_OPEN',
  /** The key-encryption key file is missing, not a regular file, readable by others, of the wrong size, or unreadable. */
  keyFileInvalid: 'ERR_TSM_KEYSTORE_KEY_FILE',
} as const;
export type KeyStoreErrorCode = (typeof KeyStoreErrorCode)[keyof typeof KeyStoreErrorCode];
