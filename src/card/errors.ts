/** Error codes of the card domain that surface outside the card (CLI, TSM). Inside the card,
 * failures are status words, as on a real card. */
export const CardErrorCode = {
  imageInvalid: 'ERR_CARD_IMAGE_INVALID',
  imageIntegrity: 'ERR_CARD_IMAGE_INTEGRITY',
  imageMissing: 'ERR_CARD_IMAGE_MISSING',
  imageKey: 'ERR_CARD_IMAGE_KEY',
  profileUnknown: 'ERR_CARD_PROFILE_UNKNOWN',
  firmwareClassUnknown: 'ERR_CARD_FIRMWARE_CLASS_UNKNOWN',
} as const;
